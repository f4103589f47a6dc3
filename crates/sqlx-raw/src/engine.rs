//! The engine and the session, the sqlx way: `PgPool` is the engine, and a
//! transaction from `pool.begin()` is the session. A sqlx `Transaction`
//! commits only when you call `commit()`; dropped without it (an early `?`
//! return, a panic), it rolls back. That is the session's "all or nothing"
//! without a closure.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::error::Result;

/// How the pool is sized and how long callers wait.
#[derive(Clone, Copy, Debug)]
pub struct EngineOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long `acquire()`/`begin()` wait for a connection before failing
    /// with a pool time-out, instead of hanging.
    pub acquire_timeout: Duration,
    /// Ping each connection as it leaves the pool, replacing one the server
    /// has closed. Costs one round trip per checkout; without it the first
    /// query on a dead connection fails.
    pub test_before_acquire: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            test_before_acquire: true,
        }
    }
}

/// `create_async_engine(url)`: builds the pool and opens its first connection,
/// so a server that refuses us is reported here rather than at the first query.
pub async fn engine(url: &str, options: EngineOptions) -> Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        // sqlx pings each connection as it leaves the pool (the default, shown
        // here because it matters): a backend killed by the server is replaced.
        .test_before_acquire(options.test_before_acquire)
        .connect(url)
        .await?)
}

/// `echo=True`: prints every statement sqlx runs, as `SQL> ...`, after it
/// ran (sqlx logs on completion, through `tracing`, without bind values).
pub use support::narrate::echo_sqlx_statements as enable_echo;
