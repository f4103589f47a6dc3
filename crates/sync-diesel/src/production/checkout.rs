//! Opening and checking the pool's connections.
//!
//! - **No ping on every checkout.** r2d2's `test_on_check_out` with diesel's
//!   own check sends `SELECT 1` as each connection leaves the pool: one more
//!   round trip per use (the measured comparison's "(before)" rows). A libpq
//!   connection the server closed looks healthy until an operation on it
//!   fails, so asking costs a round trip; but once one has failed, diesel
//!   marks the connection broken and r2d2 drops it as it comes back. So
//!   [`Manager`] pings only a connection idle for [`PING_IF_IDLE_FOR`]
//!   (HikariCP's `aliveBypassWindowMs`, same value), and a connection killed
//!   within that window is caught when `BEGIN` fails on it: nothing has run,
//!   so [`crate::production::session`] begins once more ([`lost_before_begin`]).
//!   Conformance scenarios 5, 7 and 12 kill backends under the pool.
//! - **Connections opened on demand only** (`min_idle(Some(0))` in
//!   [`crate::production::pool`]). With r2d2's default, pool threads open connections
//!   in the background; a program that ends while one of them is inside
//!   libpq's SCRAM login (OpenSSL) is torn down under it by OpenSSL's exit
//!   handler and dies with SIGSEGV. The binary tests end the program right
//!   after its work many times (tour, migrate, bad input) and would see it.

use std::time::{Duration, Instant};

use diesel::Connection as _;
use diesel::connection::{CacheSize, Instrumentation, InstrumentationEvent};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection};

use super::Settings;
use crate::error::Error;

/// A connection idle in the pool at least this long gets a `SELECT 1` before
/// it is handed out.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// How the pool opens and checks connections: diesel's `ConnectionManager`,
/// plus a note on each connection of when it came back to the pool.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    ping_always: bool,
    statement_cache: bool,
}

impl Manager {
    /// Opens connections to `url` with the checks `settings` ask for.
    pub fn new(url: &str, settings: &Settings) -> Self {
        Self {
            inner: ConnectionManager::new(url),
            ping_always: settings.ping_every_checkout,
            statement_cache: settings.statement_cache,
        }
    }
}

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        let mut conn = self.inner.connect()?;
        if !self.statement_cache {
            // Unnamed statements, for PgBouncer's transaction mode (super::pooler).
            conn.set_prepared_statement_cache_size(CacheSize::Disabled);
        }
        conn.set_instrumentation(PoolNotes {
            returned: Instant::now(),
            // Whatever new connections get besides (the echo, when it is on).
            then: diesel::connection::get_default_instrumentation(),
        });
        Ok(conn)
    }

    // ANCHOR: is_valid
    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        let idle_for = PoolNotes::of(conn).map(|notes| notes.returned.elapsed());
        // No notes (someone replaced the instrumentation): always ping.
        if self.ping_always || idle_for.is_none_or(|idle| idle >= PING_IF_IDLE_FOR) {
            self.inner.is_valid(conn)?;
        }
        Ok(())
    }
    // ANCHOR_END: is_valid

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        // r2d2 asks this as the connection comes back to the pool.
        if let Some(notes) = PoolNotes::of(conn) {
            notes.returned = Instant::now();
        }
        // A panicking thread, or a transaction manager in error: diesel's
        // answer, which covers a connection the server has closed.
        self.inner.has_broken(conn)
    }
}

/// What the pool keeps on each connection, as its diesel instrumentation
/// (the one per-connection slot diesel offers); it passes every event on.
struct PoolNotes {
    returned: Instant,
    then: Option<Box<dyn Instrumentation>>,
}

impl PoolNotes {
    fn of(conn: &mut PgConnection) -> Option<&mut Self> {
        conn.instrumentation().downcast_mut::<Self>()
    }
}

impl Instrumentation for PoolNotes {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let Some(then) = &mut self.then {
            then.on_connection_event(event);
        }
    }
}

/// Whether a session failed at `BEGIN` because the connection was already
/// gone (closed, or the server ending sessions).
pub fn lost_before_begin(err: &Error) -> bool {
    matches!(err, Error::Database(db)
        if support::diesel::trouble(db) == support::diesel::Trouble::Unavailable)
}
