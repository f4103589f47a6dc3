//! The engine and the session, the Diesel way.
//!
//! SQLAlchemy's `create_engine(url)` owns a pool of connections; here that is
//! an r2d2 pool of diesel `PgConnection`s (libpq underneath, like psycopg2).
//! A SQLAlchemy session is a unit of work that commits or rolls back whole;
//! here it is `conn.transaction(|conn| ...)` on a pooled connection, which
//! commits when the closure returns `Ok` and rolls back when it returns `Err`
//! (or panics).

use std::time::Duration;

use diesel::prelude::*;
use diesel::r2d2;

use crate::error::{Error, Result};
use crate::production::{self, checkout};

/// The engine: an r2d2 pool of `PgConnection`s, opened and checked by
/// [`checkout::Manager`].
pub type Pool = r2d2::Pool<checkout::Manager>;

/// A connection borrowed from the pool; it goes back when dropped.
pub type PooledConnection = r2d2::PooledConnection<checkout::Manager>;

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
    /// What a deployment adds: deadlines, the statement cache, the checkout
    /// check ([`production::Settings`]).
    pub production: production::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
            production: production::Settings::from_env(),
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

// ANCHOR: pool
/// `create_engine(url)`: a pool of connections to `url`. Its first
/// connection is opened here, so a wrong URL or a server that is down is
/// reported now rather than at the first query.
pub fn pool(url: &str, settings: &Settings) -> Result<Pool> {
    let builder = Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.connection_timeout);
    // `builder.build(ConnectionManager::new(url))`, with what a deployment
    // adds (production::build).
    production::build(builder, url, &settings.production)
}
// ANCHOR_END: pool

// ANCHOR: session
/// `with Session(engine) as session, session.begin():` runs `work` in one
/// transaction on a pooled connection: all of it commits, or, if `work`
/// returns an error, none of it does.
pub fn session<T>(pool: &Pool, work: impl FnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
    let mut work = Some(work);
    let first = pool.get()?.transaction(|conn| run_once(&mut work, conn));
    match first {
        // `BEGIN` found the connection closed by the server while it sat in
        // the pool, so `work` never ran: once more (production::checkout).
        Err(err) if work.is_some() && checkout::lost_before_begin(&err) => {
            pool.get()?.transaction(|conn| run_once(&mut work, conn))
        }
        done => done,
    }
}
// ANCHOR_END: session

/// Runs the unit of work if it has not run yet.
fn run_once<T>(
    work: &mut Option<impl FnOnce(&mut PgConnection) -> Result<T>>,
    conn: &mut PgConnection,
) -> Result<T> {
    let work = work
        .take()
        .ok_or_else(|| Error::Internal("a session's work ran twice".to_owned()))?;
    work(conn)
}

/// `echo=True`: from now on every new connection prints each SQL statement
/// (with its bind values) before sending it. Turned on by `ECHO=1` or `--echo`.
pub use support::diesel::enable_echo;
