//! The engine and the session, the Diesel way.
//!
//! SQLAlchemy's `create_engine(url)` owns a pool of connections; here that is
//! an r2d2 pool of diesel `PgConnection`s (libpq underneath, like psycopg2).
//! A SQLAlchemy session is a unit of work that commits or rolls back whole;
//! here it is `conn.transaction(|conn| ...)` on a pooled connection, which
//! commits when the closure returns `Ok` and rolls back when it returns `Err`
//! (or panics); the tour shows it.
//!
//! This is the library's plain idiom, which the tour runs. `serve` builds its
//! pool with [`crate::production::pool`] instead: the same r2d2 pool with
//! what a deployment adds, and [`crate::production::session`].

use std::time::Duration;

use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager};

use crate::error::Result;

/// The engine: an r2d2 pool of diesel `PgConnection`s.
pub type Pool = r2d2::Pool<ConnectionManager<PgConnection>>;

// ANCHOR: pool
/// `create_engine(url, pool_size=8, pool_timeout=5)`: Diesel's own idiom, an
/// r2d2 pool around `ConnectionManager`. `build` opens the pool's
/// connections now (r2d2 keeps `max_size` open unless `min_idle` says less),
/// so a wrong URL or a server that is down is reported here; r2d2 gives up
/// after `connection_timeout`.
pub fn pool(url: &str, settings: &Settings) -> Result<Pool> {
    let pool = Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.connection_timeout)
        .build(ConnectionManager::new(url))?;
    Ok(pool)
}
// ANCHOR_END: pool

/// How the pool is sized and how long a caller waits: what
/// `create_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (SQLAlchemy's `pool_size`). A blocking
    /// program uses one per thread doing database work; 8 covers a small
    /// thread pool and stays far below the server's `max_connections`.
    pub max_size: u32,
    /// How long `pool.get()` waits for a free (or new) connection before it
    /// returns an error (SQLAlchemy's `pool_timeout`).
    pub connection_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
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
