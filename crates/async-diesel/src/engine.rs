//! The async engine and session: what `create_async_engine` and
//! `async with get_session() as session:` are in diesel-async.
//!
//! The engine is a deadpool pool of `AsyncPgConnection`s (tokio-postgres
//! underneath, no libpq). The session is [`session`](crate::engine::session): a pooled connection and
//! a transaction around an async closure, committed when it returns `Ok` and
//! rolled back when it returns `Err`.
//!
//! Why deadpool and not bb8: both work with diesel-async, but bb8 has reported
//! spurious `TimedOut` errors under load with diesel-async (diesel-async #99),
//! and deadpool's limits are plain to read: a maximum size and three timeouts
//! (wait, create, recycle).

use std::time::{Duration, Instant};

use deadpool::Runtime;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use crate::error::{Error, Result};

/// How the pool is sized and how long callers wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineOptions {
    /// Most connections open at once (`POOL_SIZE`). Async tasks are cheap and
    /// many; connections are not, so this is what bounds how many tasks talk to
    /// the database at the same moment. The rest wait.
    pub max_size: usize,
    /// How long a task waits for a free connection before it gets
    /// [`Error::PoolExhausted`] (`POOL_TIMEOUT_MS`): a full pool never hangs a caller.
    pub wait_timeout: Duration,
    /// Also run a test query (`SELECT 1`, deadpool's
    /// `RecyclingMethod::Verified`) on each connection as it leaves the
    /// pool: one round trip per checkout. Off by default, because the
    /// default check (`Fast`) already finds a connection the server closed
    /// without a round trip (see [`Engine::connect`]).
    pub verify_on_checkout: bool,
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (diesel-async's default). Off
    /// (`CacheSize::Disabled`), a statement is not kept for reuse; it is still
    /// prepared by name (tokio-postgres' `prepare_typed`), which PgBouncer's
    /// transaction mode cannot carry
    /// (docs/SCALING.md).
    pub statement_cache: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_size: 8,
            wait_timeout: Duration::from_secs(5),
            verify_on_checkout: false,
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

/// The engine: a pool of async connections, plus the limits it was built with
/// (for error messages).
#[derive(Clone)]
pub struct Engine {
    pool: Pool<AsyncPgConnection>,
    options: EngineOptions,
}

/// A connection borrowed from the pool; returned to it on drop.
pub type PooledConnection = Object<AsyncPgConnection>;

impl Engine {
    /// `create_async_engine(url)`: builds the pool and opens its first
    /// connection, so a server that refuses us is reported here.
    pub async fn connect(url: &str, options: EngineOptions) -> Result<Self> {
        if options.max_size == 0 {
            return Err(Error::Usage("POOL_SIZE must be at least 1".to_owned()));
        }
        // Each connection leaving the pool is checked for free: diesel-async
        // asks tokio-postgres' `Client::is_closed()`, which turns true as soon
        // as the connection's background task reads the server's goodbye (a
        // killed backend, a restart). `Fast` adds nothing to that check;
        // `Verified` (diesel-async's default) adds a `SELECT 1` round trip.
        let mut config = ManagerConfig::default();
        config.recycling_method = if options.verify_on_checkout {
            RecyclingMethod::Verified
        } else {
            RecyclingMethod::Fast
        };
        // tokio-postgres reads `connect_timeout` (the TCP connect only),
        // `keepalives` and `options=-c statement_timeout=N` from the URL; the
        // pool's create timeout below bounds the login as well.
        let url = options.deadlines.in_url(url).map_err(Error::Usage)?;
        if !options.statement_cache {
            config.custom_setup = Box::new(|url| {
                Box::pin(async move {
                    use diesel_async::AsyncConnection as _;
                    let mut conn = AsyncPgConnection::establish(url).await?;
                    conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
                    Ok(conn)
                })
            });
        }
        let manager =
            AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
        let pool = Pool::builder(manager)
            .max_size(options.max_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.wait_timeout))
            // Opening one connection (TCP + SCRAM login) takes milliseconds;
            // a connect deadline (5 s by default) means it is not answering.
            .create_timeout(Some(options.deadlines.connect))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| Error::Pool(e.to_string()))?;
        let engine = Self { pool, options };
        drop(engine.get().await?);
        Ok(engine)
    }

    /// A connection from the pool, waiting at most the wait timeout.
    pub async fn get(&self) -> Result<PooledConnection> {
        let began = Instant::now();
        self.pool
            .get()
            .await
            .map_err(|e| Error::from_pool(e, self.options.max_size, began.elapsed()))
    }

    /// The limits the pool was built with.
    pub fn options(&self) -> EngineOptions {
        self.options
    }

    /// Connections currently open (busy or idle).
    pub fn open_connections(&self) -> usize {
        self.pool.status().size
    }

    /// Open, idle and most connections, for the API's `/readyz`.
    pub fn pool_status(&self) -> heroes_api::PoolStatus {
        let status = self.pool.status();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        heroes_api::PoolStatus {
            size: count(status.size),
            idle: count(status.available),
            max_size: count(status.max_size),
        }
    }
}

/// `async with get_session() as session: ...; await session.commit()`:
/// runs `work` in one transaction on a pooled connection. All of it commits,
/// or, if `work` returns an error, none of it does.
///
/// ```no_run
/// # async fn demo(engine: &async_diesel::engine::Engine) -> async_diesel::Result<()> {
/// use async_diesel::{engine::session, heroes};
/// let rows = heroes_model::seed::new_heroes("demo", |_| None);
/// let saved = session(engine, async |conn| heroes::add_all(conn, &rows).await).await?;
/// # Ok(()) }
/// ```
///
/// If `BEGIN` finds the connection closed (the server ended it after the
/// pool's check), nothing of the session has run, so it starts once more on a
/// fresh connection; a connection lost after `BEGIN` fails the session whole.
pub async fn session<R>(
    engine: &Engine,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R>,
) -> Result<R> {
    let mut pooled = engine.get().await?;
    if let Err(err) = AnsiTransactionManager::begin_transaction(&mut *pooled).await {
        if crate::queries::trouble(&err) != crate::queries::Trouble::Unavailable {
            return Err(err.into());
        }
        // The closed connection goes back and the pool drops it (`is_closed`).
        drop(pooled);
        pooled = engine.get().await?;
        AnsiTransactionManager::begin_transaction(&mut *pooled).await?;
    }
    let conn: &mut AsyncPgConnection = &mut pooled;
    match work(conn).await {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(err) => {
            // If even the rollback fails the connection is unusable; the pool
            // sees the open transaction when it is returned and discards it.
            let _ = AnsiTransactionManager::rollback_transaction(conn).await;
            Err(err)
        }
    }
}

/// `echo=True`: from now on every new connection prints each SQL statement
/// (with its bind values) before sending it. Turned on by `ECHO=1` or `--echo`.
pub use crate::queries::enable_echo;
