//! The async engine and session: what `create_async_engine` and
//! `async with get_session() as session:` are in diesel-async.
//!
//! The engine is a deadpool pool of `AsyncPgConnection`s (tokio-postgres
//! underneath, no libpq). The session is diesel-async's own
//! `conn.transaction(async |conn| {..})` on a pooled
//! connection, committed when the block returns `Ok` and rolled back when it
//! returns `Err`; the tour shows it.
//!
//! diesel-async offers deadpool, bb8 and mobc behind features; this crate
//! takes deadpool, whose limits are plain to read: a maximum size and three
//! timeouts (wait, create, recycle).
//!
//! This is the library's plain idiom, which the tour runs. `serve` builds its
//! pool with [`crate::production::pool`] instead: the same pool with what a
//! deployment adds, and [`crate::production::session`].

use std::time::Duration;

use deadpool::Runtime;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;

use crate::error::Result;

/// The engine: a deadpool pool of async connections, diesel-async's own.
pub type Pool = diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection>;

/// A connection borrowed from the pool; it goes back when dropped.
pub type PooledConnection = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

// ANCHOR: pool
/// `create_async_engine(url, pool_size=8, pool_timeout=5)`: diesel-async's
/// own idiom, a deadpool pool around `AsyncDieselConnectionManager`. deadpool
/// opens connections when first asked for one, so the first is asked for
/// here: a wrong URL or a server that is down is reported now, not at the
/// first query. Its timeouts need a runtime to run on.
pub async fn pool(url: &str, settings: &Settings) -> Result<Pool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout)) // waiting for a free connection
        .create_timeout(Some(settings.wait_timeout)) // opening one, login included
        .runtime(Runtime::Tokio1)
        .build()?;
    drop(pool.get().await?);
    Ok(pool)
}
// ANCHOR_END: pool

/// How the pool is sized and how long a caller waits: what
/// `create_async_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (`POOL_SIZE`; SQLAlchemy's
    /// `pool_size`). Async tasks are cheap and many; connections are not,
    /// so this bounds how many tasks talk to the database at once.
    pub max_size: usize,
    /// How long a task waits for a free connection before it gets
    /// a pool time-out (`POOL_TIMEOUT_MS`; SQLAlchemy's
    /// `pool_timeout`).
    pub wait_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_size: 8,
            wait_timeout: Duration::from_secs(5),
        }
    }
}

impl Settings {
    /// One connection: the pool migrations run on (their lock is a session
    /// lock, held by one connection).
    pub fn one_connection() -> Self {
        Self {
            max_size: 1,
            ..Self::default()
        }
    }
}

/// `echo=True`: from now on every new connection prints each SQL statement
/// (with its bind values) before sending it. Turned on by `ECHO=1` or `--echo`.
pub use support::diesel::enable_echo;
