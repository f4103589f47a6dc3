//! What can go wrong, each as one readable line, and the exit code it maps to.
//!
//! The first four variants (`Config`, `Usage`, `Internal`, `AlreadyExists`)
//! are the same in all four example crates on purpose, so that their tours,
//! tests and HTTP errors read alike; the rest, and the `From` impls below,
//! are this library's own errors and how they become one line.

use diesel::result::Error as DieselError;

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No usable database (bad `DATABASE_URL`, server down, wrong password).
    #[error(transparent)]
    Config(#[from] devdb::Error),

    /// A command line that parses but asks for something impossible.
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

    /// No connection could be had from the pool in time (server gone, or every
    /// connection busy for longer than the pool's timeout).
    #[error("no database connection: {0}; is PostgreSQL running? (`just up`, `devdb status`)")]
    Pool(#[from] diesel::r2d2::PoolError),

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
