//! The engine and the session, the Diesel way.
//!
//! SQLAlchemy's `create_engine(url)` owns a pool of connections; here that is an
//! r2d2 pool of `PgConnection`s. A SQLAlchemy session is a unit of work that
//! commits or rolls back whole; here it is a pooled connection plus
//! `Connection::transaction`, which commits when the closure returns `Ok` and
//! rolls back when it returns `Err` (or panics).

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};

use crate::error::{Error, Result};

/// The engine: a pool of synchronous PostgreSQL connections.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// A connection borrowed from the pool; returned to it on drop.
pub type PooledPg = PooledConnection<ConnectionManager<PgConnection>>;

/// How the pool is sized and how long callers wait.
#[derive(Clone, Copy, Debug)]
pub struct EngineOptions {
    /// Most connections open at once. A synchronous program uses one per
    /// thread doing database work; 8 covers a small thread pool and stays far
    /// below the server's `max_connections`.
    pub max_size: u32,
    /// How long `pool.get()` waits for a free (or new) connection before it
    /// returns an error instead of hanging.
    pub connection_timeout: Duration,
    /// Run `SELECT 1` on each connection as it leaves the pool, replacing
    /// one the server has closed before the caller sees it. Costs one round
    /// trip per checkout (measured in docs/COMPARISON.md); without it the
    /// first query on a dead connection fails (docs/behaviour.md, scenario 5).
    pub test_on_check_out: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
            test_on_check_out: true,
        }
    }
}

/// `create_engine(url)`: builds the pool and opens its first connection, so a
/// bad URL or a server that is down is reported here, not at the first query.
pub fn engine(url: &str, options: EngineOptions) -> Result<PgPool> {
    let pool = Pool::builder()
        .max_size(options.max_size)
        // Open connections only when a caller asks for one. r2d2's default
        // (and any min_idle > 0) refills the pool from background threads; if
        // the program ends while such a thread is inside libpq's login
        // (SCRAM runs in OpenSSL's libcrypto), OpenSSL's exit handler frees
        // what that thread is using and the process dies with SIGSEGV. We saw
        // it in 9 of 60 tours before making this 0 (0 of 100 after).
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        // Check each connection (`SELECT 1`) as it leaves the pool: a backend
        // killed by the server or a restart is then replaced transparently
        // instead of failing the caller's first query.
        .test_on_check_out(options.test_on_check_out)
        .build(ConnectionManager::new(url))
        .map_err(Error::Pool)?;
    // Open the first connection now, so a server that refuses us is reported
    // here rather than at the first query; it stays in the pool for reuse.
    drop(pool.get()?);
    Ok(pool)
}

/// A session: runs `work` in one transaction on a pooled connection. All of
/// it commits, or, if `work` returns an error, none of it does.
pub fn session<T>(pool: &PgPool, work: impl FnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
    let mut pooled = pool.get()?;
    let conn: &mut PgConnection = &mut pooled;
    conn.transaction(work)
}

/// `echo=True`: from now on every new connection prints each SQL statement
/// (with its bind values) before sending it. Turned on by `ECHO=1` or `--echo`.
pub use crate::queries::enable_echo;
