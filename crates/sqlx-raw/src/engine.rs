//! The engine and the session, the sqlx way: `PgPool` is the engine, and a
//! transaction from `pool.begin()` is the session. A sqlx `Transaction`
//! commits only when you call `commit()`; dropped without it (an early `?`
//! return, a panic), it rolls back. That is the session's "all or nothing"
//! without a closure.

use std::time::Duration;

use std::str::FromStr as _;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, Postgres, Transaction};

use crate::error::Result;

/// A connection idle in the pool at least this long is pinged before it is
/// handed out (HikariCP's `aliveBypassWindowMs` is the same idea, at 500 ms):
/// connections in steady use skip the round trip, and one that sat long
/// enough for a firewall or the server to drop it is checked first.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// How the pool is sized and how long callers wait.
#[derive(Clone, Copy, Debug)]
pub struct EngineOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long `acquire()`/`begin()` wait for a connection before failing
    /// with a pool time-out, instead of hanging.
    pub acquire_timeout: Duration,
    /// Ping every connection as it leaves the pool (sqlx's own default):
    /// one round trip per checkout. Off here: only connections idle for
    /// [`PING_IF_IDLE_FOR`] are pinged, and [`begin`] covers the rest.
    pub test_before_acquire: bool,
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (sqlx's default: 100). Off
    /// (`statement_cache_capacity(0)`), sqlx 0.9.0 still prepares each
    /// statement by name and never closes it (sqlx #3850), which PgBouncer's
    /// transaction mode cannot carry
    /// (docs/SCALING.md).
    pub statement_cache: bool,
}

impl EngineOptions {
    /// One connection: the engine migrations run on (they hold a session
    /// lock, so they need one connection straight to the server).
    pub fn one_connection() -> Self {
        Self {
            max_connections: 1,
            ..Self::default()
        }
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            test_before_acquire: false,
            deadlines: support::deadlines::Deadlines::from_env_or_default(),
            // STATEMENT_CACHE=off; a bad value stopped the program earlier (devdb).
            statement_cache: support::statement_cache_from_env().unwrap_or(true),
        }
    }
}

/// `create_async_engine(url)`: builds the pool and opens its first connection,
/// so a server that refuses us is reported here rather than at the first query.
pub async fn engine(url: &str, options: EngineOptions) -> Result<PgPool> {
    let mut connect = PgConnectOptions::from_str(url)?;
    if !options.statement_cache {
        connect = connect.statement_cache_capacity(0);
    }
    if let Some(limit) = options.deadlines.statement {
        // Sent at login: the server cancels any statement running longer.
        connect = connect.options([("statement_timeout", limit.as_millis().to_string())]);
    }
    let mut pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(options.test_before_acquire);
    if !options.test_before_acquire {
        // sqlx already pings each connection as it comes back to the pool
        // (sqlx 0.9 always does), so only one that then sat idle needs a
        // check before reuse.
        pool = pool.before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?; // an error: sqlx drops it, opens another
                }
                Ok(true)
            })
        });
    }
    let pool = pool.connect_lazy_with(connect);
    // sqlx has no login deadline of its own (its acquire timeout bounds
    // waiting for a connection, not an open in progress), so the first
    // connection is opened under the connect deadline here.
    match tokio::time::timeout(options.deadlines.connect, pool.acquire()).await {
        Ok(first) => drop(first?),
        Err(_) => return Err(crate::error::Error::NoAnswer(options.deadlines.connect)),
    }
    Ok(pool)
}

/// `session.begin()`: `pool.begin()`, once more on a fresh connection if the
/// first one turns out closed (the server ended it while it sat in the pool
/// for less than [`PING_IF_IDLE_FOR`]). Nothing of the transaction has run
/// when `BEGIN` fails, so the retry cannot do anything twice; a connection
/// lost after `BEGIN` fails the transaction whole, and is not retried.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    match pool.begin().await {
        // A socket error, or SQLSTATE class 08, 57P01, 57P02.
        Err(err) if support::sqlx_connection_lost(&err) => Ok(pool.begin().await?),
        other => Ok(other?),
    }
}

/// `echo=True`: prints every statement sqlx runs, as `SQL> ...`, after it
/// ran (sqlx logs on completion, through `tracing`, without bind values).
pub use support::narrate::echo_sqlx_statements as enable_echo;
