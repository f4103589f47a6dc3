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
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
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
        .test_before_acquire(true)
        .connect(url)
        .await?)
}

/// `echo=True`: prints every statement sqlx runs, as `SQL> ...`, after it
/// ran (sqlx logs on completion, through `tracing`, without bind values).
pub use heroes_model::narrate::echo_sqlx_statements as enable_echo;
