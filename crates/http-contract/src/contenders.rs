//! The four example crates, each connected the way its `serve` does it:
//! its own pool, then its own migrations to head.

use crate::{Contender, PoolConfig};

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// sync-diesel: r2d2 over libpq, queries on tokio's blocking threads.
pub struct SyncDiesel;

impl Contender for SyncDiesel {
    const NAME: &'static str = sync_diesel::APP_SRC;
    type Store = sync_diesel::api::Store;

    async fn connect(url: &str, pool: PoolConfig) -> Result<Self::Store, String> {
        let url = url.to_owned();
        tokio::task::spawn_blocking(move || {
            let pool = sync_diesel::production::pool(&url, &pool.sync_diesel(), &pool.production())
                .map_err(text)?;
            sync_diesel::migrate::up(&mut *pool.get().map_err(text)?).map_err(text)?;
            Ok(sync_diesel::api::Store::new(pool))
        })
        .await
        .map_err(text)?
    }
}

/// async-diesel: diesel-async with deadpool.
pub struct AsyncDiesel;

impl Contender for AsyncDiesel {
    const NAME: &'static str = async_diesel::APP_SRC;
    type Store = async_diesel::api::Store;

    async fn connect(url: &str, pool: PoolConfig) -> Result<Self::Store, String> {
        let pool = async_diesel::production::pool(url, &pool.async_diesel(), &pool.production())
            .await
            .map_err(text)?;
        let conn = pool.get().await.map_err(text)?;
        // The harness is synchronous (it drives the async connection itself).
        tokio::task::spawn_blocking(move || async_diesel::migrate::up(conn))
            .await
            .map_err(text)?
            .map_err(text)?;
        Ok(async_diesel::api::Store::new(pool))
    }
}

/// sqlx-raw: `PgPool`.
pub struct SqlxRaw;

impl Contender for SqlxRaw {
    const NAME: &'static str = sqlx_raw::APP_SRC;
    type Store = sqlx_raw::api::Store;

    async fn connect(url: &str, pool: PoolConfig) -> Result<Self::Store, String> {
        let pg = sqlx_raw::production::pool(url, &pool.sqlx_raw(), &pool.production())
            .await
            .map_err(text)?;
        sqlx_raw::migrate::up(&pg).await.map_err(text)?;
        Ok(sqlx_raw::api::Store::new(pg))
    }
}

/// seaorm-migrate: `DatabaseConnection`.
pub struct SeaOrm;

impl Contender for SeaOrm {
    const NAME: &'static str = seaorm_migrate::APP_SRC;
    type Store = seaorm_migrate::api::Store;

    async fn connect(url: &str, pool: PoolConfig) -> Result<Self::Store, String> {
        let db = seaorm_migrate::production::pool(url, &pool.seaorm(), &pool.production())
            .await
            .map_err(text)?;
        seaorm_migrate::migrate::up(&db, None).await.map_err(text)?;
        Ok(seaorm_migrate::api::Store::new(db))
    }
}
