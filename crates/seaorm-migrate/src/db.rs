//! The engine and the session, the SeaORM way.
//!
//! `Database::connect` returns a `DatabaseConnection`: SQLAlchemy's engine, a
//! pool of connections (sqlx's, inside). `db.begin()` returns a
//! `DatabaseTransaction`: the session. `commit()` keeps its work; dropped
//! without it (an early `?` return, a panic), it rolls back; the tour shows it.
//!
//! This is the library's plain idiom, which the tour runs. `serve` builds its
//! engine with [`crate::production::pool`] instead: the same pool with what a
//! deployment adds, and [`crate::production::begin`].

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::Result;

// ANCHOR: pool
/// `create_async_engine(url, pool_size=8, pool_timeout=5)`: SeaORM's own
/// idiom, `Database::connect` with `ConnectOptions`. It opens the first
/// connection now, so a wrong URL or a server that is down is reported here
/// rather than at the first query. Statements are logged through sqlx's
/// `tracing` events, printed only when `ECHO=1` installed a subscriber.
pub async fn pool(url: &str, settings: &Settings) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Info);
    Ok(Database::connect(options).await?)
}
// ANCHOR_END: pool

/// How the pool is sized and how long a caller waits: what
/// `create_async_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (SQLAlchemy's `pool_size`).
    pub max_connections: u32,
    /// How long a caller waits for a free connection before it gets a
    /// `ConnectionAcquire(Timeout)` error (SQLAlchemy's `pool_timeout`).
    pub acquire_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
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

/// `echo=True`: print every statement SeaORM runs, as `SQL> ...`.
pub use support::narrate::echo_sqlx_statements as enable_echo;
