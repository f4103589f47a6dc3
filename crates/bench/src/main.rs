//! bench: measures the four example crates, raw tokio-postgres, pgbench,
//! `psql \copy` and SQLAlchemy (psycopg2, asyncpg) under the same workloads in
//! one interleaved run, each crate's server beside a hand-written floor and
//! FastAPI, pool sizes 1 to 32, builds each crate cold for its build cost, and writes
//! the figures to `docs/COMPARISON.json`, the book's chapter
//! `book/src/comparison.md` with SVG charts in `book/src/charts/`, and every
//! report block in the README, the crate READMEs and the book.
//!
//! Run with:
//! ```text
//! just report                                              # the full run (about an hour)
//! cargo run --release -p bench -- report                   # the same
//! cargo run --release -p bench -- report --no-build-cost   # skip the cold builds
//! cargo run -p bench -- report --quick --out /tmp/c.md     # smoke run, about a minute
//! cargo run -p bench -- render                             # rewrite the chapter and the blocks from docs/COMPARISON.json
//! cargo run --release -p bench -- scale                    # only 500 clients, PgBouncer, the replica (~3 min)
//! cargo run --release -p bench -- beyond                   # only relations, sweeps, the stream, into the JSON (~5 min)
//! cargo run --release -p bench -- testing                  # only the cost of isolating one test, into the JSON (~1 min)
//! cargo run --release -p bench -- pools                    # only the pool-size sweep, into the JSON (~12 min)
//! just faults                                              # faults under load: docs/FAULTS.md (~30 min, a Patroni cluster at the end)
//! cargo run -p bench -- faults --render                    # rewrite docs/FAULTS.md from docs/FAULTS.json
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use bench::baselines::Tools;
use bench::measure::{Bench, Config};
use bench::report::ANALYSIS;
use bench::results::Results;
use bench::{buildcost, dataset, figures, report};
use clap::{Parser, Subcommand};
use conformance::{Stack as _, stacks};

/// The benchmark's command line.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Measure everything and write the report.
    Report {
        /// Where to write the report (charts go to `charts/` beside it).
        #[arg(long, default_value = "book/src/comparison.md")]
        out: PathBuf,
        /// Where to write the figures. At the default, the report blocks of
        /// the README, the crate READMEs and the book are rewritten too.
        #[arg(long, default_value = JSON)]
        json: PathBuf,
        /// A smoke run: every workload and contender once, briefly; no build cost.
        #[arg(long)]
        quick: bool,
        /// Skip the cold builds (build cost), e.g. when iterating.
        #[arg(long)]
        no_build_cost: bool,
        /// Measure the build cost again even when the figures in the
        /// previous run's JSON have the same fingerprint (Cargo.lock, rustc, CPU).
        #[arg(long)]
        rebuild: bool,
        /// The database to measure in (created if missing; its heroes are replaced).
        #[arg(long, default_value = "bench")]
        database: String,
    },
    /// Only the scale section (many clients, PgBouncer, the replica),
    /// printed as the report's table, on the local cluster.
    Scale {
        /// The database to measure in (created if missing; its heroes are replaced).
        #[arg(long, default_value = "bench")]
        database: String,
        /// 16 clients and one second per run instead of 500 and eight.
        #[arg(long)]
        quick: bool,
    },
    /// Runs one example crate's own command line in this process (the HTTP
    /// section starts each server this way: `serve-crate sqlx-raw serve ...`).
    #[command(hide = true)]
    ServeCrate {
        /// The crate: sync-diesel, async-diesel, sqlx-raw or seaorm-migrate.
        name: String,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Only the testing section (what isolating one test costs, strategy by
    /// strategy): measured now and put into the figures in place of that
    /// section's, then the report rendered again.
    /// `--quick`: five tests per strategy.
    Testing(SectionArgs),
    /// Only the pool-size sweep (each server and the floor under 64 HTTP
    /// connections, each crate's concurrent get-by-PK, at pool sizes 1 to
    /// 32): measured now and put into the figures in place of the sweep's,
    /// then the report rendered again. `--quick`: pool sizes 1 and 8, briefly.
    Pools(SectionArgs),
    /// Serves the HTTP section's floor (`GET /heroes/{id}` and `POST
    /// /heroes` by hand in axum over tokio-postgres) until SIGTERM; the pool
    /// size from `POOL_SIZE`.
    #[command(hide = true)]
    ServeFloor {
        /// The database (migrated and loaded by the caller).
        #[arg(long)]
        database: String,
        /// Where to listen.
        #[arg(long)]
        addr: std::net::SocketAddr,
    },
    /// Only the section beyond the study (row-count sweeps, association
    /// loading, a stream of a million rows): measured now and put into the
    /// figures in place of that section's, then the report rendered again.
    /// `--quick`: one short round, 20,000 rows streamed.
    Beyond(SectionArgs),
    /// Streams every hero of URL with one contender and prints rows,
    /// seconds and this process's peak memory as JSON (the stream workload
    /// runs each contender in a process of its own this way).
    #[command(hide = true)]
    StreamOne {
        /// sync-diesel, async-diesel, sqlx-raw, seaorm-migrate or tokio-postgres.
        name: String,
        /// The database.
        url: String,
    },
    /// Faults under load: every server and FastAPI + SQLAlchemy under steady
    /// load while backends are terminated, PostgreSQL restarts, a table lock
    /// outlasts the statement timeout and PgBouncer restarts, on a cluster
    /// of the run's own; a ledger of every POST checked against the
    /// database; then a soak; then, on a Patroni cluster of the run's own, a
    /// switchover and the leader killed. Writes docs/FAULTS.json and
    /// docs/FAULTS.md.
    Faults {
        /// Where to write the figures.
        #[arg(long, default_value = "docs/FAULTS.json")]
        json: PathBuf,
        /// Where to write the report.
        #[arg(long, default_value = "docs/FAULTS.md")]
        out: PathBuf,
        /// A smoke run: every fault, briefly; a 5 s soak.
        #[arg(long)]
        quick: bool,
        /// The soak's length in seconds (default 180).
        #[arg(long)]
        soak: Option<u64>,
        /// Only these servers (repeat; default: all five).
        #[arg(long = "server")]
        servers: Vec<String>,
        /// Only the highly available cluster's part (each crate through its
        /// URLs, the switchover, the leader killed), e.g. into another `--json`.
        #[arg(long, conflicts_with = "no_ha")]
        ha_only: bool,
        /// Leave out the highly available cluster's part (which needs
        /// Patroni, etcd and HAProxy installed).
        #[arg(long)]
        no_ha: bool,
        /// Measure nothing: write the report again from the figures in `--json`.
        #[arg(long)]
        render: bool,
    },
    /// Client-side instructions per operation of each crate and raw
    /// tokio-postgres, counted by Callgrind (gungraun): deterministic, so
    /// `--check` fails when a count rises more than 5% above the committed
    /// one. Needs Valgrind and gungraun-runner (the error says how to install).
    Instructions {
        /// The database to count in (created if missing; its heroes are replaced).
        #[arg(long, default_value = "bench_instructions")]
        database: String,
        /// Compare with the counts in the committed figures and exit 1 on a regression.
        #[arg(long)]
        check: bool,
        /// The committed figures.
        #[arg(long, default_value = JSON)]
        json: PathBuf,
    },
    /// Write the report and the prose's report blocks again from a run's
    /// figures (e.g. after editing ANALYSIS.md or adding a block), without
    /// measuring.
    Render {
        /// The figures a `report` run saved.
        #[arg(long, default_value = JSON)]
        from: PathBuf,
        /// Where to write the report.
        #[arg(long, default_value = "book/src/comparison.md")]
        out: PathBuf,
    },
}

/// What `bench testing` and `bench beyond` take: one section measured alone.
#[derive(Debug, clap::Args)]
struct SectionArgs {
    /// The figures to update (and, at the default, the prose's blocks).
    #[arg(long, default_value = JSON)]
    json: PathBuf,
    /// Where to write the report.
    #[arg(long, default_value = "book/src/comparison.md")]
    out: PathBuf,
    /// The main database's name; the section's are beside it.
    #[arg(long, default_value = "bench")]
    database: String,
    /// A smoke run (how small, each section says).
    #[arg(long)]
    quick: bool,
}

/// Runs `only` (`testing_only`, `beyond_only`) with `args`: exit code 1 and
/// one line on a failure.
fn section(
    only: fn(&Path, &Path, &str, bool) -> Result<(), String>,
    args: &SectionArgs,
) -> ExitCode {
    match only(&args.json, &args.out, &args.database, args.quick) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// The committed figures, relative to the workspace root.
const JSON: &str = "docs/COMPARISON.json";

fn workspace() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let (out, json, quick, no_build_cost, rebuild, database) = match Cli::parse().command {
        Cmd::Report {
            out,
            json,
            quick,
            no_build_cost,
            rebuild,
            database,
        } => (out, json, quick, no_build_cost, rebuild, database),
        Cmd::ServeCrate { name, args } => return serve_crate(&name, args),
        Cmd::Scale { database, quick } => return scale_only(&database, quick),
        Cmd::StreamOne { name, url } => {
            return match bench::beyond::stream_one(&name, &url)
                .and_then(|s| serde_json::to_string(&s).map_err(|e| e.to_string()))
            {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("error: {err}");
                    ExitCode::from(1)
                }
            };
        }
        Cmd::Testing(args) => return section(testing_only, &args),
        Cmd::Beyond(args) => return section(beyond_only, &args),
        Cmd::Pools(args) => return section(pools_only, &args),
        Cmd::ServeFloor { database, addr } => return serve_floor(&database, addr),
        Cmd::Faults {
            json,
            out,
            quick,
            soak,
            servers,
            ha_only,
            no_ha,
            render,
        } => {
            if render {
                return match std::fs::read_to_string(&json)
                    .map_err(|e| format!("{}: {e}", json.display()))
                    .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
                    .and_then(|results| bench::faults::write(&results, &json, &out))
                {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => {
                        eprintln!("error: {err}");
                        ExitCode::from(1)
                    }
                };
            }
            return faults(&json, &out, quick, soak, &servers, (!no_ha, !ha_only));
        }
        Cmd::Instructions {
            database,
            check,
            json,
        } => return instructions_only(&database, check.then_some(json.as_path())),
        Cmd::Render { from, out } => {
            return match render(&from, &out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {err}");
                    ExitCode::from(1)
                }
            };
        }
    };
    // A database that cannot be had is a configuration problem: exit code 2.
    let url = match devdb::database_url(&database) {
        Ok(url) => url,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(devdb::Error::EXIT_CODE);
        }
    };
    let build = match (quick || no_build_cost, rebuild) {
        (true, _) => Build::Skip,
        (false, true) => Build::Measure,
        (false, false) => Build::ReuseOrMeasure,
    };
    match run(&url, &database, &out, &json, quick, build) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// `bench faults`: runs every fault against the servers, writes the figures.
/// `parts`: whether the HA part runs, and whether the single-server part does.
fn faults(
    json: &Path,
    out: &Path,
    quick: bool,
    soak: Option<u64>,
    servers: &[String],
    parts: (bool, bool),
) -> ExitCode {
    let mut config = if quick {
        bench::faults::FaultsConfig::quick()
    } else {
        bench::faults::FaultsConfig::full(soak.map(std::time::Duration::from_secs))
    };
    (config.ha, config.single) = parts;
    let scratch = workspace().join("target").join("bench");
    let result = Tools::locate(&workspace().join("target").join("bench-venv"), &scratch)
        .and_then(|tools| bench::faults::run(config, servers, tools))
        .and_then(|mut results| {
            let mut command = String::from("just faults");
            if quick {
                command.push_str(" --quick");
            }
            if let Some(s) = soak {
                command.push_str(&format!(" --soak {s}"));
            }
            for s in servers {
                command.push_str(&format!(" --server {s}"));
            }
            match parts {
                (true, false) => command.push_str(" --ha-only"),
                (false, true) => command.push_str(" --no-ha"),
                _ => {}
            }
            results.command = command;
            bench::faults::write(&results, json, out)?;
            eprintln!("wrote {} and {}", json.display(), out.display());
            Ok(())
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// `bench serve-crate <crate> <args>`: the crate's CLI, as its binary runs it.
fn serve_crate(name: &str, args: Vec<std::ffi::OsString>) -> ExitCode {
    let argv = std::iter::once(std::ffi::OsString::from(name)).chain(args);
    match name {
        "sync-diesel" => stacks::SyncDiesel::cli_main(argv.collect()),
        "async-diesel" => stacks::AsyncDiesel::cli_main(argv.collect()),
        "sqlx-raw" => stacks::SqlxRaw::cli_main(argv.collect()),
        "seaorm-migrate" => stacks::SeaOrm::cli_main(argv.collect()),
        other => {
            eprintln!("error: no crate named {other}");
            ExitCode::from(2)
        }
    }
}

/// What to do about the build cost.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    Skip,
    Measure,
    ReuseOrMeasure,
}

/// What the build cost depends on: Cargo.lock, the compiler, the CPU.
fn build_fingerprint() -> String {
    let lock = std::fs::read(workspace().join("Cargo.lock")).unwrap_or_default();
    format!(
        "Cargo.lock {:016x}; {}; {}",
        bench::results::fnv1a(&lock),
        command_output("rustc", &["-V"]),
        proc_field("/proc/cpuinfo", "model name")
    )
}

fn run(
    url: &str,
    database: &str,
    out: &Path,
    json_path: &Path,
    quick: bool,
    build: Build,
) -> Result<(), String> {
    let previous: Option<Results> = std::fs::read_to_string(json_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let began = std::time::Instant::now();
    let scratch = workspace().join("target").join("bench");
    let tools = Tools::locate(&workspace().join("target").join("bench-venv"), &scratch)?;
    let config = if quick {
        Config::quick()
    } else {
        Config::full()
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    eprintln!("loading the data set (10,000 heroes)");
    runtime.block_on(dataset::prepare(url))?;
    let mut results = Results {
        quick,
        bulk_rows: config.bulk_rows,
        ..Results::default()
    };
    results.context = context(url, &runtime, &tools, &config);
    drop(runtime);

    let criterion_dir = scratch.join("criterion");
    let _ = std::fs::remove_dir_all(&criterion_dir);
    results.samples = Bench::new(url, config, tools.clone(), criterion_dir)?.run()?;
    let http_config = if quick {
        bench::http::HttpConfig::quick()
    } else {
        bench::http::HttpConfig::full()
    };
    results.http = bench::http::run(&tools, &scratch, http_config)?;
    results.scale = scale(database, quick)?;
    pool_sweep(&mut results, &tools, url, quick)?;
    results.samples.extend(beyond(database, quick, &tools)?);
    results.testing = testing(database, quick)?;
    // Last of what runs this binary again (`serve-crate`, `stream-one`):
    // `cargo bench` builds the package's binaries too, and replaces this one.
    if quick {
        eprintln!("instructions: not counted in a quick run (`bench instructions` counts them)");
    } else {
        eprintln!("counting client instructions under Callgrind (gungraun)");
        // The data set as the single operations had it, whatever ran since.
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        runtime.block_on(dataset::prepare(url))?;
        drop(runtime);
        results.instructions = bench::instructions::run(&workspace(), url)?;
    }

    let fingerprint = build_fingerprint();
    let reusable = previous.filter(|p| {
        build == Build::ReuseOrMeasure && p.build_fingerprint == fingerprint && !p.build.is_empty()
    });
    let mut measured_builds = false;
    if let Some(previous) = reusable {
        eprintln!(
            "build cost: reusing the figures measured {} (same Cargo.lock, rustc and CPU; --rebuild measures again)",
            previous.build_measured
        );
        results.build = previous.build;
        results.build_measured = previous.build_measured;
        results.build_fingerprint = fingerprint;
    } else if build != Build::Skip {
        for krate in buildcost::CRATES {
            eprintln!("building {krate} cold in release (build cost)");
            results
                .build
                .push(buildcost::measure(&workspace(), &scratch, krate)?);
        }
        results.build_measured = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
        results.build_fingerprint = fingerprint;
        measured_builds = true;
    }
    results.context.push((
        "run time".to_owned(),
        format!(
            "{:.0} s (data set and measurements{})",
            began.elapsed().as_secs_f64(),
            if measured_builds { ", cold builds" } else { "" }
        ),
    ));

    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    if let Some(parent) = json_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(json_path, json)
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    report::write(&results, out, ANALYSIS)?;
    eprintln!("wrote {} and {}", out.display(), json_path.display());
    rewrite_prose(json_path, &results)
}

/// Rewrites the report blocks of the README, the crate READMEs and the book
/// when `json` is the committed figures (a `--json` elsewhere, as the smoke
/// test uses, leaves the prose alone).
fn rewrite_prose(json: &Path, results: &Results) -> Result<(), String> {
    let committed = workspace().join(JSON);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(json, &committed) {
        return Ok(());
    }
    for file in figures::rewrite_all(&workspace(), results)? {
        eprintln!("rewrote the report blocks of {}", file.display());
    }
    Ok(())
}

/// The section beyond the study, measured on databases beside `database`.
fn beyond(
    database: &str,
    quick: bool,
    tools: &Tools,
) -> Result<Vec<bench::results::Sample>, String> {
    use bench::beyond;
    let config = if quick {
        beyond::Config::quick()
    } else {
        beyond::Config::full()
    };
    let urls = beyond::Urls::create(database)?;
    eprintln!(
        "beyond: loading the sweeps, 100 teams of 10, and {} rows to stream",
        config.stream_rows
    );
    tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())?
        .block_on(beyond::prepare(&urls, &config))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let stream = |name: &str, url: &str| -> Result<beyond::Streamed, String> {
        let out = Command::new(&exe)
            .args(["stream-one", name, url])
            .output()
            .map_err(|e| format!("cannot run stream-one: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "stream-one {name}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("stream-one {name}: {e}"))
    };
    // The script counts only operations begun and ended in its window, and
    // its N+1 takes a good part of a second: never less than a second.
    let window = config.measure.max(std::time::Duration::from_secs(1));
    let sqla = |driver: &str, url: &str, workload: &str| {
        let out =
            tools.sqlalchemy_json(driver, url, workload, 1, config.warmup, window, 0, "beyond")?;
        if out["ops"].as_f64().unwrap_or_default() < 1.0 {
            return Err(format!(
                "SQLAlchemy + {driver} finished no {workload} in {window:?}"
            ));
        }
        Ok(out)
    };
    beyond::measure(&urls, &config, &stream, &sqla)
}

/// The testing section: what isolating one test costs, strategy by strategy,
/// on databases beside `database`.
fn testing(database: &str, quick: bool) -> Result<Vec<bench::testing::TestingRow>, String> {
    let tests = if quick { 5 } else { 50 };
    eprintln!("testing: {tests} tests per strategy");
    let dbs = bench::testing::Databases::create(database)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let rows = runtime.block_on(bench::testing::measure(&dbs, tests))?;
    drop(runtime);
    if quick {
        dbs.drop_all()?; // a smoke run's databases are beside a test's own
    }
    Ok(rows)
}

/// `bench testing`: measures that section alone, puts its rows into the
/// figures at `json` in place of the old ones, and renders again.
fn testing_only(json: &Path, out: &Path, database: &str, quick: bool) -> Result<(), String> {
    update_section(json, out, quick, |results, when| {
        results.testing = testing(database, quick)?;
        results.testing_measured = when;
        Ok(())
    })
}

/// The pool-size sweep into `results` (after the HTTP section, whose
/// databases it reuses; the in-process runs on `url`).
fn pool_sweep(results: &mut Results, tools: &Tools, url: &str, quick: bool) -> Result<(), String> {
    let config = if quick {
        bench::pools::SweepConfig::quick()
    } else {
        bench::pools::SweepConfig::full()
    };
    let scratch = workspace().join("target").join("bench");
    results.pool_sweep = bench::pools::run(tools, &scratch, url, config)?;
    results.pool_sweep_method = config.method();
    Ok(())
}

/// `bench pools`: measures the pool-size sweep alone, puts it into the
/// figures at `json` in place of the old one, and renders again.
fn pools_only(json: &Path, out: &Path, database: &str, quick: bool) -> Result<(), String> {
    update_section(json, out, quick, |results, when| {
        let scratch = workspace().join("target").join("bench");
        let tools = Tools::locate(&workspace().join("target").join("bench-venv"), &scratch)?;
        let url = devdb::database_url(database).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        runtime.block_on(dataset::prepare(&url))?;
        drop(runtime);
        pool_sweep(results, &tools, &url, quick)?;
        results.pool_sweep_measured = when;
        Ok(())
    })
}

/// `bench serve-floor`: the floor server on `addr`, on `database`.
fn serve_floor(database: &str, addr: std::net::SocketAddr) -> ExitCode {
    let url = match devdb::database_url(database) {
        Ok(url) => url,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(devdb::Error::EXIT_CODE);
        }
    };
    let served = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|runtime| runtime.block_on(bench::floor::serve(&url, addr)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// `bench beyond`: measures that section alone, puts its samples into the
/// figures at `json` in place of the old ones, and renders again.
fn beyond_only(json: &Path, out: &Path, database: &str, quick: bool) -> Result<(), String> {
    update_section(json, out, quick, |results, when| {
        let scratch = workspace().join("target").join("bench");
        let tools = Tools::locate(&workspace().join("target").join("bench-venv"), &scratch)?;
        let fresh = beyond(database, quick, &tools)?;
        let ours = |workload: &str| {
            workload == bench::beyond::ASSOCIATIONS
                || workload == bench::beyond::STREAM
                || workload.starts_with("rows_")
                || workload.starts_with("join_")
        };
        results.samples.retain(|s| !ours(&s.workload));
        results.samples.extend(fresh);
        results.beyond_measured = when;
        Ok(())
    })
}

/// Reads the figures at `json`, lets `measure` put one section's in (given
/// when, to record), writes them back, and renders the report and every
/// prose block again.
fn update_section(
    json: &Path,
    out: &Path,
    quick: bool,
    measure: impl FnOnce(&mut Results, String) -> Result<(), String>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(json).map_err(|e| {
        format!(
            "cannot read {}: {e}; run `just report` first",
            json.display()
        )
    })?;
    let mut results: Results = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let when = format!(
        "{}{}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        if quick { " (a --quick smoke run)" } else { "" }
    );
    measure(&mut results, when)?;
    std::fs::write(
        json,
        serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot write {}: {e}", json.display()))?;
    report::write(&results, out, ANALYSIS)?;
    eprintln!("wrote {} and {}", out.display(), json.display());
    rewrite_prose(json, &results)
}

/// `bench scale`: loads the data set, measures the scale section alone and
/// prints its table.
/// `bench instructions`: counts, prints the report's table, and with
/// `check` compares with the committed counts.
fn instructions_only(database: &str, check: Option<&Path>) -> ExitCode {
    let url = match devdb::database_url(database) {
        Ok(url) => url,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(devdb::Error::EXIT_CODE);
        }
    };
    let result = (|| {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        eprintln!("loading the data set (10,000 heroes)");
        runtime.block_on(dataset::prepare(&url))?;
        drop(runtime);
        eprintln!(
            "counting client instructions under Callgrind (a release build, then about a minute)"
        );
        let results = Results {
            instructions: bench::instructions::run(&workspace(), &url)?,
            ..Results::default()
        };
        let mut md = String::new();
        report::instructions_section(&mut md, &results);
        print!("{md}");
        let Some(json) = check else {
            return Ok(true);
        };
        let committed: Results = std::fs::read_to_string(json)
            .map_err(|e| format!("{}: {e}", json.display()))
            .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))?;
        if committed.instructions.is_empty() {
            return Err(format!(
                "{} holds no instruction counts to compare with",
                json.display()
            ));
        }
        let regressions =
            bench::instructions::regressions(&results.instructions, &committed.instructions);
        for line in &regressions {
            eprintln!("regression: {line}");
        }
        if regressions.is_empty() {
            eprintln!(
                "no count is more than {:.0}% above {}",
                100.0 * bench::instructions::TOLERANCE,
                json.display()
            );
        }
        Ok::<bool, String>(regressions.is_empty())
    })();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

fn scale_only(database: &str, quick: bool) -> ExitCode {
    let result = (|| {
        let url = devdb::database_url(database).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        eprintln!("loading the data set (10,000 heroes)");
        runtime.block_on(dataset::prepare(&url))?;
        drop(runtime);
        let results = Results {
            scale: scale(database, quick)?,
            ..Results::default()
        };
        let mut md = String::new();
        report::scale_section(&mut md, &results);
        print!("{md}");
        Ok::<(), String>(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// The scale section (many clients, PgBouncer, the replica), on the local
/// cluster only: devdb starts PgBouncer and the replica beside it.
fn scale(database: &str, quick: bool) -> Result<Vec<bench::scale::ScaleRow>, String> {
    let devdb = devdb::DevDb::from_env().map_err(|e| e.to_string())?;
    if !devdb.settings().is_local() {
        eprintln!(
            "scale: skipped (DATABASE_URL is not the local cluster, where devdb starts PgBouncer and a replica)"
        );
        return Ok(Vec::new());
    }
    eprintln!("scale: many clients, PgBouncer, the replica");
    let config = if quick {
        bench::scale::ScaleConfig::quick()
    } else {
        bench::scale::ScaleConfig::full()
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(bench::scale::measure(&devdb, database, config))
}

fn render(from: &Path, out: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(from).map_err(|e| {
        format!(
            "cannot read {}: {e}; run `just report` first",
            from.display()
        )
    })?;
    let results: Results = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a run's figures: {e}", from.display()))?;
    report::write(&results, out, ANALYSIS)?;
    eprintln!("wrote {}", out.display());
    rewrite_prose(from, &results)
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The first value of `key` in a `key: value` file such as /proc/cpuinfo.
fn proc_field(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':').or_else(|| l.split_once('=')))
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The version of `package` in Cargo.lock.
fn locked_version(lock: &str, package: &str) -> String {
    let needle = format!("name = \"{package}\"\nversion = \"");
    lock.find(&needle)
        .and_then(|at| lock[at + needle.len()..].split('"').next())
        .unwrap_or("unknown")
        .to_owned()
}

fn context(
    url: &str,
    runtime: &tokio::runtime::Runtime,
    tools: &Tools,
    config: &Config,
) -> Vec<(String, String)> {
    let server = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .ok()?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut parts = Vec::new();
        for setting in [
            "server_version",
            "fsync",
            "synchronous_commit",
            "shared_buffers",
        ] {
            let row = client
                .query_one(&format!("SHOW {setting}"), &[])
                .await
                .ok()?;
            parts.push(format!("{setting} {}", row.get::<_, String>(0)));
        }
        Some(parts.join(", "))
    });
    let lock = std::fs::read_to_string(workspace().join("Cargo.lock")).unwrap_or_default();
    let crates: Vec<String> = [
        "diesel",
        "diesel-async",
        "r2d2",
        "deadpool",
        "sqlx",
        "sea-orm",
        "tokio-postgres",
        "tokio",
        "criterion",
    ]
    .iter()
    .map(|p| format!("{p} {}", locked_version(&lock, p)))
    .collect();
    let mut context = vec![
        (
            "date".to_owned(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        (
            "command".to_owned(),
            "just report (cargo run --release -p bench -- report)".to_owned(),
        ),
        (
            "machine".to_owned(),
            format!(
                "{}, {} CPUs, {} RAM",
                proc_field("/proc/cpuinfo", "model name"),
                std::thread::available_parallelism().map_or(0, usize::from),
                proc_field("/proc/meminfo", "MemTotal")
            ),
        ),
        (
            "system".to_owned(),
            format!(
                "{}, Linux {}",
                proc_field("/etc/os-release", "PRETTY_NAME"),
                command_output("uname", &["-r"])
            ),
        ),
        (
            "Rust".to_owned(),
            format!(
                "{}, {} build",
                command_output("rustc", &["-V"]),
                if cfg!(debug_assertions) {
                    "debug"
                } else {
                    "release"
                }
            ),
        ),
        (
            "PostgreSQL".to_owned(),
            server.unwrap_or_else(|| "unknown".to_owned())
                + " (the local devdb cluster, same machine, TCP on localhost)",
        ),
        ("Rust crates".to_owned(), crates.join(", ")),
    ];
    context.extend(tools.versions());
    context.push((
        "settings".to_owned(),
        format!(
            "{} rounds; criterion warm-up {} ms, {} ms × {} samples; fixed-duration runs {} ms warm-up + {} ms (concurrent: twice that); tasks {:?}; bulk {} rows × {} rounds; pools of 8",
            config.rounds,
            config.warmup.as_millis(),
            config.measure.as_millis(),
            config.samples,
            config.warmup.as_millis(),
            config.measure.as_millis(),
            config.tasks,
            config.bulk_rows,
            config.bulk_rounds
        ),
    ));
    context
}
