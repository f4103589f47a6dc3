//! The engine and the session, the sqlx way.
//!
//! SQLAlchemy's engine owns a pool of connections; sqlx's `PgPool` is that
//! pool. SQLAlchemy's session groups statements into one transaction; here a
//! `Transaction` from `pool.begin()` does: it commits only when you call
//! `commit()`, and dropped without it (an early `?` return, a panic) it rolls
//! back, so a unit of work can never half-commit.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::error::Result;
use crate::production::{self, checkout};

/// How the pool is sized and how long a caller waits: what
/// `create_async_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (SQLAlchemy's `pool_size`).
    pub max_connections: u32,
    /// How long `acquire()` and `begin()` wait for a connection before they
    /// fail with a pool time-out (SQLAlchemy's `pool_timeout`).
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
/// `create_async_engine(url)`: a pool of connections to `url`. Its first
/// connection is opened here, so a wrong URL or a server that is down is
/// reported now rather than at the first query.
pub async fn pool(url: &str, settings: &Settings) -> Result<PgPool> {
    let options = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout);
    // `options.connect(url)`, with what a deployment adds (production::connect).
    production::connect(options, url, &settings.production).await
}
// ANCHOR_END: pool

// ANCHOR: session
/// `async with session.begin():` a transaction on a pooled connection. Run
/// queries on it (`&mut tx`), then `tx.commit().await?`; drop it instead and
/// it rolls back.
pub async fn session(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    match pool.begin().await {
        // The server closed that connection while it sat in the pool:
        // nothing has run yet, so begin once more (production::checkout).
        Err(err) if checkout::lost_before_begin(&err) => Ok(pool.begin().await?),
        other => Ok(other?),
    }
}
// ANCHOR_END: session

/// `echo=True`: prints every statement sqlx runs, as `SQL> ...`, after it
/// ran (sqlx logs on completion, through `tracing`, without bind values).
pub use support::narrate::echo_sqlx_statements as enable_echo;
