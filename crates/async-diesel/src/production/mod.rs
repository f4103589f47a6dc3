//! What a deployment adds to the lesson: [`pool`](crate::production::pool) and [`session`](crate::production::session) are the
//! lesson's `db::pool` and `conn.transaction(..)` with it, and `serve` runs
//! on them. Each piece:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (tokio-postgres' `is_closed`, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): the login deadline and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): `migrate plan`, and migrations from other sources;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`export`](crate::production::export): streaming an export to a client that may leave.

pub mod checkout;
pub mod deadlines;
pub mod export;
pub mod migrations;
pub mod pooler;
pub mod replica;

use std::time::{Duration, Instant};

use deadpool::Runtime;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use crate::db::{self, PooledConnection};
use crate::error::{Error, Result};

/// The pool's manager: how it opens and checks connections.
pub type Manager = AsyncDieselConnectionManager<AsyncPgConnection>;

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

/// The engine [`pool`] builds: diesel-async's deadpool pool, with the
/// settings it was built with (for its error messages and `/readyz`).
#[derive(Clone)]
pub struct Pool {
    inner: db::Pool,
    settings: db::Settings,
}

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
    pub fn settings(&self) -> db::Settings {
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

// ANCHOR: pool
/// [`crate::db::pool`] with what a deployment adds: the deadlines in the URL
/// ([`deadlines::in_url`]), no round trip on checkout and the statement cache
/// setting ([`checkout::manager_config`]), the login bounded by the connect
/// deadline and a bounded check on the way out of the pool. `serve` runs on
/// this pool.
pub async fn pool(url: &str, settings: &db::Settings, production: &Settings) -> Result<Pool> {
    let url = deadlines::in_url(url, production)?;
    let manager = Manager::new_with_config(url, checkout::manager_config(production));
    let inner = db::Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(production.deadlines.connect))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Pool(e.to_string()))?;
    let pool = Pool {
        inner,
        settings: *settings,
    };
    drop(pool.get().await?); // the first connection now, so a bad URL fails here
    Ok(pool)
}
// ANCHOR_END: pool

// ANCHOR: session
/// diesel-async's `conn.transaction(async |conn| {..})`,
/// written out with its transaction manager so that a `BEGIN` that finds
/// its connection closed by the server while it sat in the pool begins once
/// more on a fresh one: `work` has not run, so nothing can run twice
/// ([`checkout::lost_before_begin`]). Nothing after `BEGIN` is retried.
pub async fn session<R>(
    pool: &Pool,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<R>,
) -> Result<R> {
    let mut conn = pool.get().await?;
    if let Err(err) = AnsiTransactionManager::begin_transaction(&mut *conn).await {
        if !checkout::lost_before_begin(&err) {
            return Err(err.into());
        }
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
