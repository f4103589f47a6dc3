//! The engine and the session, the Diesel way.
//!
//! SQLAlchemy's `create_engine(url)` owns a pool of connections; here that is an
//! r2d2 pool of `PgConnection`s. A SQLAlchemy session is a unit of work that
//! commits or rolls back whole; here it is a pooled connection plus
//! `Connection::transaction`, which commits when the closure returns `Ok` and
//! rolls back when it returns `Err` (or panics).

use std::time::{Duration, Instant};

use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, TransactionManager,
};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection};

use crate::error::{Error, Result};

/// The engine: a pool of synchronous PostgreSQL connections.
pub type PgPool = Pool<Manager>;

/// A connection borrowed from the pool; returned to it on drop.
pub type PooledPg = PooledConnection<Manager>;

/// A connection idle in the pool at least this long gets a `SELECT 1` before
/// it is handed out (HikariCP's `aliveBypassWindowMs` is the same idea, at
/// 500 ms): connections in steady use skip the round trip.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

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
    /// Run `SELECT 1` on every connection as it leaves the pool (r2d2's
    /// `test_on_check_out` with diesel's own check): one round trip per
    /// checkout (measured in docs/COMPARISON.md). Off by default: only
    /// connections idle for [`PING_IF_IDLE_FOR`] are tested, a connection
    /// seen to fail is dropped, and [`session`] covers the rest.
    pub test_on_check_out: bool,
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`), passed to libpq as URL parameters.
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (diesel's default). Off
    /// (`CacheSize::Disabled`), diesel sends each query as an unnamed statement
    /// in one round trip, which is
    /// what PgBouncer's transaction mode needs of the libraries that can
    /// (docs/SCALING.md).
    pub statement_cache: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
            test_on_check_out: false,
            deadlines: support::deadlines::Deadlines::from_env_or_default(),
            // STATEMENT_CACHE=off; a bad value stopped the program earlier (devdb).
            statement_cache: support::statement_cache_from_env().unwrap_or(true),
        }
    }
}

impl EngineOptions {
    /// One connection: the engine migrations run on (they hold a session
    /// lock, so they need one connection straight to the server).
    pub fn one_connection() -> Self {
        Self {
            max_size: 1,
            ..Self::default()
        }
    }
}

/// `create_engine(url)`: builds the pool and opens its first connection, so a
/// bad URL or a server that is down is reported here, not at the first query.
pub fn engine(url: &str, options: EngineOptions) -> Result<PgPool> {
    // libpq reads `connect_timeout` (TCP connect and login), `keepalives` and
    // `options=-c statement_timeout=N` from the URL.
    let url = options.deadlines.in_url(url).map_err(Error::Usage)?;
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
        // r2d2 asks `Manager::is_valid` about each connection leaving the
        // pool; ours answers without a round trip unless it sat idle.
        .test_on_check_out(true)
        .build(Manager {
            inner: ConnectionManager::new(url),
            ping_always: options.test_on_check_out,
            statement_cache: options.statement_cache,
        })
        .map_err(Error::Pool)?;
    // Open the first connection now, so a server that refuses us is reported
    // here rather than at the first query; it stays in the pool for reuse.
    // (libpq gives up on a silent server after `connect_timeout`; r2d2 would
    // try again until its own timeout, so the first wait is the deadline.)
    drop(pool.get_timeout(options.deadlines.connect + Duration::from_millis(500))?);
    Ok(pool)
}

/// A session: runs `work` in one transaction on a pooled connection. All of
/// it commits, or, if `work` returns an error, none of it does
/// (`conn.transaction(work)` does the same on a connection you hold).
///
/// If `BEGIN` finds the connection closed (the server ended it while it sat
/// in the pool), nothing of the session has run, so it starts once more on a
/// fresh connection; a connection lost after `BEGIN` fails the session whole.
pub fn session<T>(pool: &PgPool, work: impl FnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
    let mut pooled = pool.get()?;
    if let Err(err) = AnsiTransactionManager::begin_transaction(&mut *pooled) {
        if crate::queries::trouble(&err) != crate::queries::Trouble::Unavailable {
            return Err(err.into());
        }
        drop(pooled); // marked lost: the pool drops it
        pooled = pool.get()?;
        AnsiTransactionManager::begin_transaction(&mut *pooled)?;
    }
    let conn: &mut PgConnection = &mut pooled;
    match work(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            // If even the rollback fails, the transaction manager says the
            // connection is broken and the pool discards it.
            let _ = AnsiTransactionManager::rollback_transaction(conn);
            Err(err)
        }
    }
}

/// How the pool opens and checks connections: diesel's `ConnectionManager`,
/// plus what libpq cannot tell cheaply. A libpq connection the server closed
/// looks healthy until an operation on it fails (`PQstatus` changes only
/// then), so asking costs a round trip. Once one has failed, diesel itself
/// marks the connection broken (its transaction manager reads libpq's
/// status after every statement) and r2d2 drops it as it comes back. What
/// is added here: each connection carries a small [`Instrumentation`] that
/// notes when it came back to the pool, so that only one idle for
/// [`PING_IF_IDLE_FOR`] is pinged on its way out.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    ping_always: bool,
    statement_cache: bool,
}

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<PgConnection, Self::Error> {
        let mut conn = self.inner.connect()?;
        if !self.statement_cache {
            conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
        }
        conn.set_instrumentation(PoolNotes {
            returned: Instant::now(),
            // Whatever new connections get besides (the echo, when it is on).
            then: diesel::connection::get_default_instrumentation(),
        });
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut PgConnection) -> std::result::Result<(), Self::Error> {
        let idle_for = PoolNotes::of(conn).map(|notes| notes.returned.elapsed());
        // No notes (someone replaced the instrumentation): always ping.
        if self.ping_always || idle_for.is_none_or(|idle| idle >= PING_IF_IDLE_FOR) {
            self.inner.is_valid(conn)?;
        }
        Ok(())
    }

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

/// `echo=True`: from now on every new connection prints each SQL statement
/// (with its bind values) before sending it. Turned on by `ECHO=1` or `--echo`.
pub use crate::queries::enable_echo;
