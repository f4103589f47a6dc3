//! What a deployment adds to the lesson: [`pool`](crate::production::pool) and [`session`](crate::production::session) are the
//! lesson's `db::pool` and `conn.transaction(..)` with it, and `serve` runs
//! on them. Each piece:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out; connections opened on demand only;
//! - [`deadlines`](crate::production::deadlines): libpq's login deadline and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): `migrate plan`, and migrations from other sources;
//! - [`blocking`](crate::production::blocking): a blocking call from an async server, cancelled safely;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`export`](crate::production::export): streaming an export to a client that may leave.

pub mod blocking;
pub mod checkout;
pub mod deadlines;
pub mod export;
pub mod migrations;
pub mod pooler;
pub mod replica;

use diesel::prelude::*;
use diesel::r2d2;

use crate::db;
use crate::error::{Error, Result};

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

/// The engine [`pool`] builds: an r2d2 pool opened and checked by
/// [`checkout::Manager`].
pub type Pool = r2d2::Pool<checkout::Manager>;

/// A connection borrowed from [`Pool`]; it goes back when dropped.
pub type PooledConnection = r2d2::PooledConnection<checkout::Manager>;

// ANCHOR: pool
/// [`crate::production::pool`] with what a deployment adds: the deadlines in the URL
/// libpq reads ([`deadlines::in_url`]), connections opened on demand only and
/// checked without a round trip ([`checkout::Manager`]), and the first
/// connection opened at once ([`deadlines::open_first_connection`]), so that
/// a wrong URL or a server that is down is reported at start-up. `serve`
/// runs on this pool.
pub fn pool(url: &str, settings: &db::Settings, production: &Settings) -> Result<Pool> {
    let url = deadlines::in_url(url, production)?;
    let pool = Pool::builder()
        .max_size(settings.max_size)
        .connection_timeout(settings.connection_timeout)
        .min_idle(Some(0)) // opened by the caller that needs one: see checkout
        .test_on_check_out(true) // asks the manager, which pings only after an idle spell
        .build(checkout::Manager::new(&url, production))
        .map_err(Error::Pool)?;
    deadlines::open_first_connection(&pool, production)?;
    Ok(pool)
}
// ANCHOR_END: pool

// ANCHOR: session
/// `pool.get()?.transaction(work)`, once more when `BEGIN` finds its
/// connection closed by the server while it sat in the pool: `work` never
/// ran, so nothing can run twice ([`checkout::lost_before_begin`]). Nothing
/// after `BEGIN` is retried.
pub fn session<T>(pool: &Pool, work: impl FnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
    let mut work = Some(work);
    let first = pool.get()?.transaction(|conn| run_once(&mut work, conn));
    match first {
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
