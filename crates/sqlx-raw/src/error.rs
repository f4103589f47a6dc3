//! What can go wrong, each as one readable line, and the exit code it maps to.
//!
//! The first four variants (`Config`, `Usage`, `Internal`, `AlreadyExists`)
//! are the same in all four example crates on purpose, so that their tours,
//! tests and HTTP errors read alike; the rest, and the `From` impls below,
//! are this library's own errors and how they become one line.

use sqlx::postgres::PgDatabaseError;

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
    /// transaction (or COPY) it was part of was rolled back.
    #[error("{what} '{name}' already exists; nothing from this batch was saved")]
    AlreadyExists {
        /// "hero" or "team".
        what: &'static str,
        /// The name that was already taken.
        name: String,
    },

    /// The server did not complete a login within the connect deadline.
    #[error(
        "no PostgreSQL login completed within {} s; is DATABASE_URL pointing at a PostgreSQL server? (PGCONNECT_TIMEOUT sets this deadline)",
        .0.as_secs()
    )]
    NoAnswer(std::time::Duration),

    /// No connection could be had from the pool in time.
    #[error(
        "no database connection within the pool's acquire timeout; is PostgreSQL running, or are all connections busy? (`devdb status`)"
    )]
    PoolTimedOut,

    /// A migration failed; its own transaction was rolled back.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// Any other database error (with a hint when it comes from PgBouncer's
    /// transaction mode; see `production::pooler`).
    #[error(
        "database error: {0}{hint}",
        hint = support::pooler_hint(&.0.to_string(), crate::production::pooler::CURE)
    )]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Error {
    /// Turns a unique-name violation into [`Error::AlreadyExists`], a pool
    /// timeout into [`Error::PoolTimedOut`] and a URL sqlx cannot read (a
    /// multi-host one) into [`Error::Usage`]; everything else stays a
    /// database error.
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::PoolTimedOut) {
            return Self::PoolTimedOut;
        }
        if let sqlx::Error::Configuration(cause) = &err {
            return Self::Usage(support::unparsable_url("sqlx", &cause.to_string()));
        }
        let violation = err
            .as_database_error()
            .and_then(|db| db.try_downcast_ref::<PgDatabaseError>())
            .and_then(|pg| support::unique_name_violation(pg.constraint(), pg.detail()));
        match violation {
            Some((what, name)) => Self::AlreadyExists { what, name },
            None => Self::Database(err),
        }
    }
}

impl support::app::Failure for Error {
    /// 2 for configuration and usage problems, 1 for everything else.
    fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Usage(_) | Self::NoAnswer(_) => support::app::EXIT_USAGE,
            _ => 1,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
