//! `book/src/comparison.md` (the book's measured comparison) and its SVG
//! charts, from a run's [`Results`].

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::contenders::{BenchResult, PIPELINED, RUST};
use crate::measure::{BULK, CONCURRENT, PGBENCH, PSQL_COPY, SQLALCHEMY, variant_name};
use crate::results::{Results, Sample};
use crate::workloads::Workload;

/// What the report says about the slow cases: written by hand from the
/// measurements, kept beside the code that measures them.
pub const ANALYSIS: &str = include_str!("../ANALYSIS.md");

/// The floor every ratio is taken against.
pub const RAW: &str = "tokio-postgres";

/// The seed's own stack, the other reference.
pub const SQLA_PSYCOPG2: &str = "SQLAlchemy + psycopg2";

/// The crates compared (the Rust contenders but the raw floor).
const CRATES: [&str; 4] = [RUST[0], RUST[1], RUST[2], RUST[3]];

/// Where a crate is slower than this fraction of raw on get-by-PK or by-name,
/// the report says why (see the analysis section).
pub const SLOW: f64 = 0.9;

pub(crate) fn ratio(value: f64, reference: Option<f64>) -> String {
    match reference {
        Some(r) if r > 0.0 => format!("{:.2}×", value / r),
        _ => "–".to_owned(),
    }
}

pub(crate) fn per_sec(v: f64) -> String {
    if v >= 100.0 {
        let n = v.round() as u64;
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{v:.1}")
    }
}

pub(crate) fn micros(us: f64) -> String {
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// Every contender of a workload, in report order.
fn order(results: &Results, workload: &str, tasks: u32) -> Vec<Sample> {
    let names: Vec<String> = RUST
        .iter()
        .map(|n| (*n).to_owned())
        .chain([crate::contenders::PIPELINED.to_owned()])
        .chain(CRATES.iter().map(|c| variant_name(c)))
        .chain(SQLALCHEMY.iter().map(|s| s.1.to_owned()))
        .chain([PGBENCH.to_owned(), PSQL_COPY.to_owned()])
        .collect();
    names
        .iter()
        .filter_map(|n| results.find(workload, n, tasks).cloned())
        .collect()
}

fn chart_name(workload: &str, tasks: u32) -> String {
    if workload == CONCURRENT || workload.starts_with("http_") {
        format!("{workload}_{tasks}.svg")
    } else {
        format!("{workload}.svg")
    }
}

/// A horizontal bar chart of `bars` (name, value) written to `path`.
pub fn bar_chart(path: &Path, title: &str, unit: &str, bars: &[(String, f64)]) -> BenchResult<()> {
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let n = bars.len() as u32;
        let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0) * 1.2;
        let height = 90 + 34 * n;
        // Room for the longest name at 13 px sans-serif, so none is cut.
        let longest = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(0);
        let labels = u32::try_from(longest * 7 + 16).unwrap_or(u32::MAX).max(190);
        let root = SVGBackend::new(path, (630 + labels, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title.replace('`', ""), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(labels)
            .build_cartesian_2d(0f64..max, (0u32..n).into_segmented())?;
        let names: Vec<String> = bars.iter().rev().map(|b| b.0.clone()).collect();
        let label = move |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                names.get(*i as usize).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bars.len())
            .y_label_formatter(&label)
            .x_desc(unit)
            .x_label_formatter(&|v| per_sec(*v))
            .label_style(("sans-serif", 13))
            .draw()?;
        // The first bar at the top: bar i sits in segment n - 1 - i.
        let slot = |i: usize| n - 1 - i as u32;
        chart.draw_series(bars.iter().enumerate().map(|(i, (name, value))| {
            let floor = name == RAW
                || name.starts_with(&format!("{RAW}, "))
                || name.starts_with(crate::floor::FLOOR);
            let color = if floor {
                RGBColor(90, 90, 90)
            } else if name.starts_with("SQLAlchemy") {
                RGBColor(214, 120, 40)
            } else if name.ends_with("(before)") {
                RGBColor(130, 170, 210)
            } else if name == PGBENCH || name == PSQL_COPY {
                RGBColor(160, 160, 160)
            } else {
                RGBColor(40, 110, 180)
            };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(slot(i))),
                    (*value, SegmentValue::Exact(slot(i) + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            bar
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(i, (_, value))| {
            Text::new(
                format!(" {}", per_sec(*value)),
                (*value, SegmentValue::CenterOf(slot(i))),
                ("sans-serif", 12),
            )
        }))?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| format!("cannot draw {}: {e}", path.display()))
}

/// Writes the report to `out` and its charts to `out`'s folder + `charts/`.
pub fn write(results: &Results, out: &Path, analysis: &str) -> BenchResult<()> {
    let folder = out.parent().unwrap_or_else(|| Path::new("."));
    let charts = folder.join("charts");
    std::fs::create_dir_all(&charts)
        .map_err(|e| format!("cannot create {}: {e}", charts.display()))?;
    let markdown = render(
        results,
        analysis,
        &mut |workload, tasks, title, unit, bars| {
            bar_chart(&charts.join(chart_name(workload, tasks)), title, unit, bars)
        },
    )?;
    std::fs::write(out, markdown).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// Draws one chart: (workload, tasks, title, unit, bars).
type Draw<'a> = dyn FnMut(&str, u32, &str, &str, &[(String, f64)]) -> BenchResult<()> + 'a;

/// The report's markdown; `draw` makes each chart it links to.
pub fn render(results: &Results, analysis: &str, draw: &mut Draw<'_>) -> BenchResult<String> {
    let mut md = String::new();
    let _ = writeln!(md, "# The measured comparison\n");
    let _ = writeln!(
        md,
        "Generated by `just report` (`cargo run --release -p bench -- report`); do not edit by hand. \
         Every figure below was measured in one run on the machine described under [Setup](#setup), \
         with every contender interleaved round by round (the order rotates each round), so that noise \
         on this shared VM falls on all of them alike. Compare ratios within this report, not absolute \
         numbers across machines.\n"
    );
    if results.quick {
        let _ = writeln!(
            md,
            "> **This is a `--quick` smoke run**: one short round, tiny bulk load. Its figures show the harness works; they are not measurements.\n"
        );
    }

    // Headline.
    let raw1 = results
        .find(Workload::GetByPk.id(), RAW, 1)
        .map(|s| s.per_sec);
    let raw8 = results.find(CONCURRENT, RAW, 8).map(|s| s.per_sec);
    let sqla1 = results
        .find(Workload::GetByPk.id(), SQLA_PSYCOPG2, 1)
        .map(|s| s.per_sec);
    let _ = writeln!(md, "## Headline: get by primary key\n");
    let _ = writeln!(
        md,
        "Each crate's throughput as a multiple of raw tokio-postgres (1.00× = as fast as the floor) and of the seed's SQLAlchemy + psycopg2 (above 1 = faster than the seed).\n"
    );
    let _ = writeln!(
        md,
        "| crate | ops/s, 1 task | × raw, 1 task | ops/s, 8 tasks | × raw, 8 tasks | × SQLAlchemy + psycopg2, 1 task |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for krate in CRATES {
        let one = results
            .find(Workload::GetByPk.id(), krate, 1)
            .map_or(0.0, |s| s.per_sec);
        let eight = results
            .find(CONCURRENT, krate, 8)
            .map_or(0.0, |s| s.per_sec);
        let _ = writeln!(
            md,
            "| {krate} | {} | {} | {} | {} | {} |",
            per_sec(one),
            ratio(one, raw1),
            per_sec(eight),
            ratio(eight, raw8),
            ratio(one, sqla1)
        );
    }
    md.push('\n');

    // Single operations.
    let _ = writeln!(md, "## Single operations (one task)\n");
    let _ = writeln!(
        md,
        "10,000 heroes loaded. Rust contenders: criterion, mean time per call, each call taking a connection from the crate's pool (size 8) and returning it; reads run without a transaction, the insert in one. SQLAlchemy: a fixed-duration loop, a new `Session` per operation, pool of 8. pgbench: `-M prepared`, one client, the same SQL. \"Rounds\" lists each round's ops/s.\n"
    );
    for workload in Workload::ALL {
        let samples = order(results, workload.id(), 1);
        if samples.is_empty() {
            continue; // a run from before the workload existed
        }
        let raw = results.find(workload.id(), RAW, 1).map(|s| s.per_sec);
        let sqla = results
            .find(workload.id(), SQLA_PSYCOPG2, 1)
            .map(|s| s.per_sec);
        let _ = writeln!(md, "### {}\n", workload.title());
        table(&mut md, &samples, raw, sqla, "ops/s");
        if workload == Workload::Insert100Fast {
            fast_insert_note(&mut md, results);
        }
        let bars: Vec<(String, f64)> = samples
            .iter()
            .map(|s| (s.contender.clone(), s.per_sec))
            .collect();
        draw(
            workload.id(),
            1,
            workload.title(),
            "operations per second",
            &bars,
        )?;
        let _ = writeln!(
            md,
            "![{}](charts/{})\n",
            workload.id(),
            chart_name(workload.id(), 1)
        );
    }

    instructions_section(&mut md, results);

    // Concurrency.
    let _ = writeln!(md, "## Concurrent get by primary key\n");
    let _ = writeln!(
        md,
        "N tasks each doing get-by-PK in a loop for a fixed time after a warm-up, through the contender's pool of 8 connections (sync-diesel and SQLAlchemy + psycopg2: N OS threads; raw tokio-postgres: N tasks over 8 connections, which it pipelines; pgbench: min(N, 8) clients). Mean latency from Little's law (N / throughput).{}\n",
        if results.samples.iter().any(|s| s.contender == PIPELINED) {
            format!(
                " async-diesel runs twice: through its pool, and as {PIPELINED}, its fastest path: no pool, each task's query sent on a connection it shares with other tasks (`&AsyncPgConnection`, `async_diesel::concurrency::get_shared`), which pipelines them as raw tokio-postgres does."
            )
        } else {
            String::new()
        }
    );
    let mut levels: Vec<u32> = results
        .samples
        .iter()
        .filter(|s| s.workload == CONCURRENT)
        .map(|s| s.tasks)
        .collect();
    levels.sort_unstable();
    levels.dedup();
    for tasks in levels {
        let samples = order(results, CONCURRENT, tasks);
        let raw = results.find(CONCURRENT, RAW, tasks).map(|s| s.per_sec);
        let sqla = results
            .find(CONCURRENT, SQLA_PSYCOPG2, tasks)
            .map(|s| s.per_sec);
        let _ = writeln!(
            md,
            "### {tasks} task{}\n",
            if tasks == 1 { "" } else { "s" }
        );
        table(&mut md, &samples, raw, sqla, "ops/s");
        let bars: Vec<(String, f64)> = samples
            .iter()
            .map(|s| (s.contender.clone(), s.per_sec))
            .collect();
        let title = format!("get by primary key, {tasks} concurrent tasks");
        draw(CONCURRENT, tasks, &title, "operations per second", &bars)?;
        let _ = writeln!(
            md,
            "![{CONCURRENT} {tasks}](charts/{})\n",
            chart_name(CONCURRENT, tasks)
        );
        cpu_table(&mut md, &samples, tasks);
        if tasks > 1 {
            concurrency_goal(&mut md, results, tasks);
        }
    }

    // Bulk.
    let bulk = order(results, BULK, 1);
    let _ = writeln!(
        md,
        "## Bulk load of {} heroes
",
        per_sec(results.bulk_rows as f64)
    );
    let _ = writeln!(
        md,
        "Each contender's best path, in one transaction, into the same table (then deleted). Ratios against raw tokio-postgres `COPY`.\n"
    );
    let raw = results.find(BULK, RAW, 1).map(|s| s.per_sec);
    let sqla = results.find(BULK, SQLA_PSYCOPG2, 1).map(|s| s.per_sec);
    table(&mut md, &bulk, raw, sqla, "rows/s");
    let _ = writeln!(
        md,
        "(\"mean latency\" here is the time of one whole load.)\n"
    );
    let bars: Vec<(String, f64)> = bulk
        .iter()
        .map(|s| (s.contender.clone(), s.per_sec))
        .collect();
    draw(BULK, 1, "bulk load", "rows per second", &bars)?;
    let _ = writeln!(md, "![bulk](charts/{})\n", chart_name(BULK, 1));

    beyond_section(&mut md, results, draw)?;
    testing_section(&mut md, results, draw)?;

    // Build cost.
    let _ = writeln!(md, "## Build cost\n");
    if results.build.is_empty() {
        let _ = writeln!(
            md,
            "Not measured in this run (`--quick`, or `--no-build-cost`).\n"
        );
    } else {
        let _ = writeln!(
            md,
            "`cargo build --release --locked -p <crate>` in an empty target folder (dependencies already downloaded; 2 cores), the release binary's size, and the packages in its dependency tree (`cargo tree -e normal,build`, each name and version once). Measured {}; a build depends only on Cargo.lock, the compiler and the machine, so `just report` reuses these figures while those stay the same (`just report --rebuild` measures again).\n",
            results.build_measured
        );
        let _ = writeln!(
            md,
            "| crate | cold release build | binary size | packages in tree |"
        );
        let _ = writeln!(md, "|---|---|---|---|");
        for b in &results.build {
            let _ = writeln!(
                md,
                "| {} | {:.0} s | {:.1} MB | {} |",
                b.krate,
                b.seconds,
                b.binary_bytes as f64 / 1e6,
                b.packages
            );
        }
        md.push('\n');
    }

    // Where it is slow.
    let _ = writeln!(md, "## Where it is slow, and whose cost it is\n");
    let mut slow = Vec::new();
    for workload in [Workload::GetByPk, Workload::ByName] {
        let raw = results.find(workload.id(), RAW, 1).map(|s| s.per_sec);
        for krate in CRATES {
            if let (Some(s), Some(r)) = (results.find(workload.id(), krate, 1), raw)
                && s.per_sec < SLOW * r
            {
                slow.push(format!(
                    "{krate} on {} ({:.2}× raw)",
                    workload.id(),
                    s.per_sec / r
                ));
            }
        }
    }
    if slow.is_empty() {
        let _ = writeln!(
            md,
            "In this run no crate is below {SLOW}× raw tokio-postgres on get-by-PK or by-name.\n"
        );
    } else {
        let _ = writeln!(
            md,
            "Below {SLOW}× raw tokio-postgres in this run: {}.\n",
            slow.join("; ")
        );
    }
    // ANALYSIS.md's part after `<!-- pools -->` explains the pool sweep.
    let (analysis, pools_analysis) = analysis.split_once(POOLS_MARK).unwrap_or((analysis, ""));
    md.push_str(analysis.trim());
    md.push_str("\n\n");

    http_section(&mut md, results, draw)?;
    pool_section(&mut md, results, draw)?;
    if !results.pool_sweep.is_empty() && !pools_analysis.trim().is_empty() {
        md.push_str(pools_analysis.trim());
        md.push_str("\n\n");
    }
    scale_section(&mut md, results);

    // Setup.
    let _ = writeln!(md, "## Setup\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    for (key, value) in &results.context {
        let _ = writeln!(md, "| {key} | {} |", value.replace('|', "\\|"));
    }
    md.push('\n');
    Ok(md)
}

/// A workload's table; without a SQLAlchemy figure (a workload only the
/// Rust contenders run) the column is left out rather than left empty.
fn table(md: &mut String, samples: &[Sample], raw: Option<f64>, sqla: Option<f64>, unit: &str) {
    let sqla_head = if sqla.is_some() {
        " × SQLAlchemy + psycopg2 |"
    } else {
        ""
    };
    let sqla_rule = if sqla.is_some() { "---|" } else { "" };
    let _ = writeln!(
        md,
        "| contender | {unit} | mean latency | × raw tokio-postgres |{sqla_head} rounds | how |"
    );
    let _ = writeln!(md, "|---|---|---|---|{sqla_rule}---|---|");
    for s in samples {
        let rounds: Vec<String> = s.rounds.iter().map(|r| per_sec(*r)).collect();
        let sqla_cell = if sqla.is_some() {
            format!(" {} |", ratio(s.per_sec, sqla))
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |{sqla_cell} {} | {} |",
            s.contender.replace('\\', "\\\\"),
            per_sec(s.per_sec),
            micros(s.mean_us),
            ratio(s.per_sec, raw),
            rounds.join(" / "),
            s.method.replace('\\', "\\\\")
        );
    }
    md.push('\n');
}

/// Where the CPU of a concurrent run went, per operation: the client's and
/// PostgreSQL's, and the rate both would allow if they had the machine's
/// cores to themselves, beside the rate measured.
fn cpu_table(md: &mut String, samples: &[Sample], tasks: u32) {
    let rows: Vec<(&Sample, crate::results::CpuPerOp)> = samples
        .iter()
        .filter_map(|s| s.cpu_us.map(|cpu| (s, cpu)))
        .filter(|(_, cpu)| cpu.client + cpu.server > 0.0)
        .collect();
    if rows.is_empty() || tasks == 1 {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let _ = writeln!(
        md,
        "CPU per operation at {tasks} tasks, read from `/proc` around each run (client: the measuring process with the children it waited for; server: every `postgres` process). With {cores} cores shared, client + server CPU per operation bounds the rate at {cores} s of CPU per second divided by their sum:\n\n| contender | client CPU/op | server CPU/op | client + server | rate that CPU allows | measured |\n|---|---|---|---|---|---|"
    );
    for (s, cpu) in rows {
        let sum = cpu.client + cpu.server;
        let _ = writeln!(
            md,
            "| {} | {:.0} µs | {:.0} µs | {:.0} µs | {} | {} |",
            s.contender,
            cpu.client,
            cpu.server,
            sum,
            per_sec(cores as f64 * 1e6 / sum),
            per_sec(s.per_sec)
        );
    }
    md.push('\n');
}

/// Client-side instructions per operation (Callgrind), one row per
/// contender, with the goal for get by primary key (within 2× raw).
pub fn instructions_section(md: &mut String, results: &Results) {
    use crate::instructions::OPS;
    let counts = &results.instructions;
    if counts.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Client instructions per operation\n");
    let _ = writeln!(
        md,
        "What each contender's own process executes per operation, counted by Callgrind through gungraun (`crates/bench/benches/instructions.rs`; `just instructions` counts again and compares): {OPS} operations after {OPS} unmeasured ones, on a current-thread runtime through a pool of one connection, divided by {OPS}. PostgreSQL's work is not in it, nor the wait for the answer. Unlike the timings it does not move with the machine's load or the round trip's length: two runs agree within about 1%.\n"
    );
    let workloads = [
        "get_by_pk",
        "by_name",
        "filter_100",
        "insert_100",
        "types_1000",
    ];
    let find = |workload: &str, contender: &str| {
        counts
            .iter()
            .find(|c| c.workload == workload && c.contender == contender)
            .map(|c| c.per_op)
    };
    let _ = writeln!(
        md,
        "| contender | get by primary key | by name | 100 rows by app_src | insert 100 | 1,000 typed rows |\n|---|---|---|---|---|---|"
    );
    for contender in RUST {
        let cells: Vec<String> = workloads
            .iter()
            .map(|w| match (find(w, contender), find(w, RAW)) {
                (Some(n), Some(raw)) => format!("{} ({:.2}×)", per_sec(n), n / raw.max(1.0)),
                (Some(n), None) => per_sec(n),
                _ => "–".to_owned(),
            })
            .collect();
        let _ = writeln!(md, "| {contender} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        md,
        "\nIn brackets: × raw tokio-postgres's count (lower is less work).\n"
    );
    if let Some(raw) = find("get_by_pk", RAW) {
        let parts: Vec<String> = CRATES
            .iter()
            .filter_map(|krate| {
                let x = find("get_by_pk", krate)? / raw.max(1.0);
                Some(format!("{krate} {x:.2}× ({})", met(x <= 2.0)))
            })
            .collect();
        let _ = writeln!(
            md,
            "Against the goal, get by primary key within 2× raw tokio-postgres's instructions: {}.\n",
            parts.join("; ")
        );
    }
}

/// Under a concurrency level: each crate against raw tokio-postgres (goal:
/// ≥ 0.85× with the same number of connections), and diesel-async's
/// pipelined path beside its pooled one.
fn concurrency_goal(md: &mut String, results: &Results, tasks: u32) {
    let Some(raw) = results.find(CONCURRENT, RAW, tasks).map(|s| s.per_sec) else {
        return;
    };
    let x = |name: &str| {
        results
            .find(CONCURRENT, name, tasks)
            .map(|s| s.per_sec / raw.max(1.0))
    };
    let mut parts = Vec::new();
    for krate in CRATES {
        let Some(pooled) = x(krate) else {
            continue;
        };
        let best = match (krate, x(PIPELINED)) {
            ("async-diesel", Some(piped)) => {
                format!(
                    "{pooled:.2}× pooled, {piped:.2}× pipelined ({})",
                    met(piped.max(pooled) >= 0.85)
                )
            }
            _ => format!("{pooled:.2}× ({})", met(pooled >= 0.85)),
        };
        parts.push(format!("{krate} {best}"));
    }
    let _ = writeln!(
        md,
        "Against raw tokio-postgres at {tasks} tasks (goal ≥ 0.85×): {}.\n",
        parts.join("; ")
    );
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "missed" }
}

/// Under the fast insert table: each crate's fast path against its
/// idiomatic one and against raw tokio-postgres (goal: ≥ 0.9× raw).
fn fast_insert_note(md: &mut String, results: &Results) {
    let fast = Workload::Insert100Fast.id();
    let idiomatic = Workload::Insert100.id();
    let Some(raw) = results.find(fast, RAW, 1).map(|s| s.per_sec) else {
        return;
    };
    let _ = writeln!(
        md,
        "The idiomatic insert (the table above) sends multi-row `VALUES`: five parameters a row, 500 for 100 heroes, in a statement whose text changes with the row count and which cannot carry more than 65,535 parameters (13,107 heroes). The array path sends each column as one array whatever the count (`UNNEST`; SeaORM, whose binder cannot send an array with NULLs in it, one `jsonb_to_recordset` parameter), written by hand in each crate's `beyond.rs`; sqlx-raw's `add_all` is already the `UNNEST`. Each crate's faster of the two is held to the goal.\n"
    );
    for krate in CRATES {
        let (Some(f), Some(i)) = (
            results.find(fast, krate, 1),
            results.find(idiomatic, krate, 1),
        ) else {
            continue;
        };
        let best = f.per_sec.max(i.per_sec) / raw.max(1.0);
        let _ = writeln!(
            md,
            "- {krate}: the array path {:.2}× its idiomatic insert; the faster {best:.2}× raw tokio-postgres (goal ≥ 0.9×: {}).",
            f.per_sec / i.per_sec.max(1.0),
            met(best >= 0.9)
        );
    }
    md.push('\n');
}

/// The application over HTTP: each server × load, with the FastAPI +
/// SQLAlchemy baseline, the goals checked, and each server's peak memory.
/// Database round trips per `GET /heroes/{id}` under load: every Rust
/// server sends BEGIN, SELECT, COMMIT (its pool checks a busy connection
/// without a round trip); the two on sqlx add the ping sqlx 0.9 always sends
/// as a connection comes back to its pool (a protocol `Sync`, after the
/// response). SQLAlchemy's AsyncSession sends BEGIN, SELECT, ROLLBACK.
fn round_trips(server: &str, one_statement_reads: bool) -> f64 {
    match server {
        // A run from before the one-statement reads: BEGIN, SELECT, COMMIT,
        // and sqlx's ping as the connection comes back.
        "sqlx-raw" | "seaorm-migrate" if !one_statement_reads => 4.0,
        _ if !one_statement_reads => 3.0,
        // The SELECT, and sqlx's ping as the connection comes back.
        "sqlx-raw" | "seaorm-migrate" => 2.0,
        // BEGIN (autobegin), the SELECT, ROLLBACK as the session closes.
        crate::http::FASTAPI => 3.0,
        // The SELECT alone (`db.autocommit()`, or SQLAlchemy's AUTOCOMMIT).
        _ => 1.0,
    }
}

/// Whether the run measured the servers with one-statement reads (no
/// transaction around a GET): runs before them have no AUTOCOMMIT FastAPI row.
fn one_statement_reads(results: &Results) -> bool {
    results
        .http
        .samples
        .iter()
        .any(|s| s.contender == crate::http::FASTAPI_AUTOCOMMIT)
}

/// What holds each server back at 64 connections, from figures of this run:
/// the statements per second its requests cost the database, beside pgbench's
/// rate for the same SELECT over 8 connections (this PostgreSQL's ceiling on
/// these two cores, with nothing else running).
fn what_bounds(md: &mut String, results: &Results) {
    use crate::http::{FASTAPI, GET, SERVERS};
    let find = |server: &str| {
        results
            .http
            .samples
            .iter()
            .find(|s| s.workload == GET && s.contender == server && s.connections == 64)
    };
    let Some(ceiling) = results.find(CONCURRENT, PGBENCH, 8).map(|s| s.per_sec) else {
        return;
    };
    let one_statement_reads = one_statement_reads(results);
    let _ = writeln!(
        md,
        "### What bounds each\n\n{} Against pgbench's {} statements/s for the same SELECT over 8 connections (this run, nothing else on the machine), at 64 connections:\n",
        if one_statement_reads {
            "The servers, `wrk` and PostgreSQL share two cores. A `GET /heroes/{id}` is one statement, so each Rust server sends it alone, outside any transaction (`db.autocommit()`): one round trip to PostgreSQL for diesel's two, and two for the sqlx-based two, since sqlx 0.9 pings every connection as it comes back to the pool (a protocol `Sync`, after the response is sent; not configurable). FastAPI's session begins a transaction on its first statement, so it sends three (BEGIN, SELECT, ROLLBACK as the session closes), and one with its reads in AUTOCOMMIT. The contract counts these on the wire (`http-contract/src/round_trips.rs`)."
        } else {
            "The servers, `wrk` and PostgreSQL share two cores. In this run (before the one-statement reads) a `GET /heroes/{id}` cost each Rust server three round trips to PostgreSQL (BEGIN, SELECT, COMMIT; its pool checks a connection in steady use without one) and FastAPI three (BEGIN, SELECT, ROLLBACK). sqlx 0.9 adds a fourth to sqlx-raw and seaorm-migrate: it pings every connection as it comes back to the pool (a protocol `Sync`, after the response is sent; not configurable)."
        },
        per_sec(ceiling)
    );
    let _ = writeln!(
        md,
        "| server | requests/s | database round trips/s | share of pgbench's rate |\n|---|---|---|---|"
    );
    for server in SERVERS {
        let Some(s) = find(server) else {
            continue;
        };
        let trips = round_trips(server, one_statement_reads);
        let _ = writeln!(
            md,
            "| {server} | {} | {} | {:.0}% |",
            per_sec(s.per_sec),
            per_sec(s.per_sec * trips),
            100.0 * s.per_sec * trips / ceiling
        );
    }
    let Some(fastapi) = find(FASTAPI) else {
        return;
    };
    let needed = 10.0 * fastapi.per_sec * round_trips("sync-diesel", one_statement_reads);
    let worst_spread = results
        .http
        .samples
        .iter()
        .filter(|s| {
            s.workload == GET && s.connections == 256 && !crate::http::is_fastapi(&s.contender)
        })
        .map(|s| s.p99_us / s.p50_us.max(1.0))
        .fold(0.0_f64, f64::max);
    let _ = writeln!(
        md,
        "\nRead with the 10× goal: FastAPI uses a small share of the database (its two uvicorn workers spend their cores in Python). Ten times its rate would cost a Rust server {} round trips/s, {:.0}% of what pgbench gets with the machine to itself, while the server and `wrk` need the same two cores. {}sync-diesel also hands every database call to a blocking thread (`spawn_blocking`). At 256 connections every Rust server's p99 stays within {worst_spread:.1}× its p50: requests wait for one of the 8 pooled connections in turn, and nothing queues without bound.\n",
        per_sec(needed),
        100.0 * needed / ceiling,
        if one_statement_reads {
            ""
        } else {
            "What is left per request is the transaction the API opened for every request (BEGIN and COMMIT around one SELECT; a read-only endpoint could skip them) and, for the sqlx-based two, sqlx's ping on return; "
        }
    );
}

fn http_section(md: &mut String, results: &Results, draw: &mut Draw<'_>) -> BenchResult<()> {
    use crate::http::{EXPORT, FASTAPI, GET, LOADS, POST, SERVERS, TEAMS};
    let http = &results.http;
    if http.samples.is_empty() {
        return Ok(());
    }
    let find = |workload: &str, server: &str, connections: u32| {
        http.samples.iter().find(|s| {
            s.workload == workload && s.contender == server && s.connections == connections
        })
    };
    let _ = writeln!(md, "## The application over HTTP\n");
    let _ = writeln!(
        md,
        "Each crate's `serve` (axum, the shared heroes API of `crates/heroes-api`: {}), the floor ({}), and the study's own stack, \
         FastAPI + SQLAlchemy `AsyncSession` over asyncpg under uvicorn (`crates/bench/python/fastapi_app.py`, the same routes; a session begins a transaction on its first statement){}, \
         each on a database of its own holding the 10,000 heroes, the first 1,000 in 100 teams of 10, under load from `wrk` on the same \
         machine (load generator, servers and PostgreSQL share its cores, alike for every server). Pools of 8 connections everywhere; \
         per-request logging off. `/teams?include=heroes` loads eagerly in two statements (FastAPI: `selectinload`); `/heroes/export` \
         streams NDJSON through a bounded buffer (FastAPI: `stream_scalars` with `yield_per=1000` into a `StreamingResponse`), at as many \
         connections as a Rust server exports at once; the POSTs run last, so every export reads the same 10,000 heroes. \
         Measured: {}.\n",
        if one_statement_reads(results) {
            "a transaction for each request that writes or reads twice, none for a one-statement read"
        } else {
            "in this run, one transaction per request"
        },
        FLOOR_TEXT,
        if one_statement_reads(results) {
            ", also measured with its one-statement reads on an AUTOCOMMIT engine (`AUTOCOMMIT_READS=1`)"
        } else {
            ""
        },
        http.method
    );
    for (workload, connections) in LOADS {
        let plural = if connections == 1 { "" } else { "s" };
        let title = match workload {
            POST => format!("`POST /heroes` with 10 heroes, {connections} connections"),
            TEAMS => format!(
                "`GET /teams?include=heroes` (100 teams of 10 heroes, nested), {connections} connection{plural}"
            ),
            EXPORT => format!(
                "`GET /heroes/export` (the 10,000 heroes as NDJSON), {connections} connection{plural}"
            ),
            _ => format!("`GET /heroes/{{id}}`, {connections} connection{plural}"),
        };
        let _ = writeln!(md, "### {title}\n");
        let reference = find(workload, FASTAPI, connections).map(|s| s.per_sec);
        let floor = find(workload, crate::floor::FLOOR, connections).map(|s| s.per_sec);
        // The floor serves the GETs by id and the POSTs only: no column
        // for the other loads rather than an empty one.
        let (floor_head, floor_rule) = if floor.is_some() {
            (" × floor |", "---|")
        } else {
            ("", "")
        };
        let _ = writeln!(
            md,
            "| server | requests/s | p50 | p99 | p99 / p50 |{floor_head} × FastAPI + SQLAlchemy | errors | rounds |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|{floor_rule}---|---|---|");
        let mut bars = Vec::new();
        for server in SERVERS {
            let Some(s) = find(workload, server, connections) else {
                continue;
            };
            let rounds: Vec<String> = s.rounds.iter().map(|r| per_sec(*r)).collect();
            let _ = writeln!(
                md,
                "| {server} | {} | {} | {} | {:.1} |{} {} | {} | {} |",
                per_sec(s.per_sec),
                micros(s.p50_us),
                micros(s.p99_us),
                s.p99_us / s.p50_us.max(1.0),
                floor.map_or(String::new(), |f| format!(
                    " {} |",
                    ratio(s.per_sec, Some(f))
                )),
                ratio(s.per_sec, reference),
                s.errors,
                rounds.join(" / ")
            );
            bars.push((server.to_owned(), s.per_sec));
        }
        md.push('\n');
        draw(
            workload,
            connections,
            &title.replace('`', ""),
            "requests/s",
            &bars,
        )?;
        let _ = writeln!(
            md,
            "![{title}](charts/{})\n",
            chart_name(workload, connections)
        );
    }
    // The goals of the application issue, checked on these figures.
    let _ = writeln!(md, "### Against the goals\n");
    for server in CRATES {
        let (Some(rust), Some(py)) = (find(GET, server, 64), find(GET, FASTAPI, 64)) else {
            continue;
        };
        let x = rust.per_sec / py.per_sec.max(1.0);
        let lower_p99 = rust.p99_us < py.p99_us;
        let spread = find(GET, server, 256).map_or(0.0, |s| s.p99_us / s.p50_us.max(1.0));
        let _ = writeln!(
            md,
            "- {server}: {x:.1}× FastAPI's requests/s at 64 connections (goal ≥ 10×: {}), p99 {} vs {} ({}); at 256 connections p99 = {spread:.1}× p50 (goal ≤ 20×: {}).",
            if x >= 10.0 { "met" } else { "missed" },
            micros(rust.p99_us),
            micros(py.p99_us),
            if lower_p99 { "lower" } else { "not lower" },
            if spread <= 20.0 { "met" } else { "missed" },
        );
    }
    md.push('\n');
    what_bounds(md, results);
    let _ = writeln!(
        md,
        "Peak resident memory of each server process over the run (uvicorn: master and workers together):\n"
    );
    let _ = writeln!(md, "| server | peak RSS |\n|---|---|");
    for (server, kib) in &http.peak_rss_kib {
        let _ = writeln!(md, "| {server} | {:.1} MiB |", *kib as f64 / 1024.0);
    }
    md.push('\n');
    Ok(())
}

/// Many clients, PgBouncer and the replica: one row per run, failures and
/// the first error's text included.
pub fn scale_section(md: &mut String, results: &Results) {
    if results.scale.is_empty() {
        return;
    }
    let clients = results.scale.iter().map(|r| r.clients).max().unwrap_or(0);
    let _ = writeln!(
        md,
        "## Beyond one pool: {clients} clients, PgBouncer, the replica\n\n\
         Get by primary key from {clients} concurrent clients (tokio tasks; OS threads for sync-diesel), each one read at a time, \
         against the local cluster (`max_connections = 300`): straight to the server with a pool of {clients} (a connection per client, \
         more than the server allows) and with the crate's default 8, and through devdb's PgBouncer 1.18 (8 server connections) in the \
         best mode each crate supports for this read (book/src/scaling.md); then 8 clients on the primary and on the streaming replica. \
         A client whose read fails counts the failure, waits 10 ms and goes on. `crates/bench/src/scale.rs`, run by `just report` \
         (alone: `cargo run --release -p bench -- scale`). What each pool does when the server refuses a connection, and why each crate \
         has the PgBouncer mode it has: [the book's Scaling chapter](scaling.md#measured-500-clients-pgbouncer-the-replica).\n"
    );
    let _ = writeln!(
        md,
        "| crate | route | clients | pool | reads/s | failed reads | first failure | each read |\n|---|---|---|---|---|---|---|---|"
    );
    for row in &results.scale {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.krate,
            row.route,
            row.clients,
            row.pool,
            per_sec(row.per_sec),
            row.errors,
            row.first_error.as_deref().map_or_else(
                || "none".to_owned(),
                |e| format!("`{}`", e.replace('|', "\\|").replace('`', "'"))
            ),
            row.how
        );
    }
    md.push('\n');
}

/// What isolating one test costs, strategy by strategy (absent from runs
/// made before it existed).
fn testing_section(md: &mut String, results: &Results, draw: &mut Draw<'_>) -> BenchResult<()> {
    let Some(fastest) = results
        .testing
        .iter()
        .map(|r| r.per_test_ms)
        .min_by(f64::total_cmp)
    else {
        return Ok(());
    };
    let tests = results.testing.first().map_or(0, |r| r.tests);
    let when = if results.testing_measured.is_empty() {
        "in the same run as the rest of this report".to_owned()
    } else {
        format!(
            "apart from the rest of this report, on {} by `cargo run --release -p bench -- testing`",
            results.testing_measured
        )
    };
    let _ = writeln!(
        md,
        "## Testing: what isolating one test costs\n\n\
         Measured {when}. One test is what each crate's `tests/testing.rs` does: isolate, add one hero with the crate's `add_all`, count the heroes (the test fails unless it counts only its own), and clean up. The figure is the median of {tests} tests run one after the other, set-up and tear-down included (`crates/bench/src/testing.rs`). The book's [Testing your queries](testing.md) says when to pick which.\n\n\
         | strategy | crate | per test | × the fastest |\n|---|---|---|---|"
    );
    let mut bars = Vec::new();
    for row in &results.testing {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            row.strategy,
            row.krate,
            micros(row.per_test_ms * 1000.0),
            ratio(row.per_test_ms, Some(fastest))
        );
        bars.push((
            format!("{}, {}", row.strategy, row.krate),
            1000.0 / row.per_test_ms,
        ));
    }
    md.push('\n');
    draw(TESTING, 1, "one test, isolated", "tests per second", &bars)?;
    let _ = writeln!(md, "![{TESTING}](charts/{})\n", chart_name(TESTING, 1));
    let _ = writeln!(
        md,
        "A rolled-back transaction costs a login, a `BEGIN` and a `ROLLBACK`; on a connection of a pool the tests share, only the `BEGIN` and the `ROLLBACK`. SeaORM's row includes opening a pool per test, as its lesson does. `TRUNCATE` empties every table before the test, on one shared database (tests cannot then run in parallel on it). A database of the test's own costs a `CREATE DATABASE` and a `DROP DATABASE` (with `WITH (FORCE)`) around the test, plus, when it is not cloned from a template, every migration; `#[sqlx::test]` does the latter. The migrations here are two short files, so the template saves little over migrating: the `CREATE DATABASE` and the `DROP DATABASE` themselves are most of the cost (timed apart with psql's `\\timing`, with either of PostgreSQL 15's copy strategies). The more migrations, the more a template saves.\n"
    );
    Ok(())
}

/// The testing section's chart.
const TESTING: &str = "testing";

/// The section beyond the study: the row-count sweeps, association loading
/// and the stream (absent from runs made before it existed).
fn beyond_section(md: &mut String, results: &Results, draw: &mut Draw<'_>) -> BenchResult<()> {
    use crate::beyond::{
        ASSOCIATIONS, CONTENDERS, SIZES, SQLALCHEMY, STRATEGIES, STREAM, sweep_id,
    };
    let contenders: Vec<&str> = CONTENDERS
        .iter()
        .copied()
        .chain(SQLALCHEMY.iter().map(|s| s.1))
        .collect();
    if results.find(STREAM, RAW, 1).is_none() {
        return Ok(());
    }
    let _ = writeln!(md, "## Relations, filters and large results\n");
    let when = if results.beyond_measured.is_empty() {
        "in the same run as the rest of this report".to_owned()
    } else {
        format!(
            "apart from the rest of this report, on {} by `cargo run --release -p bench -- beyond`",
            results.beyond_measured
        )
    };
    let _ = writeln!(
        md,
        "Measured {when}, one task, each contender in turn round by round; the workloads follow diesel's own benchmark, `diesel_bench`. SQLAlchemy runs the same queries through its ORM, in its own process; its script counts whole operations in a one-second window, so its slowest figures are coarse.\n"
    );
    let figure =
        |workload: &str, contender: &str| results.find(workload, contender, 1).map(|s| s.per_sec);
    for (join, title) in [
        (
            false,
            "Heroes per query: `scalars().all()` (diesel_bench's \"trivial query\"), rows/s",
        ),
        (
            true,
            "Heroes joined to their team, into `(Hero, Option<Team>)` (\"medium complex query\"), rows/s",
        ),
    ] {
        let _ = writeln!(md, "### {title}\n");
        let sizes: Vec<String> = SIZES
            .iter()
            .map(|n| {
                if *n >= 1000 {
                    per_sec(*n as f64)
                } else {
                    n.to_string()
                }
            })
            .collect();
        let _ = writeln!(
            md,
            "| contender | {} | × raw at 10,000 |",
            sizes.join(" | ")
        );
        let _ = writeln!(md, "|---|{}---|", "---|".repeat(SIZES.len()));
        let top = sweep_id(join, 10_000);
        let raw = figure(&top, RAW);
        for contender in &contenders {
            let cells: Vec<String> = SIZES
                .iter()
                .map(|n| figure(&sweep_id(join, *n), contender).map_or("–".to_owned(), per_sec))
                .collect();
            let at_top = figure(&top, contender).unwrap_or_default();
            let _ = writeln!(
                md,
                "| {contender} | {} | {} |",
                cells.join(" | "),
                ratio(at_top, raw)
            );
        }
        md.push('\n');
    }

    let _ = writeln!(
        md,
        "### Every team with its heroes: 100 teams of 10 (diesel_bench's \"loading associations\")\n\n\
         Loads per second of the whole set, by each strategy in the crate's `beyond.rs`; N+1 is the loop that asks team by team (101 statements).\n\n\
         | crate | strategy | loads/s | mean | × its own N+1 |\n|---|---|---|---|---|"
    );
    let mut bars = Vec::new();
    for (krate, strategies) in STRATEGIES {
        let one_by_one = figure(ASSOCIATIONS, &format!("{krate}, N+1"));
        for strategy in strategies {
            let name = format!("{krate}, {strategy}");
            if let Some(s) = results.find(ASSOCIATIONS, &name, 1) {
                let _ = writeln!(
                    md,
                    "| {krate} | {strategy} | {} | {} | {} |",
                    per_sec(s.per_sec),
                    micros(s.mean_us),
                    ratio(s.per_sec, one_by_one)
                );
                bars.push((name, s.per_sec));
            }
        }
    }
    for (_, sqla, loads) in SQLALCHEMY {
        let one_by_one = figure(ASSOCIATIONS, &format!("{sqla}, {}", loads[0].1));
        for (_, strategy) in loads {
            let name = format!("{sqla}, {strategy}");
            if let Some(s) = results.find(ASSOCIATIONS, &name, 1) {
                let _ = writeln!(
                    md,
                    "| {sqla} | {strategy} | {} | {} | {} |",
                    per_sec(s.per_sec),
                    micros(s.mean_us),
                    ratio(s.per_sec, one_by_one)
                );
                bars.push((name, s.per_sec));
            }
        }
    }
    md.push('\n');
    draw(
        ASSOCIATIONS,
        1,
        "100 teams × 10 heroes",
        "loads per second",
        &bars,
    )?;
    let _ = writeln!(
        md,
        "![{ASSOCIATIONS}](charts/{})\n",
        chart_name(ASSOCIATIONS, 1)
    );

    let streamed = results
        .find(STREAM, RAW, 1)
        .map_or(0.0, |s| s.per_sec * s.mean_us / 1e6);
    let _ = writeln!(
        md,
        "### Streaming {} rows\n\nEach contender streams every hero in a process of its own (the bench binary, `stream-one`), so that its peak resident memory (`VmHWM`) is its own.\n\n\
         | contender | rows/s | peak memory | × raw tokio-postgres |\n|---|---|---|---|",
        per_sec(streamed)
    );
    let raw = figure(STREAM, RAW);
    for contender in &contenders {
        if let Some(s) = results.find(STREAM, contender, 1) {
            let _ = writeln!(
                md,
                "| {contender} | {} | {:.1} MiB | {} |",
                per_sec(s.per_sec),
                s.peak_rss_kib.unwrap_or_default() as f64 / 1024.0,
                ratio(s.per_sec, raw)
            );
        }
    }
    md.push('\n');

    let _ = writeln!(md, "### Against the goals\n");
    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    for (join, what) in [(false, "plain"), (true, "joined")] {
        let top = sweep_id(join, 10_000);
        let raw = figure(&top, RAW).unwrap_or(f64::INFINITY);
        let each: Vec<String> = CRATES
            .iter()
            .map(|c| {
                let r = figure(&top, c).unwrap_or_default() / raw;
                format!("{c} {r:.2}× ({})", verdict(r >= 0.8))
            })
            .collect();
        let _ = writeln!(
            md,
            "- {what} query at 10,000 rows, at least 0.8× raw: {}",
            each.join(", ")
        );
    }
    // Each crate's fastest eager strategy (every strategy but the first, N+1).
    let best_eager = |krate: &str, strategies: &[&str]| {
        strategies[1..]
            .iter()
            .filter_map(|s| figure(ASSOCIATIONS, &format!("{krate}, {s}")))
            .fold(0.0, f64::max)
    };
    let eager: Vec<String> = STRATEGIES
        .iter()
        .map(|(krate, strategies)| {
            let base = figure(ASSOCIATIONS, &format!("{krate}, N+1")).unwrap_or(f64::INFINITY);
            let r = best_eager(krate, strategies) / base;
            format!("{krate} {r:.1}× ({})", verdict(r >= 10.0))
        })
        .collect();
    let _ = writeln!(
        md,
        "- eager loading at least 10× the crate's own N+1: {} (PostgreSQL is on this machine's loopback, where a round trip costs tens of microseconds; over a network each of the N+1's 100 extra round trips adds the network's latency, which this goal assumes)",
        eager.join(", ")
    );
    let raw = figure(STREAM, RAW).unwrap_or(f64::INFINITY);
    let stream: Vec<String> = CRATES
        .iter()
        .filter_map(|c| results.find(STREAM, c, 1))
        .map(|s| {
            let mib = s.peak_rss_kib.unwrap_or_default() as f64 / 1024.0;
            let r = s.per_sec / raw;
            format!(
                "{} {mib:.1} MiB, {r:.2}× ({})",
                s.contender,
                verdict(mib <= 64.0 && r >= 0.8)
            )
        })
        .collect();
    let _ = writeln!(
        md,
        "- streaming: peak memory at most 64 MiB and at least 0.8× raw's rows/s: {}",
        stream.join(", ")
    );
    let sqla_best = SQLALCHEMY
        .iter()
        .flat_map(|(_, sqla, loads)| {
            loads[1..]
                .iter()
                .filter_map(move |(_, s)| figure(ASSOCIATIONS, &format!("{sqla}, {s}")))
        })
        .fold(0.0, f64::max);
    let nested: Vec<String> = STRATEGIES
        .iter()
        .map(|(krate, strategies)| {
            let r = best_eager(krate, strategies) / sqla_best;
            format!("{krate} {r:.1}× ({})", verdict(r >= 10.0))
        })
        .collect();
    let _ = writeln!(
        md,
        "- the crate's best eager load at least 10× SQLAlchemy's best: {}\n",
        nested.join(", ")
    );
    Ok(())
}

/// Where ANALYSIS.md's explanation of the pool sweep begins.
const POOLS_MARK: &str = "<!-- pools -->";

/// What the HTTP section says the floor is.
const FLOOR_TEXT: &str = "`axum + tokio-postgres (floor)`: `GET /heroes/{id}` and `POST /heroes` written by hand in axum over tokio-postgres, \
     TechEmpower's shape, in `crates/bench/src/floor.rs`: a deadpool pool of the same size whose connections prepare their two statements once, \
     the same twelve-field JSON, the same tower layers (trace, timeout, body limit), one `INSERT … SELECT FROM UNNEST` per POST; \
     what a crate's server costs beyond it is the library and the shared API code";

/// A sweep row's CPU per request: the client's (or server process's), then PostgreSQL's.
fn cpu_cell(row: Option<&crate::pools::PoolSweepRow>) -> String {
    row.and_then(|r| r.cpu_us).map_or("–".to_owned(), |c| {
        format!("{:.1} µs, {:.1} µs", c.client, c.server)
    })
}

/// How big a pool should be: the sweep's tables, charts and goals.
fn pool_section(md: &mut String, results: &Results, draw: &mut Draw<'_>) -> BenchResult<()> {
    use crate::floor::FLOOR;
    use crate::pools::{CONNECTIONS, IN_PROCESS, SERVERS, TASKS, best};
    let rows = &results.pool_sweep;
    if rows.is_empty() {
        return Ok(());
    }
    let mut sizes: Vec<u32> = rows.iter().map(|r| r.pool_size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let find = |workload: &str, contender: &str, size: u32, connections: u32| {
        rows.iter().find(|r| {
            r.workload == workload
                && r.contender == contender
                && r.pool_size == size
                && r.connections == connections
        })
    };
    let http = crate::http::GET;
    let _ = writeln!(md, "## How big a pool should be\n");
    let when = if results.pool_sweep_measured.is_empty() {
        "in the same run as the rest of this report".to_owned()
    } else {
        format!(
            "apart from the rest of this report, on {} by `cargo run --release -p bench -- pools`",
            results.pool_sweep_measured
        )
    };
    let _ = writeln!(
        md,
        "Every server above runs a pool of 8 on two cores. Here each of them and the floor serve `GET /heroes/{{id}}` to {CONNECTIONS} connections at pool sizes {}, \
         and each crate runs `concurrent_get_by_pk` in process at {} tasks at the same sizes (raw tokio-postgres and async-diesel's pipelined variant: that many connections, no pool, the tasks spread over them and their queries pipelined). \
         Measured {when}: {}. Each cell: requests or operations per second, then the p99 latency. `crates/bench/src/pools.rs`.\n",
        sizes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        TASKS
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
        results.pool_sweep_method
    );
    let head = sizes
        .iter()
        .map(|z| format!("pool {z}"))
        .collect::<Vec<_>>()
        .join(" | ");
    let rule = "---|".repeat(sizes.len());
    let cell = |r: Option<&crate::pools::PoolSweepRow>| {
        r.map_or("–".to_owned(), |r| {
            let errors = if r.errors > 0 {
                format!(", {} errors", r.errors)
            } else {
                String::new()
            };
            format!("{} / {}{errors}", per_sec(r.per_sec), micros(r.p99_us))
        })
    };

    let _ = writeln!(
        md,
        "### `GET /heroes/{{id}}`, {CONNECTIONS} connections, by pool size\n\n| server | {head} | best size | best × the floor's best | CPU per request at the best size: server, PostgreSQL |\n|---|{rule}---|---|---|"
    );
    let floor_best = best(rows, http, FLOOR, CONNECTIONS).map(|r| r.per_sec);
    let mut bars = Vec::new();
    for server in SERVERS {
        let cells: Vec<String> = sizes
            .iter()
            .map(|z| cell(find(http, server, *z, CONNECTIONS)))
            .collect();
        let top = best(rows, http, server, CONNECTIONS);
        let _ = writeln!(
            md,
            "| {server} | {} | {} | {} | {} |",
            cells.join(" | "),
            top.map_or("–".to_owned(), |r| r.pool_size.to_string()),
            top.map_or("–".to_owned(), |r| ratio(r.per_sec, floor_best)),
            cpu_cell(top)
        );
        for z in &sizes {
            if let Some(r) = find(http, server, *z, CONNECTIONS) {
                bars.push((format!("{server}, pool {z}"), r.per_sec));
            }
        }
    }
    md.push('\n');
    let title = format!("GET /heroes/{{id}}, {CONNECTIONS} connections, by pool size");
    draw("pool_sweep_http", CONNECTIONS, &title, "requests/s", &bars)?;
    let _ = writeln!(md, "![{title}](charts/pool_sweep_http.svg)\n");

    for tasks in TASKS {
        let _ = writeln!(
            md,
            "### `concurrent_get_by_pk`, {tasks} tasks, by pool size\n\n| contender | {head} | best size | best × raw's best | CPU per operation at the best size: client, PostgreSQL |\n|---|{rule}---|---|---|"
        );
        let raw_best = best(rows, CONCURRENT, RAW, tasks).map(|r| r.per_sec);
        let mut bars = Vec::new();
        for contender in IN_PROCESS {
            let cells: Vec<String> = sizes
                .iter()
                .map(|z| cell(find(CONCURRENT, contender, *z, tasks)))
                .collect();
            let top = best(rows, CONCURRENT, contender, tasks);
            // The pipelined variant's name says 8 connections; here it has
            // as many as the column says.
            let shown = contender.replace("8 shared", "shared");
            let _ = writeln!(
                md,
                "| {shown} | {} | {} | {} | {} |",
                cells.join(" | "),
                top.map_or("–".to_owned(), |r| r.pool_size.to_string()),
                top.map_or("–".to_owned(), |r| ratio(r.per_sec, raw_best)),
                cpu_cell(top)
            );
            for z in &sizes {
                if let Some(r) = find(CONCURRENT, contender, *z, tasks) {
                    bars.push((format!("{shown}, pool {z}"), r.per_sec));
                }
            }
        }
        md.push('\n');
        let title = format!("concurrent_get_by_pk, {tasks} tasks, by pool size");
        let id = format!("pool_sweep_tasks_{tasks}");
        draw(&id, tasks, &title, "operations/s", &bars)?;
        let _ = writeln!(md, "![{title}](charts/{id}.svg)\n");
    }

    let _ = writeln!(md, "### Against the goals\n");
    for server in CRATES {
        let Some(top) = best(rows, http, server, CONNECTIONS) else {
            continue;
        };
        let x = top.per_sec / floor_best.unwrap_or(0.0).max(1.0);
        let at_default = find(http, server, 8, CONNECTIONS)
            .zip(find(http, FLOOR, 8, CONNECTIONS))
            .map_or("–".to_owned(), |(s, f)| {
                format!("{:.2}×", s.per_sec / f.per_sec.max(1.0))
            });
        let _ = writeln!(
            md,
            "- {server}'s server: best at a pool of {}, {x:.2}× the floor's best at {CONNECTIONS} connections (goal ≥ 0.8×: {}); both at the default pool of 8: {at_default}.",
            top.pool_size,
            met(x >= 0.8)
        );
    }
    for krate in CRATES {
        let mut parts = Vec::new();
        let mut all = true;
        for tasks in TASKS {
            let Some(top) = best(rows, CONCURRENT, krate, tasks) else {
                continue;
            };
            let (Some(raw_same), Some(raw_best)) = (
                find(CONCURRENT, RAW, top.pool_size, tasks),
                best(rows, CONCURRENT, RAW, tasks),
            ) else {
                continue;
            };
            let x = top.per_sec / raw_same.per_sec.max(1.0);
            all &= x >= 0.85;
            parts.push(format!(
                "{tasks} tasks: best at a pool of {}, {x:.2}× raw over as many connections ({:.2}× raw's best, {} connection{})",
                top.pool_size,
                top.per_sec / raw_best.per_sec.max(1.0),
                raw_best.pool_size,
                if raw_best.pool_size == 1 { "" } else { "s" }
            ));
        }
        let _ = writeln!(
            md,
            "- {krate} in process: {} (goal ≥ 0.85× raw at the crate's best size, at both: {}).",
            parts.join("; "),
            met(all)
        );
    }
    md.push('\n');
    Ok(())
}
