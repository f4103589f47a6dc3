//! Beyond one pool: get by primary key with 500 concurrent clients, straight
//! to the server (more connections than its `max_connections = 300` allow)
//! and through PgBouncer, and reads on the streaming replica beside the same
//! reads on the primary (book/src/scaling.md).
//!
//! Every crate is asked the same thing through its own engine; a failed
//! operation is counted and the client carries on, so a row shows what the
//! crate does when the server or the pooler says no, not only how fast it
//! goes when nothing does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use devdb::scale::PoolMode;
use serde::{Deserialize, Serialize};

use crate::contenders::{BenchResult, Pool, Rust, text};
use crate::workloads::{Workload, nth_id};

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

/// One get by primary key (the `k`-th id) on `rust`; `in_transaction`
/// wraps it in BEGIN/COMMIT (what PgBouncer's transaction mode needs of
/// sqlx, book/src/scaling.md; only sqlx-raw and seaorm-migrate are asked to).
async fn get(rust: &Rust, k: u64, in_transaction: bool) -> BenchResult<usize> {
    match rust {
        Rust::SqlxRaw(pool) if in_transaction => {
            let mut tx = pool.begin().await.map_err(text)?;
            let hero = sqlx_raw::queries::get(&mut tx, nth_id(k))
                .await
                .map_err(text)?;
            tx.commit().await.map_err(text)?;
            Ok(usize::from(hero.is_some()))
        }
        Rust::SeaOrm(db) if in_transaction => {
            use sea_orm::TransactionTrait as _;
            let txn = db.begin().await.map_err(text)?;
            let hero = seaorm_migrate::queries::get(&txn, nth_id(k))
                .await
                .map_err(text)?;
            txn.commit().await.map_err(text)?;
            Ok(usize::from(hero.is_some()))
        }
        _ => rust.op(Workload::GetByPk, k, 0).await,
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
    fn count(&self, result: BenchResult<usize>, counting: bool) {
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
async fn measure_run(
    rust: Rust,
    clients: u32,
    in_transaction: bool,
    config: ScaleConfig,
) -> (f64, u64, Option<String>) {
    let rust = Arc::new(rust);
    let tally = Arc::new(Tally::default());
    let measure_from = Instant::now() + config.warmup;
    let stop = measure_from + config.measure;
    if rust.is_blocking() {
        // Blocking Diesel: one OS thread per client, as a threaded server has.
        std::thread::scope(|scope| {
            for client in 0..clients {
                let (rust, tally) = (&rust, &tally);
                scope.spawn(move || {
                    let mut k = u64::from(client) * 1_000_003;
                    while Instant::now() < stop {
                        let counting = Instant::now() >= measure_from;
                        let result = rust.op_blocking(Workload::GetByPk, k);
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
            let (rust, tally) = (Arc::clone(&rust), Arc::clone(&tally));
            set.spawn(async move {
                let mut k = u64::from(client) * 1_000_003;
                while Instant::now() < stop {
                    let counting = Instant::now() >= measure_from;
                    let result = get(&rust, k, in_transaction).await;
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
    if let Ok(rust) = Arc::try_unwrap(rust) {
        rust.close().await;
    }
    let ok = tally.ok.load(Ordering::Relaxed) as f64;
    let first = tally.first_error.lock().ok().and_then(|f| f.clone());
    (
        ok / config.measure.as_secs_f64(),
        tally.errors.load(Ordering::Relaxed),
        first,
    )
}

/// One run to measure: where the reads go and how the engine is built.
struct Run {
    route: String,
    url: String,
    clients: u32,
    pool: Pool,
    in_transaction: bool,
    how: &'static str,
}

impl Run {
    /// A plain read (no transaction), with the statement cache on.
    fn plain(route: &str, url: &str, clients: u32, pool: u32) -> Self {
        Self {
            route: route.to_owned(),
            url: url.to_owned(),
            clients,
            pool: Pool {
                size: pool,
                statement_cache: true,
                ping_every_checkout: false,
            },
            in_transaction: false,
            how: "get by primary key, no transaction",
        }
    }
}

/// The run through PgBouncer, in the best mode `krate` supports for its
/// reads (book/src/scaling.md), with `clients` clients.
fn through_pgbouncer(
    devdb: &devdb::DevDb,
    database: &str,
    krate: &str,
    clients: u32,
) -> BenchResult<Run> {
    let (mode, pool, in_transaction, how) = match krate {
        "sync-diesel" => (
            PoolMode::Transaction,
            clients,
            false,
            "transaction mode, statement cache off (unnamed statements)",
        ),
        "async-diesel" => (
            PoolMode::Session,
            8,
            false,
            "session mode (named statements): the pool must fit PgBouncer's 8",
        ),
        _ => (
            PoolMode::TransactionReset,
            clients,
            true,
            "transaction mode + server_reset_query_always, statement cache off, each read in BEGIN/COMMIT",
        ),
    };
    let reset = if mode == PoolMode::TransactionReset {
        " + reset"
    } else {
        ""
    };
    Ok(Run {
        route: format!("PgBouncer, {} mode{reset}", mode.name()),
        url: devdb.pooler_url(database, mode).map_err(text)?,
        clients,
        pool: Pool {
            size: pool,
            // Session mode keeps a client's server connection: the cache
            // is safe there, and nowhere else on PgBouncer 1.18.
            statement_cache: mode == PoolMode::Session,
            ping_every_checkout: false,
        },
        in_transaction,
        how,
    })
}

/// Every scale run, for every crate: many clients direct with a pool as
/// large and with the default 8, and through PgBouncer in the crate's best
/// mode; then 8 clients (pool 8) on the primary and on the replica.
/// `database` is the data set's database, already loaded on the primary.
pub async fn measure(
    devdb: &devdb::DevDb,
    database: &str,
    config: ScaleConfig,
) -> BenchResult<Vec<ScaleRow>> {
    let primary = devdb.direct_url(database).map_err(text)?;
    let replica = devdb.replica_url(database).map_err(text)?;
    wait_for_rows(&primary, &replica).await?;
    let many = config.clients;
    let mut rows = Vec::new();
    for krate in CRATES {
        let runs = [
            Run::plain("direct", &primary, many, many),
            Run::plain("direct", &primary, many, 8),
            through_pgbouncer(devdb, database, krate, many)?,
            Run::plain("primary", &primary, 8, 8),
            Run::plain("replica", &replica, 8, 8),
        ];
        for run in runs {
            eprintln!(
                "scale: {krate}, {}, {} clients, pool {}",
                run.route, run.clients, run.pool.size
            );
            let (per_sec, errors, first_error) =
                match Rust::connect_with(krate, &run.url, run.pool).await {
                    Ok(rust) => measure_run(rust, run.clients, run.in_transaction, config).await,
                    Err(err) => (0.0, 0, Some(format!("the engine did not start: {err}"))),
                };
            rows.push(ScaleRow {
                krate: krate.to_owned(),
                route: run.route,
                clients: run.clients,
                pool: run.pool.size,
                per_sec,
                errors,
                first_error,
                how: run.how.to_owned(),
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
