//! The engine and the session, the SeaORM way.
//!
//! `Database::connect` returns a `DatabaseConnection`: SQLAlchemy's engine, a
//! pool of connections (sqlx's, inside). `db.begin()` returns a
//! `DatabaseTransaction`: the session. `commit()` keeps its work; dropped
//! without it (an early `?` return, a panic), it rolls back.

use std::time::Duration;

use sea_orm::{ConnectOptions, DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::error::Result;
use crate::production::{self, checkout};

/// How the pool is sized and how long a caller waits: what
/// `create_async_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (SQLAlchemy's `pool_size`).
    pub max_connections: u32,
    /// How long a caller waits for a free connection before it gets a
    /// `ConnectionAcquire(Timeout)` error (SQLAlchemy's `pool_timeout`).
    pub acquire_timeout: Duration,
    /// What a deployment adds: deadlines, the statement cache, the checkout
    /// check ([`production::Settings`]).
    pub production: production::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            production: production::Settings::from_env(),
        }
    }
}

impl Settings {
    /// One connection: the pool migrations run on (their lock is a session
    /// lock, held by one connection).
    pub fn one_connection() -> Self {
        Self {
            max_connections: 1,
            ..Self::default()
        }
    }
}

// ANCHOR: pool
/// `create_async_engine(url)`: connects a pool to `url`, opening its first
/// connection, so a wrong URL or a server that is down is reported now.
/// Statements are logged through sqlx's `tracing` events, printed only when
/// `ECHO=1` installed a subscriber.
pub async fn pool(url: &str, settings: &Settings) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Info);
    // `Database::connect(options)`, with what a deployment adds (production::connect).
    production::connect(options, &settings.production).await
}
// ANCHOR_END: pool

// ANCHOR: session
/// `async with session.begin():` a transaction on a pooled connection. Run
/// queries on it (`&txn`), then `txn.commit().await?`; drop it instead and it
/// rolls back.
pub async fn session(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    match db.begin().await {
        // The server closed that connection while it sat in the pool:
        // nothing has run yet, so begin once more (production::checkout).
        Err(err) if checkout::lost_before_begin(&err) => Ok(db.begin().await?),
        other => Ok(other?),
    }
}
// ANCHOR_END: session

/// `echo=True`: print every statement SeaORM runs, as `SQL> ...`.
pub use support::narrate::echo_sqlx_statements as enable_echo;
