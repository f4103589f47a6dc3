//! What can go wrong, each as one readable line, and the exit code it maps to.
//!
//! The first four variants (`Config`, `Usage`, `Internal`, `AlreadyExists`)
//! are the same in all four example crates on purpose, so that their tours,
//! tests and HTTP errors read alike; the rest, and the `From` impls below,
//! are this library's own errors and how they become one line.

use sea_orm::{DbErr, RuntimeErr};
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
    /// transaction it was part of was rolled back.
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

    /// The entities and the database disagree (see `check`).
    #[error("{0} difference(s) between the entities and the database")]
    Drift(usize),

    /// Writing a new migration file failed.
    #[error("cannot generate the migration: {0}")]
    Generate(String),

    /// A migration failed. Run in a transaction (SeaORM's default on
    /// PostgreSQL), nothing of it was kept and it is still pending.
    #[error("migration {name} failed: {source}")]
    Migration {
        /// The migration's name, e.g. `m20250101_000001_create_heroes`.
        name: String,
        /// SeaORM's error, which names only the statement.
        source: DbErr,
    },
    /// Any other database error (with a hint when it comes from PgBouncer's
    /// transaction mode; see `production::pooler`).
    #[error(
        "database error: {0}{hint}",
        hint = support::pooler_hint(&.0.to_string(), crate::production::pooler::CURE)
    )]
    Database(DbErr),
}

impl From<DbErr> for Error {
    /// Turns a unique-name violation into [`Error::AlreadyExists`] and a URL
    /// SeaORM cannot read (a multi-host one) into [`Error::Usage`];
    /// everything else stays a database error. SeaORM keeps sqlx's error inside, which
    /// carries PostgreSQL's constraint name and detail.
    fn from(err: DbErr) -> Self {
        // `Database::connect` refuses what `url::Url` cannot parse (a
        // multi-host URL) with a message that repeats the URL, password and
        // all; the URL is left out here.
        if let DbErr::Conn(RuntimeErr::Internal(message)) = &err
            && message.starts_with("The connection string")
        {
            return Self::Usage(support::unparsable_url("SeaORM", "it cannot be parsed"));
        }
        if let DbErr::Conn(RuntimeErr::SqlxError(sqlx_err)) = &err
            && let sqlx::Error::Configuration(cause) = sqlx_err.as_ref()
        {
            return Self::Usage(support::unparsable_url("SeaORM", &cause.to_string()));
        }
        let sqlx_err = match &err {
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                Some(e)
            }
            _ => None,
        };
        let violation = sqlx_err
            .and_then(|e| e.as_database_error())
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
