//! The engine, the sqlx way; the session is sqlx's own `pool.begin()`.
//!
//! SQLAlchemy's engine owns a pool of connections; sqlx's `PgPool` is that
//! pool. SQLAlchemy's session groups statements into one transaction; here a
//! `Transaction` from `pool.begin()` does (the tour shows it): it commits only
//! when you call `commit()`, and dropped without it (an early `?` return, a
//! panic) it rolls back, so a unit of work can never half-commit.
//!
//! This is the library's plain idiom, which the tour runs. `serve` builds its
//! pool with [`crate::production::pool`] instead: the same pool with what a
//! deployment adds.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::error::Result;

// ANCHOR: pool
/// `create_async_engine(url, pool_size=8, pool_timeout=5)`: sqlx's own idiom.
/// `connect` opens the first connection now, so a wrong URL or a server that
/// is down is reported here rather than at the first query; sqlx bounds that
/// connect, login included, by `acquire_timeout`.
pub async fn pool(url: &str, settings: &Settings) -> Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect(url)
        .await?;
    Ok(pool)
}
// ANCHOR_END: pool

/// How the pool is sized and how long a caller waits: what
/// `create_async_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (SQLAlchemy's `pool_size`).
    pub max_connections: u32,
    /// How long `acquire()` and `begin()` wait for a connection before they
    /// fail with a pool time-out (SQLAlchemy's `pool_timeout`).
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

/// `echo=True`: prints every statement sqlx runs, as `SQL> ...`, after it
/// ran (sqlx logs on completion, through `tracing`, without bind values).
pub use support::narrate::echo_sqlx_statements as enable_echo;
