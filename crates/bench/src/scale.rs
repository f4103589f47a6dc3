//! Beyond one pool: get by primary key with 500 concurrent clients, straight
//! to the server (more connections than its `max_connections = 300` allow)
//! and through PgBouncer, and reads on the streaming replica beside the same
//! reads on the primary (docs/SCALING.md).
//!
//! Every crate is asked the same thing through its own engine; a failed
//! operation is counted and the client carries on, so a row shows what the
//! crate does when the server or the pooler says no, not only how fast it
//! goes when nothing does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use devdb::scale::PoolMode;
use heroes_model::Hero;
use serde::{Deserialize, Serialize};

use crate::contenders::BenchResult;
use crate::workloads::nth_id;

/// Clients in the 500-client runs.
pub const CLIENTS: u32 = 500;

/// The crates, in report order.
pub const CRATES: [&str; 4] = ["sync-diesel", "async-diesel", "sqlx-raw", "seaorm-migrate"];

/// One measured run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScaleRow {
    /// The crate.
    pub krate: String,
    /// Where the queries went, e.g. `direct`, `PgBouncer, transaction mode`, `replica`.
    pub route: String,
    /// Concurrent clients (tasks or threads), each one read at a time.
    pub clients: u32,
    /// The engine's pool size (connections it may open).
    pub pool: u32,
    /// Reads completed per second.
    pub per_sec: f64,
    /// Reads that failed during the measured time.
    pub errors: u64,
    /// The first failure's text, if any.
    pub first_error: Option<String>,
    /// What each read is, and any setting the route needs.
    pub how: String,
}

/// How long each run warms up and measures, and with how many clients.
#[derive(Clone, Copy, Debug)]
pub struct ScaleConfig {
    /// Before counting.
    pub warmup: Duration,
    /// Counted.
    pub measure: Duration,
    /// Clients in the "many clients" runs ([`CLIENTS`] in the report).
    pub clients: u32,
}

impl ScaleConfig {
    /// The report's runs.
    pub fn full() -> Self {
        Self {
            warmup: Duration::from_secs(2),
            measure: Duration::from_secs(6),
            clients: CLIENTS,
        }
    }

    /// A smoke run, with 16 clients: it runs beside the test suite, whose
    /// tests need connections of their own.
    pub fn quick() -> Self {
        Self {
            warmup: Duration::from_millis(300),
            measure: Duration::from_millis(700),
            clients: 16,
        }
    }
}

/// One crate's engine, as the scale runs build it.
enum Engine {
    SyncDiesel(sync_diesel::engine::PgPool),
    AsyncDiesel(async_diesel::engine::Engine),
    SqlxRaw(sqlx::PgPool),
    SeaOrm(sea_orm::DatabaseConnection),
}

fn text<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

impl Engine {
    /// `krate`'s engine on `url` with `pool` connections at most, its
    /// statement cache on or off. Builds lazily where the crate can
    /// (the point is to see what happens when clients ask for connections).
    async fn connect(
        krate: &str,
        url: &str,
        pool: u32,
        statement_cache: bool,
    ) -> BenchResult<Self> {
        Ok(match krate {
            "sync-diesel" => {
                let url = url.to_owned();
                let options = sync_diesel::engine::EngineOptions {
                    max_size: pool,
                    statement_cache,
                    ..Default::default()
                };
                Self::SyncDiesel(
                    tokio::task::spawn_blocking(move || sync_diesel::engine::engine(&url, options))
                        .await
                        .map_err(text)?
                        .map_err(text)?,
                )
            }
            "async-diesel" => Self::AsyncDiesel(
                async_diesel::engine::Engine::connect(
                    url,
                    async_diesel::engine::EngineOptions {
                        max_size: pool as usize,
                        statement_cache,
                        ..Default::default()
                    },
                )
                .await
                .map_err(text)?,
            ),
            "sqlx-raw" => Self::SqlxRaw(
                sqlx_raw::engine::engine(
                    url,
                    sqlx_raw::engine::EngineOptions {
                        max_connections: pool,
                        statement_cache,
                        ..Default::default()
                    },
                )
                .await
                .map_err(text)?,
            ),
            "seaorm-migrate" => Self::SeaOrm(
                seaorm_migrate::engine::connect_with(
                    url,
                    seaorm_migrate::engine::EngineOptions {
                        max_connections: pool,
                        statement_cache,
                        ..Default::default()
                    },
                )
                .await
                .map_err(text)?,
            ),
            other => return Err(format!("no crate called {other}")),
        })
    }

    /// One get by primary key on sync-diesel's pool, blocking.
    fn get_blocking(pool: &sync_diesel::engine::PgPool, id: i64) -> Result<Option<Hero>, String> {
        let mut conn = pool.get().map_err(text)?;
        sync_diesel::heroes::get(&mut conn, id).map_err(text)
    }

    /// One get by primary key; `in_transaction` wraps it in BEGIN/COMMIT
    /// (what PgBouncer's transaction mode needs of sqlx, docs/SCALING.md).
    async fn get(&self, id: i64, in_transaction: bool) -> Result<Option<Hero>, String> {
        match self {
            Self::SyncDiesel(pool) => Self::get_blocking(pool, id),
            Self::AsyncDiesel(engine) => {
                let mut conn = engine.get().await.map_err(text)?;
                async_diesel::heroes::get(&mut conn, id).await.map_err(text)
            }
            Self::SqlxRaw(pool) if in_transaction => {
                let mut tx = pool.begin().await.map_err(text)?;
                let hero = sqlx_raw::heroes::get(&mut tx, id).await.map_err(text)?;
                tx.commit().await.map_err(text)?;
                Ok(hero)
            }
            Self::SqlxRaw(pool) => {
                let mut conn = pool.acquire().await.map_err(text)?;
                sqlx_raw::heroes::get(&mut conn, id).await.map_err(text)
            }
            Self::SeaOrm(db) if in_transaction => {
                use sea_orm::TransactionTrait as _;
                let txn = db.begin().await.map_err(text)?;
                let hero = seaorm_migrate::heroes::get(&txn, id).await.map_err(text)?;
                txn.commit().await.map_err(text)?;
                Ok(hero)
            }
            Self::SeaOrm(db) => seaorm_migrate::heroes::get(db, id).await.map_err(text),
        }
    }

    /// Closes every connection, so the next run starts from none.
    async fn close(self) {
        match self {
            Self::SyncDiesel(pool) => drop(pool),
            Self::AsyncDiesel(engine) => drop(engine),
            Self::SqlxRaw(pool) => pool.close().await,
            Self::SeaOrm(db) => {
                let _ = db.close().await;
            }
        }
    }
}

/// What the clients of one run counted.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    errors: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Tally {
    fn count(&self, result: Result<Option<Hero>, String>, counting: bool) {
        match result {
            Ok(_) if counting => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(err) => {
                if counting {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut first) = self.first_error.lock()
                    && first.is_none()
                {
                    *first = Some(err);
                }
            }
        }
    }
}

/// One run: `clients` clients doing get by primary key on `engine` until
/// the deadline, failures counted; a client that failed waits 10 ms before
/// its next read (as a retrying application would, instead of spinning).
async fn run(
    engine: Engine,
    clients: u32,
    in_transaction: bool,
    config: ScaleConfig,
) -> (f64, u64, Option<String>) {
    let engine = Arc::new(engine);
    let tally = Arc::new(Tally::default());
    let measure_from = Instant::now() + config.warmup;
    let stop = measure_from + config.measure;
    if let Engine::SyncDiesel(pool) = &*engine {
        // Blocking Diesel: one OS thread per client, as a threaded server has.
        std::thread::scope(|scope| {
            for client in 0..clients {
                let tally = &tally;
                scope.spawn(move || {
                    let mut k = u64::from(client) * 1_000_003;
                    while Instant::now() < stop {
                        let counting = Instant::now() >= measure_from;
                        let result = Engine::get_blocking(pool, nth_id(k));
                        let failed = result.is_err();
                        tally.count(result, counting);
                        if failed {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        k += 1;
                    }
                });
            }
        });
    } else {
        let mut set = tokio::task::JoinSet::new();
        for client in 0..clients {
            let (engine, tally) = (Arc::clone(&engine), Arc::clone(&tally));
            set.spawn(async move {
                let mut k = u64::from(client) * 1_000_003;
                while Instant::now() < stop {
                    let counting = Instant::now() >= measure_from;
                    let result = engine.get(nth_id(k), in_transaction).await;
                    let failed = result.is_err();
                    tally.count(result, counting);
                    if failed {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    k += 1;
                }
            });
        }
        while set.join_next().await.is_some() {}
    }
    if let Ok(engine) = Arc::try_unwrap(engine) {
        engine.close().await;
    }
    let ok = tally.ok.load(Ordering::Relaxed) as f64;
    let first = tally.first_error.lock().ok().and_then(|f| f.clone());
    (
        ok / config.measure.as_secs_f64(),
        tally.errors.load(Ordering::Relaxed),
        first,
    )
}

/// Where one crate's reads go through PgBouncer, in the best mode it
/// supports for them (docs/SCALING.md): its mode, pool size, statement
/// cache, whether each read needs a transaction, and how to say so.
fn best_pgbouncer(krate: &str, clients: u32) -> (PoolMode, u32, bool, bool, &'static str) {
    match krate {
        "sync-diesel" => (
            PoolMode::Transaction,
            clients,
            false,
            false,
            "transaction mode, statement cache off (unnamed statements)",
        ),
        "async-diesel" => (
            PoolMode::Session,
            8,
            true,
            false,
            "session mode (named statements): the pool must fit PgBouncer's 8",
        ),
        _ => (
            PoolMode::TransactionReset,
            clients,
            false,
            true,
            "transaction mode + server_reset_query_always, statement cache off, each read in BEGIN/COMMIT",
        ),
    }
}

/// Every scale run, for every crate: 500 clients direct with a pool of 500
/// and with the default 8, through PgBouncer in the crate's best mode; and
/// 8 clients (pool 8) on the primary and on the replica. `database` is the
/// data set's database, already loaded on the primary.
pub async fn measure(
    devdb: &devdb::DevDb,
    database: &str,
    config: ScaleConfig,
) -> BenchResult<Vec<ScaleRow>> {
    let primary = devdb.direct_url(database).map_err(text)?;
    let replica = devdb.replica_url(database).map_err(text)?;
    wait_for_rows(&primary, &replica).await?;
    let mut rows = Vec::new();
    for krate in CRATES {
        let many = config.clients;
        let (mode, pool, cache, in_tx, how) = best_pgbouncer(krate, many);
        let through = devdb.pooler_url(database, mode).map_err(text)?;
        let plain = "get by primary key, no transaction".to_owned();
        let runs: [(String, &str, u32, u32, bool, bool, String); 5] = [
            (
                "direct".to_owned(),
                primary.as_str(),
                many,
                many,
                true,
                false,
                plain.clone(),
            ),
            (
                "direct".to_owned(),
                primary.as_str(),
                many,
                8,
                true,
                false,
                plain.clone(),
            ),
            (
                format!(
                    "PgBouncer, {} mode{}",
                    mode.name(),
                    if mode == PoolMode::TransactionReset {
                        " + reset"
                    } else {
                        ""
                    }
                ),
                through.as_str(),
                many,
                pool,
                cache,
                in_tx,
                how.to_owned(),
            ),
            (
                "primary".to_owned(),
                primary.as_str(),
                8,
                8,
                true,
                false,
                plain.clone(),
            ),
            (
                "replica".to_owned(),
                replica.as_str(),
                8,
                8,
                true,
                false,
                plain,
            ),
        ];
        for (route, url, clients, pool, cache, in_tx, how) in runs {
            eprintln!("scale: {krate}, {route}, {clients} clients, pool {pool}");
            let (per_sec, errors, first_error) =
                match Engine::connect(krate, url, pool, cache).await {
                    Ok(engine) => run(engine, clients, in_tx, config).await,
                    Err(err) => (0.0, 0, Some(format!("the engine did not start: {err}"))),
                };
            rows.push(ScaleRow {
                krate: krate.to_owned(),
                route,
                clients,
                pool,
                per_sec,
                errors,
                first_error,
                how,
            });
        }
    }
    Ok(rows)
}

/// Waits (60 s at most) until the replica has every hero the primary has.
async fn wait_for_rows(primary: &str, replica: &str) -> BenchResult<()> {
    let count = async |url: &str| -> BenchResult<i64> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(text)?;
        let task = tokio::spawn(connection);
        let n: i64 = client
            .query_one("SELECT count(*) FROM heroes", &[])
            .await
            .map_err(text)?
            .get(0);
        drop(client);
        let _ = task.await;
        Ok(n)
    };
    let want = count(primary).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let have = count(replica).await.unwrap_or(-1);
        if have == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the replica has {have} heroes, the primary {want}, after 60 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
