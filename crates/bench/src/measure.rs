//! The harness: criterion for the single-operation workloads, a
//! fixed-duration load runner for the concurrent and bulk ones, every
//! contender interleaved round by round (the order rotates each round) so
//! that noise on this shared machine falls on all of them alike.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::Criterion;
use indicatif::{ProgressBar, ProgressStyle};

use crate::baselines::Tools;
use crate::contenders::{BenchResult, PIPELINED, RUST, Rust};
use crate::dataset;
use crate::results::{CpuPerOp, Sample, cpu_seconds, median};
use crate::workloads::{Workload, bulk_rows};

/// The SQLAlchemy contenders: (driver, name in the report).
pub const SQLALCHEMY: [(&str, &str); 2] = [
    ("psycopg2", "SQLAlchemy + psycopg2"),
    ("asyncpg", "SQLAlchemy + asyncpg"),
];

/// The name of `krate` measured with a test of every connection at checkout
/// (each library's own default, which the crates turn off: see each crate's
/// `production::checkout`).
pub fn variant_name(krate: &str) -> String {
    format!("{krate}, ping per checkout (before)")
}

/// The workloads the ping-per-checkout variants run (the before/after of the
/// pool defaults, beside raw tokio-postgres).
pub const VARIANT_WORKLOADS: [Workload; 2] = [Workload::GetByPk, Workload::ByName];

/// pgbench's name in the report.
pub const PGBENCH: &str = "pgbench";

/// `psql \copy`'s name in the report.
pub const PSQL_COPY: &str = "psql \\copy";

/// The workload id of the concurrent runs.
pub const CONCURRENT: &str = "concurrent_get_by_pk";

/// The workload id of the bulk load.
pub const BULK: &str = "bulk";

/// How long and how often to measure.
#[derive(Clone, Debug)]
pub struct Config {
    /// Rounds over every contender (figures are the median over rounds).
    pub rounds: usize,
    /// Warm-up before each measurement.
    pub warmup: Duration,
    /// Length of each measurement.
    pub measure: Duration,
    /// Criterion samples per measurement.
    pub samples: usize,
    /// Concurrent task counts.
    pub tasks: Vec<u32>,
    /// Rows per bulk load.
    pub bulk_rows: usize,
    /// Rounds of the bulk load.
    pub bulk_rounds: usize,
}

impl Config {
    /// The full run `just report` makes.
    pub fn full() -> Self {
        Self {
            rounds: 3,
            warmup: Duration::from_millis(300),
            measure: Duration::from_secs(1),
            samples: 20,
            tasks: vec![1, 8, 32],
            bulk_rows: 100_000,
            bulk_rounds: 2,
        }
    }

    /// `--quick`: every workload and contender once, briefly (a smoke test
    /// of the harness, not a measurement).
    pub fn quick() -> Self {
        Self {
            rounds: 1,
            warmup: Duration::from_millis(50),
            measure: Duration::from_millis(200),
            samples: 10,
            tasks: vec![1, 8],
            bulk_rows: 2_000,
            bulk_rounds: 1,
        }
    }
}

/// Who is measured.
#[derive(Clone, Copy, Debug)]
enum Who {
    Rust(usize),
    Variant(usize),
    /// diesel-async's pipelined connections (concurrent runs only).
    Pipelined,
    Sqla(usize),
    Pgbench,
    PsqlCopy,
}

/// `items` rotated left by `round`, so each round starts with another contender.
fn rotated<T: Copy>(items: &[T], round: usize) -> Vec<T> {
    let n = items.len().max(1);
    (0..items.len()).map(|i| items[(i + round) % n]).collect()
}

/// Per-round figures: (workload, contender, tasks) → [(per second, mean µs)].
type Figures = BTreeMap<(String, String, u32), (String, Vec<(f64, f64)>)>;

/// Everything one run needs.
pub struct Bench {
    url: String,
    config: Config,
    tools: Tools,
    /// One thread: single operations and bulk loads (no thread hops between
    /// a query and its connection's I/O, the best case for every async stack).
    runtime: tokio::runtime::Runtime,
    /// The Rust contenders, connected on `runtime`.
    rust: Vec<(&'static str, Arc<Rust>)>,
    /// Two worker threads: the concurrent runs.
    multi_runtime: tokio::runtime::Runtime,
    /// The same contenders, connected on `multi_runtime` (a connection's I/O
    /// belongs to the runtime that opened it).
    multi: Vec<Arc<Rust>>,
    /// The four crates with a ping per checkout (the old default), on `runtime`.
    variants: Vec<(String, Arc<Rust>)>,
    /// diesel-async's 8 shared, pipelined connections, on `multi_runtime`.
    pipelined: Arc<Rust>,
    criterion_dir: PathBuf,
    figures: Figures,
    /// CPU per operation of each concurrent run: (contender, tasks) → rounds.
    cpu: BTreeMap<(String, u32), Vec<CpuPerOp>>,
    progress: ProgressBar,
}

impl Bench {
    /// Connects every Rust contender to the prepared database at `url`.
    pub fn new(
        url: &str,
        config: Config,
        tools: Tools,
        criterion_dir: PathBuf,
    ) -> BenchResult<Self> {
        let no_runtime = |e: std::io::Error| format!("cannot start the tokio runtime: {e}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(no_runtime)?;
        let multi_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(no_runtime)?;
        let mut rust = Vec::new();
        let mut multi = Vec::new();
        let mut variants = Vec::new();
        for name in RUST {
            let connect = |rt: &tokio::runtime::Runtime, checkout_test: bool| {
                rt.block_on(Rust::connect(name, url, checkout_test))
                    .map(Arc::new)
                    .map_err(|e| format!("{name}: {e}"))
            };
            rust.push((name, connect(&runtime, false)?));
            multi.push(connect(&multi_runtime, false)?);
            if name != RUST[RUST.len() - 1] {
                variants.push((variant_name(name), connect(&runtime, true)?));
            }
        }
        let pipelined = multi_runtime
            .block_on(Rust::connect(PIPELINED, url, false))
            .map(Arc::new)
            .map_err(|e| format!("{PIPELINED}: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            config,
            tools,
            runtime,
            rust,
            multi_runtime,
            multi,
            variants,
            pipelined,
            criterion_dir,
            figures: Figures::new(),
            cpu: BTreeMap::new(),
            progress: ProgressBar::hidden(),
        })
    }

    fn record(
        &mut self,
        workload: &str,
        contender: &str,
        tasks: u32,
        method: &str,
        figure: (f64, f64),
    ) {
        self.figures
            .entry((workload.to_owned(), contender.to_owned(), tasks))
            .or_insert_with(|| (method.to_owned(), Vec::new()))
            .1
            .push(figure);
    }

    fn name(&self, who: Who) -> String {
        match who {
            Who::Rust(i) => self.rust[i].0.to_owned(),
            Who::Variant(i) => self.variants[i].0.clone(),
            Who::Pipelined => PIPELINED.to_owned(),
            Who::Sqla(i) => SQLALCHEMY[i].1.to_owned(),
            Who::Pgbench => PGBENCH.to_owned(),
            Who::PsqlCopy => PSQL_COPY.to_owned(),
        }
    }

    fn start_phase(&mut self, what: &str, steps: usize) {
        self.progress.finish_and_clear();
        self.progress = ProgressBar::new(steps as u64);
        self.progress.set_style(
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        self.progress.set_prefix(what.to_owned());
    }

    fn step(&self, message: String) {
        self.progress.set_message(message);
    }

    /// Runs every workload against every contender and returns the medians.
    pub fn run(mut self) -> BenchResult<Vec<Sample>> {
        let mut single: Vec<Who> = (0..self.rust.len()).map(Who::Rust).collect();
        single.extend((0..SQLALCHEMY.len()).map(Who::Sqla));
        single.push(Who::Pgbench);

        let rounds = self.config.rounds;
        let mut with_variants = single.clone();
        with_variants.extend((0..self.variants.len()).map(Who::Variant));
        let rust_only: Vec<Who> = (0..self.rust.len()).map(Who::Rust).collect();
        let steps = rounds
            * (Workload::ALL.iter().filter(|w| !w.rust_only()).count() * single.len()
                + Workload::ALL.iter().filter(|w| w.rust_only()).count() * rust_only.len()
                + VARIANT_WORKLOADS.len() * self.variants.len());
        self.start_phase("single ops", steps);
        for round in 0..rounds {
            for workload in Workload::ALL {
                let who_runs = if VARIANT_WORKLOADS.contains(&workload) {
                    &with_variants
                } else if workload.rust_only() {
                    &rust_only
                } else {
                    &single
                };
                for who in rotated(who_runs, round) {
                    self.step(format!(
                        "round {} {} {}",
                        round + 1,
                        workload.id(),
                        self.name(who)
                    ));
                    self.single(round, workload, who)
                        .map_err(|e| format!("{} on {}: {e}", self.name(who), workload.id()))?;
                    self.progress.inc(1);
                }
                self.runtime.block_on(dataset::clean(&self.url))?;
            }
        }

        let tasks = self.config.tasks.clone();
        let mut concurrent = single.clone();
        concurrent.push(Who::Pipelined);
        self.start_phase("concurrent", rounds * tasks.len() * concurrent.len());
        for round in 0..rounds {
            for &n in &tasks {
                for who in rotated(&concurrent, round) {
                    self.step(format!("round {} {n} tasks {}", round + 1, self.name(who)));
                    self.concurrent(who, n)
                        .map_err(|e| format!("{} at {n} tasks: {e}", self.name(who)))?;
                    self.progress.inc(1);
                }
            }
        }

        let mut bulk: Vec<Who> = (0..self.rust.len()).map(Who::Rust).collect();
        bulk.extend((0..SQLALCHEMY.len()).map(Who::Sqla));
        bulk.push(Who::PsqlCopy);
        let bulk_rounds = self.config.bulk_rounds;
        self.start_phase("bulk", bulk_rounds * bulk.len());
        for round in 0..bulk_rounds {
            for who in rotated(&bulk, round) {
                self.step(format!(
                    "round {} {} rows {}",
                    round + 1,
                    self.config.bulk_rows,
                    self.name(who)
                ));
                self.bulk(round, who)
                    .map_err(|e| format!("{} bulk load: {e}", self.name(who)))?;
                self.runtime.block_on(dataset::clean(&self.url))?;
                self.progress.inc(1);
            }
        }
        self.progress.finish_and_clear();

        let cpu = self.cpu;
        Ok(self
            .figures
            .into_iter()
            .map(|((workload, contender, tasks), (method, figures))| {
                let per_sec: Vec<f64> = figures.iter().map(|f| f.0).collect();
                let mean_us: Vec<f64> = figures.iter().map(|f| f.1).collect();
                let cpu_us = (workload == CONCURRENT)
                    .then(|| cpu.get(&(contender.clone(), tasks)))
                    .flatten()
                    .map(|rounds| CpuPerOp {
                        client: median(&rounds.iter().map(|c| c.client).collect::<Vec<_>>()),
                        server: median(&rounds.iter().map(|c| c.server).collect::<Vec<_>>()),
                    });
                Sample {
                    cpu_us,
                    peak_rss_kib: None,
                    workload,
                    contender,
                    tasks,
                    per_sec: median(&per_sec),
                    mean_us: median(&mean_us),
                    method,
                    rounds: per_sec,
                }
            })
            .collect())
    }

    fn single(&mut self, round: usize, workload: Workload, who: Who) -> BenchResult<()> {
        let name = self.name(who);
        let figure = match who {
            Who::Rust(i) => {
                let ns = self.criterion(round, workload, self.rust[i].0, &self.rust[i].1)?;
                (1e9 / ns, ns / 1e3)
            }
            Who::Variant(i) => {
                let (name, rust) = &self.variants[i];
                let ns = self.criterion(round, workload, name, rust)?;
                (1e9 / ns, ns / 1e3)
            }
            Who::Sqla(i) => {
                let (ops, seconds, _) = self.tools.sqlalchemy(
                    SQLALCHEMY[i].0,
                    &self.url,
                    workload.id(),
                    1,
                    self.config.warmup,
                    self.config.measure,
                    0,
                    &format!("sqla-{}-{round}", SQLALCHEMY[i].0),
                )?;
                if ops <= 0.0 {
                    return Err("no operation completed".to_owned());
                }
                (ops / seconds, seconds * 1e6 / ops)
            }
            Who::Pgbench => {
                self.tools
                    .pgbench(&self.url, workload, 1, self.config.measure.as_secs().max(1))?
            }
            Who::PsqlCopy | Who::Pipelined => return Ok(()),
        };
        let method = match who {
            Who::Rust(i) if self.rust[i].1.is_blocking() => "criterion, mean per call (blocking)",
            Who::Rust(_) => "criterion, mean per call (current-thread tokio runtime)",
            Who::Variant(_) => "criterion, as above, pool pinging every checkout (before)",
            Who::Sqla(_) => "fixed-duration loop, new Session per operation",
            _ => "pgbench -M prepared, 1 client",
        };
        self.record(workload.id(), &name, 1, method, figure);
        Ok(())
    }

    /// Criterion on one Rust contender: mean nanoseconds per operation.
    fn criterion(
        &self,
        round: usize,
        workload: Workload,
        name: &str,
        rust: &Rust,
    ) -> BenchResult<f64> {
        let id = name.replace([',', ' '], "_");
        let dir = self.criterion_dir.join(format!("round-{round}"));
        let mut criterion = Criterion::default()
            .output_directory(&dir)
            .warm_up_time(self.config.warmup)
            .measurement_time(self.config.measure)
            .sample_size(self.config.samples)
            .nresamples(10_000)
            .without_plots();
        let failure: Mutex<Option<String>> = Mutex::new(None);
        let keep = |result: BenchResult<usize>| {
            if let Err(err) = result
                && let Ok(mut slot) = failure.lock()
            {
                slot.get_or_insert(err);
            }
        };
        let k = AtomicU64::new(round as u64 * 1_000_003);
        {
            let mut group = criterion.benchmark_group(workload.id());
            if rust.is_blocking() {
                group.bench_function(&id, |b| {
                    b.iter(|| keep(rust.op_blocking(workload, k.fetch_add(1, Ordering::Relaxed))));
                });
            } else {
                group.bench_function(&id, |b| {
                    b.to_async(&self.runtime).iter(|| async {
                        keep(
                            rust.op(workload, k.fetch_add(1, Ordering::Relaxed), 0)
                                .await,
                        );
                    });
                });
            }
            group.finish();
        }
        if let Some(err) = failure.into_inner().ok().flatten() {
            return Err(err);
        }
        let estimates = dir
            .join(workload.id())
            .join(&id)
            .join("new")
            .join("estimates.json");
        let text = std::fs::read_to_string(&estimates)
            .map_err(|e| format!("cannot read criterion's {}: {e}", estimates.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        value
            .pointer("/mean/point_estimate")
            .and_then(serde_json::Value::as_f64)
            .filter(|ns| *ns > 0.0)
            .ok_or_else(|| format!("no mean in {}", estimates.display()))
    }

    fn concurrent(&mut self, who: Who, tasks: u32) -> BenchResult<()> {
        let name = self.name(who);
        let (warmup, measure) = (self.config.warmup, self.config.measure * 2);
        let (client_before, server_before) = cpu_seconds();
        let (ops, method) = match who {
            Who::Rust(i) => {
                let rust = Arc::clone(&self.multi[i]);
                let ops = if rust.is_blocking() {
                    load_threads(&rust, tasks, warmup, measure)?
                } else {
                    self.multi_runtime
                        .block_on(load_tasks(rust, tasks, warmup, measure))?
                };
                let method = if i == self.rust.len() - 1 {
                    "tokio tasks over 8 connections (no pool), fixed duration"
                } else if self.rust[i].1.is_blocking() {
                    "OS threads sharing the r2d2 pool of 8, fixed duration"
                } else {
                    "tokio tasks sharing the pool of 8, fixed duration"
                };
                (ops, method)
            }
            Who::Pipelined => {
                let rust = Arc::clone(&self.pipelined);
                let ops = self
                    .multi_runtime
                    .block_on(load_tasks(rust, tasks, warmup, measure))?;
                (
                    ops,
                    "tokio tasks over 8 connections each shared by its tasks (no pool), pipelined, fixed duration",
                )
            }
            Who::Sqla(i) => {
                let (ops, _, _) = self.tools.sqlalchemy(
                    SQLALCHEMY[i].0,
                    &self.url,
                    Workload::GetByPk.id(),
                    tasks,
                    warmup,
                    measure,
                    0,
                    "sqla",
                )?;
                let method = if i == 0 {
                    "threads sharing a QueuePool of 8, fixed duration"
                } else {
                    "asyncio tasks sharing a pool of 8, fixed duration"
                };
                (ops, method)
            }
            Who::Pgbench => {
                let clients = tasks.min(8);
                let (tps, _) = self.tools.pgbench(
                    &self.url,
                    Workload::GetByPk,
                    clients,
                    measure.as_secs().max(1),
                )?;
                (
                    tps * measure.as_secs_f64(),
                    "pgbench -M prepared, min(tasks, 8) clients",
                )
            }
            Who::PsqlCopy | Who::Variant(_) => return Ok(()),
        };
        if ops <= 0.0 {
            return Err("no operation completed".to_owned());
        }
        let (client_after, server_after) = cpu_seconds();
        let per_sec = ops / measure.as_secs_f64();
        // Little's law: each task has one operation in flight.
        let mean_us = f64::from(tasks) * 1e6 / per_sec;
        self.record(CONCURRENT, &name, tasks, method, (per_sec, mean_us));
        // The CPU covers the warm-up too (pgbench has none): count the
        // operations of the whole run at the measured rate.
        let ran = if matches!(who, Who::Pgbench) {
            measure
        } else {
            warmup + measure
        };
        let all_ops = per_sec * ran.as_secs_f64();
        self.cpu.entry((name, tasks)).or_default().push(CpuPerOp {
            client: (client_after - client_before) * 1e6 / all_ops,
            server: (server_after - server_before) * 1e6 / all_ops,
        });
        Ok(())
    }

    fn bulk(&mut self, round: usize, who: Who) -> BenchResult<()> {
        let name = self.name(who);
        let count = self.config.bulk_rows;
        let prefix = format!("bulk-{}-{round}", name.replace([' ', '\\', '+'], ""));
        let (per_sec, method) = match who {
            Who::Rust(i) => {
                let rows = bulk_rows(&prefix, count);
                let rust = Arc::clone(&self.rust[i].1);
                let began = Instant::now();
                let loaded = self.runtime.block_on(rust.bulk(&rows))?;
                let seconds = began.elapsed().as_secs_f64();
                if loaded != count as u64 {
                    return Err(format!("loaded {loaded} of {count} rows"));
                }
                (count as f64 / seconds, Rust::bulk_method(self.rust[i].0))
            }
            Who::Sqla(i) => {
                let (_, seconds, rows) = self.tools.sqlalchemy(
                    SQLALCHEMY[i].0,
                    &self.url,
                    "bulk",
                    1,
                    Duration::ZERO,
                    Duration::ZERO,
                    count,
                    &prefix,
                )?;
                if rows < count as f64 {
                    return Err(format!("loaded {rows} of {count} rows"));
                }
                (
                    rows / seconds,
                    "Core insert(Hero.__table__) executemany (insertmanyvalues, 1,000 rows per INSERT)",
                )
            }
            Who::PsqlCopy => (
                self.tools
                    .psql_copy(&self.url, &bulk_rows(&prefix, count))?,
                "\\copy from a CSV file (psql start-up included)",
            ),
            Who::Pgbench | Who::Variant(_) | Who::Pipelined => return Ok(()),
        };
        let mean_us = count as f64 * 1e6 / per_sec;
        self.record(BULK, &name, 1, method, (per_sec, mean_us));
        Ok(())
    }
}

/// Async contender: `tasks` tokio tasks doing get-by-PK until the deadline;
/// the operations completed after the warm-up.
async fn load_tasks(
    rust: Arc<Rust>,
    tasks: u32,
    warmup: Duration,
    measure: Duration,
) -> BenchResult<f64> {
    let measure_from = Instant::now() + warmup;
    let stop = measure_from + measure;
    let mut set = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let rust = Arc::clone(&rust);
        set.spawn(async move {
            let mut ops = 0u64;
            let mut k = u64::from(task) * 1_000_003;
            loop {
                let now = Instant::now();
                if now >= stop {
                    return Ok::<u64, String>(ops);
                }
                rust.op(Workload::GetByPk, k, task as usize).await?;
                k += 1;
                if now >= measure_from {
                    ops += 1;
                }
            }
        });
    }
    let mut total = 0;
    while let Some(done) = set.join_next().await {
        total += done.map_err(|e| e.to_string())??;
    }
    Ok(total as f64)
}

/// sync-diesel: `tasks` OS threads sharing the pool, the blocking model.
fn load_threads(rust: &Rust, tasks: u32, warmup: Duration, measure: Duration) -> BenchResult<f64> {
    let measure_from = Instant::now() + warmup;
    let stop = measure_from + measure;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                scope.spawn(move || {
                    let mut ops = 0u64;
                    let mut k = u64::from(task) * 1_000_003;
                    loop {
                        let now = Instant::now();
                        if now >= stop {
                            return Ok::<u64, String>(ops);
                        }
                        rust.op_blocking(Workload::GetByPk, k)?;
                        k += 1;
                        if now >= measure_from {
                            ops += 1;
                        }
                    }
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle
                .join()
                .map_err(|_| "a load thread panicked".to_owned())??;
        }
        Ok(total as f64)
    })
}
