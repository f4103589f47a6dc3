//! The async engine and session: what `create_async_engine` and
//! `async with get_session() as session:` are in diesel-async.
//!
//! The engine is a deadpool pool of `AsyncPgConnection`s (tokio-postgres
//! underneath, no libpq). The session is [`session`](crate::db::session): a
//! pooled connection and a transaction around an async closure, committed
//! when it returns `Ok` and rolled back when it returns `Err`.
//!
//! Why deadpool and not bb8: both work with diesel-async, but bb8 has
//! reported spurious `TimedOut` errors under load with diesel-async
//! (diesel-async #99), and deadpool's limits are plain to read: a maximum
//! size and three timeouts (wait, create, recycle).

use std::time::{Duration, Instant};

use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use crate::error::{Error, Result};
use crate::production::{self, checkout};

/// How the pool is sized and how long a caller waits: what
/// `create_async_engine(url, pool_size=.., pool_timeout=..)` sets.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Most connections open at once (`POOL_SIZE`; SQLAlchemy's
    /// `pool_size`). Async tasks are cheap and many; connections are not,
    /// so this bounds how many tasks talk to the database at once.
    pub max_size: usize,
    /// How long a task waits for a free connection before it gets
    /// [`Error::PoolExhausted`] (`POOL_TIMEOUT_MS`; SQLAlchemy's
    /// `pool_timeout`).
    pub wait_timeout: Duration,
    /// What a deployment adds: deadlines, the statement cache, the checkout
    /// check ([`production::Settings`]).
    pub production: production::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_size: 8,
            wait_timeout: Duration::from_secs(5),
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

/// The engine: a deadpool pool of async connections, and the settings it
/// was built with (for error messages).
#[derive(Clone)]
pub struct Pool {
    inner: deadpool::managed::Pool<AsyncDieselConnectionManager<AsyncPgConnection>>,
    settings: Settings,
}

/// A connection borrowed from the pool; it goes back when dropped.
pub type PooledConnection = Object<AsyncPgConnection>;

// ANCHOR: pool
/// `create_async_engine(url)`: a pool of connections to `url`. Its first
/// connection is opened here, so a wrong URL or a server that is down is
/// reported now rather than at the first query.
pub async fn pool(url: &str, settings: &Settings) -> Result<Pool> {
    if settings.max_size == 0 {
        return Err(Error::Usage("POOL_SIZE must be at least 1".to_owned()));
    }
    // `AsyncDieselConnectionManager::new(url)`, checked and bounded (production::manager).
    let manager = production::manager(url, &settings.production)?;
    let builder = deadpool::managed::Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout));
    // `builder.build()`, with what a deployment adds (production::build).
    let inner = production::build(builder, &settings.production)?;
    let pool = Pool {
        inner,
        settings: *settings,
    };
    drop(pool.get().await?); // the first connection now, so a bad URL fails here
    Ok(pool)
}
// ANCHOR_END: pool

impl Pool {
    /// A connection from the pool, waiting at most the wait timeout.
    pub async fn get(&self) -> Result<PooledConnection> {
        let began = Instant::now();
        self.inner
            .get()
            .await
            .map_err(|e| Error::from_pool(e, self.settings.max_size, began.elapsed()))
    }

    /// The settings the pool was built with.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Connections currently open (busy or idle).
    pub fn open_connections(&self) -> usize {
        self.inner.status().size
    }

    /// Open, idle and most connections, for the API's `/readyz`.
    pub fn pool_status(&self) -> heroes_api::PoolStatus {
        let status = self.inner.status();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        heroes_api::PoolStatus {
            size: count(status.size),
            idle: count(status.available),
            max_size: count(status.max_size),
        }
    }
}

// ANCHOR: session
/// `async with get_session() as session: ...; await session.commit()`: runs
/// `work` in one transaction on a pooled connection. All of it commits, or,
/// if `work` returns an error, none of it does. diesel-async's own
/// `conn.transaction(|conn| async {..}.scope_boxed())` does the same; it is
/// written out here to begin once more on a connection found closed.
pub async fn session<R>(
    pool: &Pool,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R>,
) -> Result<R> {
    let mut conn = pool.get().await?;
    if let Err(err) = AnsiTransactionManager::begin_transaction(&mut *conn).await {
        if !checkout::lost_before_begin(&err) {
            return Err(err.into());
        }
        // Closed by the server after the pool's check: nothing has run, so
        // begin once more on a fresh connection (production::checkout).
        drop(conn);
        conn = pool.get().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn).await?;
    }
    match work(&mut conn).await {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(&mut *conn).await?;
            Ok(value)
        }
        Err(err) => {
            // If even the rollback fails, the pool sees the open transaction
            // when the connection comes back and discards it.
            let _ = AnsiTransactionManager::rollback_transaction(&mut *conn).await;
            Err(err)
        }
    }
}
// ANCHOR_END: session

/// `echo=True`: from now on every new connection prints each SQL statement
/// (with its bind values) before sending it. Turned on by `ECHO=1` or `--echo`.
pub use support::diesel::enable_echo;
