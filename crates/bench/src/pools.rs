//! How big a pool should be: each crate's server and the floor
//! ([`crate::floor`]) under 64 HTTP connections of `GET /heroes/{id}`, and
//! each crate's `concurrent_get_by_pk` at 8 and 32 tasks, at pool sizes 1,
//! 2, 4, 8, 16 and 32, round by round with the order rotating. Requests per
//! second and p99 latency at each size, for the report's table and chart.
//!
//! The servers take their pool size from `POOL_SIZE`, as a deployment sets
//! it; the in-process runs build each crate's `production::pool` at the
//! size (raw tokio-postgres: that many connections, tasks spread over them).
//! Load goes only to 127.0.0.1 and every run is bounded in time.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::baselines::Tools;
use crate::contenders::{BenchResult, PIPELINED, Pool, RUST, Rust, text};
use crate::dataset;
use crate::floor::FLOOR;
use crate::http::{self, GET, GET_SCRIPT};
use crate::measure::CONCURRENT;
use crate::results::{CpuPerOp, cpu_seconds, median, process_cpu_seconds};
use crate::workloads::Workload;

/// The pool sizes swept.
pub const SIZES: [u32; 6] = [1, 2, 4, 8, 16, 32];
/// `--quick`: the smallest and the default.
const QUICK_SIZES: [u32; 2] = [1, 8];
/// HTTP connections held open by `wrk` at every size.
pub const CONNECTIONS: u32 = 64;
/// Tasks of the in-process runs.
pub const TASKS: [u32; 2] = [8, 32];
/// The servers swept: the floor and the four crates.
pub const SERVERS: [&str; 5] = [FLOOR, RUST[0], RUST[1], RUST[2], RUST[3]];
/// The in-process contenders: the four crates, raw tokio-postgres (that
/// many connections, the tasks spread over them) and async-diesel's
/// pipelined connections (as many, shared by the tasks, no pool).
pub const IN_PROCESS: [&str; 6] = [RUST[0], RUST[1], RUST[2], RUST[3], RUST[4], PIPELINED];

/// One contender at one pool size under one load (medians over the rounds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolSweepRow {
    /// [`GET`] (`http_get_by_pk`, over HTTP) or [`CONCURRENT`] (in process).
    pub workload: String,
    /// The server or crate.
    pub contender: String,
    /// Connections its pool may open.
    pub pool_size: u32,
    /// HTTP connections (for [`GET`]) or tasks (for [`CONCURRENT`]).
    pub connections: u32,
    /// Requests or operations per second.
    pub per_sec: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
    /// Failed requests (non-2xx, socket errors), summed over the rounds.
    pub errors: u64,
    /// CPU per request or operation, µs (medians over the rounds):
    /// `client` is the server process (HTTP) or the benchmark's own
    /// process (in process), `server` is PostgreSQL's processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us: Option<CpuPerOp>,
    /// Each round's requests or operations per second.
    pub rounds: Vec<f64>,
}

/// How long each point of the sweep runs.
#[derive(Clone, Copy, Debug)]
pub struct SweepConfig {
    /// Rounds over every contender and size.
    pub rounds: usize,
    /// Warm-up per point (not recorded).
    pub warmup: Duration,
    /// Each measured run.
    pub measure: Duration,
    /// `--quick` sweeps two sizes only.
    pub quick: bool,
}

impl SweepConfig {
    /// The full sweep (about 12 minutes).
    pub fn full() -> Self {
        Self {
            rounds: 2,
            warmup: Duration::from_secs(1),
            measure: Duration::from_secs(3),
            quick: false,
        }
    }

    /// `--quick`: once, briefly, pool sizes 1 and 8.
    pub fn quick() -> Self {
        Self {
            rounds: 1,
            warmup: Duration::from_millis(300),
            measure: Duration::from_secs(1),
            quick: true,
        }
    }

    /// The sizes this run sweeps.
    pub fn sizes(&self) -> &'static [u32] {
        if self.quick { &QUICK_SIZES } else { &SIZES }
    }

    /// What the report says about how the sweep ran.
    pub fn method(&self) -> String {
        format!(
            "{} round(s), {} ms measured after a {} ms warm-up at each point; HTTP: wrk 4 (2 threads, {CONNECTIONS} connections), the server started afresh with POOL_SIZE at each size; in process: a tokio runtime of 2 worker threads (OS threads for sync-diesel)",
            self.rounds,
            self.measure.as_millis(),
            self.warmup.as_millis()
        )
    }
}

/// The sweep: HTTP first (each server on its database of the HTTP section,
/// loaded here if it was not), then the in-process runs on `url`, whose
/// data set must be loaded.
pub fn run(
    tools: &Tools,
    scratch: &Path,
    url: &str,
    config: SweepConfig,
) -> BenchResult<Vec<PoolSweepRow>> {
    let mut rows = http_sweep(tools, scratch, config)?;
    rows.extend(in_process_sweep(url, config)?);
    Ok(rows)
}

fn http_sweep(
    tools: &Tools,
    scratch: &Path,
    config: SweepConfig,
) -> BenchResult<Vec<PoolSweepRow>> {
    let script = scratch.join("pool_sweep_get.lua");
    std::fs::create_dir_all(scratch).map_err(text)?;
    std::fs::write(&script, GET_SCRIPT).map_err(text)?;
    let runtime = tokio::runtime::Runtime::new().map_err(text)?;
    let sizes = config.sizes();
    let mut loaded: HashSet<&str> = HashSet::new();
    let mut figures: Vec<(&str, u32, http::WrkFigures, CpuPerOp)> = Vec::new();
    for round in 0..config.rounds {
        for i in 0..SERVERS.len() {
            let server = SERVERS[(i + round) % SERVERS.len()];
            let database = http::database_name(server);
            let url = devdb::database_url(&database).map_err(text)?;
            if server == FLOOR && !loaded.contains(server) {
                runtime.block_on(dataset::migrate(&url))?;
            }
            for j in 0..sizes.len() {
                let size = sizes[(j + round) % sizes.len()];
                eprintln!(
                    "pool sweep round {}/{}: {server}, pool of {size}, {CONNECTIONS} connections",
                    round + 1,
                    config.rounds
                );
                let env = [("POOL_SIZE", size.to_string())];
                let process = http::start_with(server, &url, &database, tools, &env)?;
                if loaded.insert(server) {
                    runtime.block_on(dataset::reload(&url))?;
                }
                http::wrk(process.port, &script, CONNECTIONS, config.warmup, "warmup")?;
                let pid = process.child.id();
                let (server_before, db_before) = (process_cpu_seconds(pid), cpu_seconds().1);
                let f = http::wrk(process.port, &script, CONNECTIONS, config.measure, "sweep")?;
                let (server_after, db_after) = (process_cpu_seconds(pid), cpu_seconds().1);
                let requests = (f.per_sec * config.measure.as_secs_f64()).max(1.0);
                let cpu = CpuPerOp {
                    client: (server_after - server_before) * 1e6 / requests,
                    server: (db_after - db_before) * 1e6 / requests,
                };
                figures.push((server, size, f, cpu));
                drop(process);
            }
        }
    }
    let mut rows = Vec::new();
    for server in SERVERS {
        for &size in sizes {
            let runs: Vec<http::WrkFigures> = figures
                .iter()
                .filter(|(s, z, _, _)| *s == server && *z == size)
                .map(|(_, _, f, _)| *f)
                .collect();
            let cpu: Vec<CpuPerOp> = figures
                .iter()
                .filter(|(s, z, _, _)| *s == server && *z == size)
                .map(|(_, _, _, c)| *c)
                .collect();
            rows.push(PoolSweepRow {
                workload: GET.to_owned(),
                contender: server.to_owned(),
                pool_size: size,
                connections: CONNECTIONS,
                per_sec: median(&runs.iter().map(|f| f.per_sec).collect::<Vec<_>>()),
                p99_us: median(&runs.iter().map(|f| f.p99_us).collect::<Vec<_>>()),
                errors: runs.iter().map(|f| f.errors).sum(),
                cpu_us: median_cpu(&cpu),
                rounds: runs.iter().map(|f| f.per_sec).collect(),
            });
        }
    }
    Ok(rows)
}

fn in_process_sweep(url: &str, config: SweepConfig) -> BenchResult<Vec<PoolSweepRow>> {
    // Two worker threads, as the single-process concurrent runs use.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(text)?;
    let sizes = config.sizes();
    // (contender, size, tasks) → each round's (per second, p99 µs, CPU).
    let mut figures: Vec<(&str, u32, u32, f64, f64, CpuPerOp)> = Vec::new();
    for round in 0..config.rounds {
        for i in 0..IN_PROCESS.len() {
            let name = IN_PROCESS[(i + round) % IN_PROCESS.len()];
            for j in 0..sizes.len() {
                let size = sizes[(j + round) % sizes.len()];
                eprintln!(
                    "pool sweep round {}/{}: {name} in process, pool of {size}",
                    round + 1,
                    config.rounds
                );
                let pool = Pool {
                    size,
                    statement_cache: true,
                    ping_every_checkout: false,
                };
                let rust = Arc::new(runtime.block_on(Rust::connect_with(name, url, pool))?);
                for tasks in TASKS {
                    let (client_before, db_before) = cpu_seconds();
                    let (ops, mut latencies) = if rust.is_blocking() {
                        on_threads(&rust, tasks, config)?
                    } else {
                        runtime.block_on(on_tasks(Arc::clone(&rust), tasks, config))?
                    };
                    if ops == 0 {
                        return Err(format!(
                            "{name}, pool of {size}, {tasks} tasks: no operation completed"
                        ));
                    }
                    latencies.sort_unstable();
                    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
                    let (client_after, db_after) = cpu_seconds();
                    let per_sec = ops as f64 / config.measure.as_secs_f64();
                    // The CPU covers the warm-up too: count its operations
                    // at the measured rate.
                    let all_ops = per_sec * (config.warmup + config.measure).as_secs_f64();
                    let cpu = CpuPerOp {
                        client: (client_after - client_before) * 1e6 / all_ops,
                        server: (db_after - db_before) * 1e6 / all_ops,
                    };
                    figures.push((name, size, tasks, per_sec, f64::from(p99), cpu));
                }
                if let Ok(rust) = Arc::try_unwrap(rust) {
                    runtime.block_on(rust.close());
                }
            }
        }
    }
    let mut rows = Vec::new();
    for name in IN_PROCESS {
        for &size in sizes {
            for tasks in TASKS {
                let runs: Vec<(f64, f64, CpuPerOp)> = figures
                    .iter()
                    .filter(|(n, z, t, _, _, _)| *n == name && *z == size && *t == tasks)
                    .map(|(_, _, _, p, l, c)| (*p, *l, *c))
                    .collect();
                let cpu: Vec<CpuPerOp> = runs.iter().map(|r| r.2).collect();
                rows.push(PoolSweepRow {
                    workload: CONCURRENT.to_owned(),
                    contender: name.to_owned(),
                    pool_size: size,
                    connections: tasks,
                    per_sec: median(&runs.iter().map(|r| r.0).collect::<Vec<_>>()),
                    p99_us: median(&runs.iter().map(|r| r.1).collect::<Vec<_>>()),
                    errors: 0,
                    cpu_us: median_cpu(&cpu),
                    rounds: runs.iter().map(|r| r.0).collect(),
                });
            }
        }
    }
    Ok(rows)
}

/// `tasks` tokio tasks doing get-by-PK until the deadline: the operations
/// completed after the warm-up, and each one's latency in µs.
async fn on_tasks(
    rust: Arc<Rust>,
    tasks: u32,
    config: SweepConfig,
) -> BenchResult<(u64, Vec<u32>)> {
    let measure_from = Instant::now() + config.warmup;
    let stop = measure_from + config.measure;
    let mut set = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let rust = Arc::clone(&rust);
        set.spawn(async move {
            let mut latencies = Vec::new();
            let mut k = u64::from(task) * 1_000_003;
            loop {
                let began = Instant::now();
                if began >= stop {
                    return Ok::<Vec<u32>, String>(latencies);
                }
                rust.op(Workload::GetByPk, k, task as usize).await?;
                k += 1;
                if began >= measure_from {
                    latencies.push(micros_since(began));
                }
            }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = set.join_next().await {
        all.extend(done.map_err(text)??);
    }
    Ok((all.len() as u64, all))
}

/// sync-diesel: `tasks` OS threads sharing the pool, as [`on_tasks`].
fn on_threads(rust: &Rust, tasks: u32, config: SweepConfig) -> BenchResult<(u64, Vec<u32>)> {
    let measure_from = Instant::now() + config.warmup;
    let stop = measure_from + config.measure;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                scope.spawn(move || {
                    let mut latencies = Vec::new();
                    let mut k = u64::from(task) * 1_000_003;
                    loop {
                        let began = Instant::now();
                        if began >= stop {
                            return Ok::<Vec<u32>, String>(latencies);
                        }
                        rust.op_blocking(Workload::GetByPk, k)?;
                        k += 1;
                        if began >= measure_from {
                            latencies.push(micros_since(began));
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            all.extend(
                handle
                    .join()
                    .map_err(|_| "a load thread panicked".to_owned())??,
            );
        }
        Ok((all.len() as u64, all))
    })
}

/// The median of each side, `None` without a run.
fn median_cpu(runs: &[CpuPerOp]) -> Option<CpuPerOp> {
    (!runs.is_empty()).then(|| CpuPerOp {
        client: median(&runs.iter().map(|c| c.client).collect::<Vec<_>>()),
        server: median(&runs.iter().map(|c| c.server).collect::<Vec<_>>()),
    })
}

fn micros_since(began: Instant) -> u32 {
    u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX)
}

/// Each contender's best pool size for `workload` at `connections`: the
/// size with the most per second (the smaller on a tie).
pub fn best<'a>(
    rows: &'a [PoolSweepRow],
    workload: &str,
    contender: &str,
    connections: u32,
) -> Option<&'a PoolSweepRow> {
    rows.iter()
        .filter(|r| {
            r.workload == workload && r.contender == contender && r.connections == connections
        })
        .fold(None, |best: Option<&PoolSweepRow>, r| match best {
            Some(b) if b.per_sec >= r.per_sec => Some(b),
            _ => Some(r),
        })
}
