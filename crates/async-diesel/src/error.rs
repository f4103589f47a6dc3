//! What can go wrong, each as one readable line, and the exit code it maps to.
//!
//! The first four variants (`Config`, `Usage`, `Internal`, `AlreadyExists`)
//! are the same in all four example crates on purpose, so that their tours,
//! tests and HTTP errors read alike; the rest, and the `From` impls below,
//! are this library's own errors and how they become one line.

use std::time::Duration;

use diesel::result::Error as DieselError;
use diesel_async::pooled_connection::deadpool::PoolError;

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No usable database (bad `DATABASE_URL`, server down, wrong password).
    #[error(transparent)]
    Config(#[from] devdb::Error),

    /// A command line or setting that parses but asks for something impossible.
    #[error("{0}")]
    Usage(String),

    /// Something that should not happen (a task that panicked, a runtime
    /// that would not start, seed data that breaks its own invariant): a bug
    /// or a broken machine, never the user's input, so exit code 1.
    #[error("{0}")]
    Internal(String),

    /// An insert hit the unique name of `heroes` (or `teams`); the whole
    /// transaction it was part of was rolled back.
    #[error("{what} '{name}' already exists; nothing from this batch was saved")]
    AlreadyExists {
        /// "hero" or "team".
        what: &'static str,
        /// The name that was already taken.
        name: String,
    },

    /// Every connection stayed busy for the whole wait timeout.
    #[error(
        "pool exhausted: all {size} connections stayed busy for {} ms; raise POOL_SIZE or POOL_TIMEOUT_MS, or hold connections for less time",
        .waited.as_millis()
    )]
    PoolExhausted {
        /// The pool's maximum size.
        size: usize,
        /// How long the caller waited.
        waited: Duration,
    },

    /// Every connection of the lesson's pool stayed busy for the whole wait.
    #[error(
        "pool exhausted: every connection stayed busy for the whole wait; raise POOL_SIZE or POOL_TIMEOUT_MS, or hold connections for less time"
    )]
    Busy,

    /// The pool could not open a connection (server gone, refused login).
    #[error("no database connection: {0}; is PostgreSQL running? (`just up`, `devdb status`)")]
    Pool(String),

    /// A migration failed; its own transaction was rolled back.
    #[error("migration failed: {0}")]
    Migration(String),

    /// Any other database error (with a hint when it comes from PgBouncer's
    /// transaction mode; see `production::pooler`).
    #[error(
        "database error: {}{hint}",
        support::diesel::describe(.0),
        hint = support::pooler_hint(&.0.to_string(), crate::production::pooler::CURE)
    )]
    Database(DieselError),
}

impl Error {
    /// Describes a failed `pool.get()`, given the pool's limits.
    pub(crate) fn from_pool(err: PoolError, size: usize, waited: Duration) -> Self {
        match err {
            PoolError::Timeout(deadpool::managed::TimeoutType::Wait) => {
                Self::PoolExhausted { size, waited }
            }
            // The server answered and the login worked, but a query of the
            // new connection's setup failed (seen through PgBouncer's
            // transaction mode): a database error, not a missing server.
            PoolError::Backend(diesel_async::pooled_connection::PoolError::ConnectionError(
                diesel::result::ConnectionError::CouldntSetupConfiguration(inner),
            )) => Self::Database(inner),
            PoolError::Backend(inner) => Self::Pool(inner.to_string()),
            other => Self::Pool(other.to_string()),
        }
    }
}

impl From<PoolError> for Error {
    /// A failed `pool.get()` on the lesson's pool, which knows no limits to
    /// name (the production pool names them: [`Error::PoolExhausted`]).
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Timeout(deadpool::managed::TimeoutType::Wait) => Self::Busy,
            other => Self::from_pool(other, 0, Duration::ZERO),
        }
    }
}

impl From<deadpool::managed::BuildError> for Error {
    fn from(err: deadpool::managed::BuildError) -> Self {
        Self::Pool(err.to_string())
    }
}

impl From<support::diesel::migrate::MigrationError> for Error {
    fn from(err: support::diesel::migrate::MigrationError) -> Self {
        use support::diesel::migrate::MigrationError;
        match err {
            MigrationError::Usage(text) => Self::Usage(text),
            MigrationError::Failed(text) => Self::Migration(text),
        }
    }
}

impl From<DieselError> for Error {
    /// Turns a unique-name violation into [`Error::AlreadyExists`]; everything
    /// else stays a database error.
    fn from(err: DieselError) -> Self {
        match support::diesel::already_exists(&err) {
            Some((what, name)) => Self::AlreadyExists { what, name },
            None => Self::Database(err),
        }
    }
}

impl support::app::Failure for Error {
    /// 2 for configuration and usage problems, 1 for everything else.
    fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Usage(_) => support::app::EXIT_USAGE,
            _ => 1,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
