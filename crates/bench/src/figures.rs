//! Figures in prose, from the report only.
//!
//! A measured figure in README.md, a crate README or the book stands in a
//! block the report writes:
//!
//! ```text
//! <!-- report:glance -->
//! (what `just report` rendered from docs/COMPARISON.json)
//! <!-- /report:glance -->
//! ```
//!
//! `just report` rewrites every block after a run, and `cargo run -p bench --
//! render` does it again from the committed figures; `tests/figures.rs` fails
//! when a block differs from what docs/COMPARISON.json gives, or when a figure
//! is typed outside a block ([`unmarked_figures`]).

use std::path::{Component, Path, PathBuf};

use crate::contenders::RUST;
use crate::http::{FASTAPI, GET};
use crate::measure::{BULK, CONCURRENT};
use crate::report::{RAW, SQLA_PSYCOPG2, micros, per_sec, ratio};
use crate::results::Results;
use crate::workloads::Workload;

/// The example crates, in the order every table lists them.
const CRATES: [&str; 4] = [RUST[0], RUST[1], RUST[2], RUST[3]];

/// The generated chapter every block links to, from the workspace root.
const COMPARISON: &str = "book/src/comparison.md";

/// The hand-written prose that may hold report blocks (and must hold no
/// figure outside one), relative to the workspace root: the README, each
/// crate's README, the book's chapters but the two generated ones, and the
/// analysis the report includes.
pub fn prose_files(workspace: &Path) -> Vec<PathBuf> {
    let mut files = vec![
        workspace.join("README.md"),
        workspace.join("crates/bench/ANALYSIS.md"),
    ];
    for dir in ["crates", "book/src"] {
        let Ok(entries) = std::fs::read_dir(workspace.join(dir)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .map(|p| if p.is_dir() { p.join("README.md") } else { p })
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "md"))
            .filter(|p| !GENERATED.iter().any(|g| p.ends_with(g)))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// Chapters generated whole (by `just report` and `just conformance`).
const GENERATED: [&str; 2] = ["book/src/comparison.md", "book/src/behaviour.md"];

/// `file` (a path under `workspace`) with every report block rendered anew
/// from `results`.
pub fn rewrite(
    text: &str,
    results: &Results,
    workspace: &Path,
    file: &Path,
) -> Result<String, String> {
    let link = relative(workspace, file, COMPARISON);
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(name) = block_start(line) else {
            continue;
        };
        let end = format!("<!-- /report:{name} -->");
        let mut closed = false;
        for inner in lines.by_ref() {
            if inner.trim_end() == end {
                out.push_str(render(name, results, &link)?.trim_end());
                out.push('\n');
                out.push_str(inner);
                closed = true;
                break;
            }
        }
        if !closed {
            return Err(format!(
                "{}: `<!-- report:{name} -->` has no `{end}`",
                file.display()
            ));
        }
    }
    Ok(out)
}

/// Rewrites every prose file's blocks from `results`; returns those changed.
pub fn rewrite_all(workspace: &Path, results: &Results) -> Result<Vec<PathBuf>, String> {
    let mut changed = Vec::new();
    for file in prose_files(workspace) {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let new = rewrite(&text, results, workspace, &file)?;
        if new != text {
            std::fs::write(&file, new)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            changed.push(file);
        }
    }
    Ok(changed)
}

fn block_start(line: &str) -> Option<&str> {
    line.trim_end()
        .strip_prefix("<!-- report:")?
        .strip_suffix(" -->")
}

/// The path of `target` (relative to `workspace`) as seen from `file`'s folder.
fn relative(workspace: &Path, file: &Path, target: &str) -> String {
    let folder = file
        .parent()
        .and_then(|f| f.strip_prefix(workspace).ok())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let depth = folder
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    let target = Path::new(target);
    if let Ok(inside) = target.strip_prefix(&folder) {
        return inside.display().to_string();
    }
    let mut up = "../".repeat(depth);
    up.push_str(&target.display().to_string());
    up
}

/// One block's text.
fn render(name: &str, results: &Results, link: &str) -> Result<String, String> {
    let source = source_line(results, link);
    if name == "glance" {
        return Ok(format!("{}\n{source}", glance(results)));
    }
    if let Some(krate) = name.strip_prefix("crate:").filter(|k| CRATES.contains(k)) {
        return Ok(format!("{}\n{source}", one_crate(results, krate)));
    }
    if name == "testing" {
        return Ok(testing(results, link));
    }
    Err(format!(
        "no report block called `{name}` (known: glance, crate:<name>, testing)"
    ))
}

/// The testing section's table: what isolating one test costs.
fn testing(results: &Results, link: &str) -> String {
    if results.testing.is_empty() {
        return format!(
            "Not measured yet: `cargo run --release -p bench -- testing` measures it ([the measured comparison]({link}))."
        );
    }
    let mut out = String::from("| strategy | crate | per test |\n|---|---|---|\n");
    for row in &results.testing {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            row.strategy,
            row.krate,
            micros(row.per_test_ms * 1000.0)
        ));
    }
    let how = if results.testing_measured.is_empty() {
        "by `just report`".to_owned()
    } else {
        format!(
            "by `cargo run --release -p bench -- testing` on {}",
            results.testing_measured
        )
    };
    let tests = results.testing.first().map_or(0, |r| r.tests);
    out.push_str(&format!(
        "\nThe median of {tests} tests each, measured {how}; how, and the chart: [the measured comparison]({link}#testing-what-isolating-one-test-costs)."
    ));
    out
}

fn source_line(results: &Results, link: &str) -> String {
    let context = |key: &str| {
        results
            .context
            .iter()
            .find(|(k, _)| k == key)
            .map_or("?", |(_, v)| v.as_str())
    };
    format!(
        "Measured by `just report` on {} ({}); how each figure was taken, and every other: [the measured comparison]({link}).",
        context("date"),
        context("machine").split(',').next().unwrap_or("?").trim()
    )
}

/// A crate's figures, looked up once.
struct Figures {
    single: Option<f64>,
    single_raw: Option<f64>,
    single_sqla: Option<f64>,
    eight: Option<f64>,
    eight_raw: Option<f64>,
    http: Option<(f64, f64)>,
    http_fastapi: Option<(f64, f64)>,
    /// The floor's (axum + tokio-postgres by hand), absent in older runs.
    http_floor: Option<(f64, f64)>,
    rss_mib: Option<f64>,
    bulk: Option<f64>,
    bulk_raw: Option<f64>,
    build: Option<(f64, f64, usize)>,
    /// Client instructions per get by primary key, the crate's and raw's.
    instructions: Option<(f64, f64)>,
}

fn figures(results: &Results, krate: &str) -> Figures {
    let sample = |workload: &str, who: &str, tasks: u32| {
        results.find(workload, who, tasks).map(|s| s.per_sec)
    };
    let http = |who: &str| {
        results
            .http
            .samples
            .iter()
            .find(|s| s.workload == GET && s.contender == who && s.connections == 64)
            .map(|s| (s.per_sec, s.p99_us))
    };
    let get = Workload::GetByPk.id();
    Figures {
        single: sample(get, krate, 1),
        single_raw: sample(get, RAW, 1),
        single_sqla: sample(get, SQLA_PSYCOPG2, 1),
        eight: sample(CONCURRENT, krate, 8),
        eight_raw: sample(CONCURRENT, RAW, 8),
        http: http(krate),
        http_fastapi: http(FASTAPI),
        http_floor: http(crate::floor::FLOOR),
        rss_mib: results
            .http
            .peak_rss_kib
            .iter()
            .find(|(who, _)| who == krate)
            .map(|(_, kib)| *kib as f64 / 1024.0),
        bulk: sample(BULK, krate, 1),
        bulk_raw: sample(BULK, RAW, 1),
        build: results
            .build
            .iter()
            .find(|b| b.krate == krate)
            .map(|b| (b.seconds, b.binary_bytes as f64 / 1e6, b.packages)),
        instructions: {
            let count = |who: &str| {
                results
                    .instructions
                    .iter()
                    .find(|c| c.workload == get && c.contender == who)
                    .map(|c| c.per_op)
            };
            count(krate).zip(count(RAW))
        },
    }
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "–".to_owned())
}

/// The README's and the book's table: the four crates side by side.
fn glance(results: &Results) -> String {
    let all: Vec<Figures> = CRATES.iter().map(|k| figures(results, k)).collect();
    let row = |label: &str, cell: &dyn Fn(&Figures) -> String| {
        let cells: Vec<String> = all.iter().map(cell).collect();
        format!("| {label} | {} |\n", cells.join(" | "))
    };
    let fastapi = all.first().and_then(|f| f.http_fastapi);
    let mut md = format!("| | {} |\n|---|---|---|---|---|\n", CRATES.join(" | "));
    md += &row(
        "get by primary key, one task: × raw tokio-postgres",
        &|f| f.single.map_or("–".into(), |v| ratio(v, f.single_raw)),
    );
    md += &row("the same: × SQLAlchemy + psycopg2", &|f| {
        f.single.map_or("–".into(), |v| ratio(v, f.single_sqla))
    });
    md += &row("get by primary key, 8 tasks: × raw tokio-postgres", &|f| {
        f.eight.map_or("–".into(), |v| ratio(v, f.eight_raw))
    });
    if all.iter().any(|f| f.instructions.is_some()) {
        md += &row(
            "client instructions per get by primary key (Callgrind; the same on any machine): × raw tokio-postgres's, lower is less work",
            &|f| {
                f.instructions
                    .map_or("–".into(), |(n, raw)| format!("{:.2}×", n / raw.max(1.0)))
            },
        );
    }
    md += &row(
        &format!(
            "`serve`, `GET /heroes/{{id}}` at 64 connections: requests/s (FastAPI + SQLAlchemy: {})",
            or_dash(fastapi.map(|(rps, _)| per_sec(rps)))
        ),
        &|f| {
            or_dash(f.http.map(|(rps, _)| {
                format!("{} ({})", per_sec(rps), ratio(rps, fastapi.map(|(r, _)| r)))
            }))
        },
    );
    if let Some(floor) = all.first().and_then(|f| f.http_floor) {
        md += &row(
            &format!(
                "the same: × the floor, the route by hand in axum over tokio-postgres ({} requests/s)",
                per_sec(floor.0)
            ),
            &|f| or_dash(f.http.map(|(rps, _)| ratio(rps, Some(floor.0)))),
        );
    }
    md += &row(
        &format!(
            "the same: p99 (FastAPI + SQLAlchemy: {})",
            or_dash(fastapi.map(|(_, p99)| micros(p99)))
        ),
        &|f| or_dash(f.http.map(|(_, p99)| micros(p99))),
    );
    md += &row("`serve`: peak memory", &|f| {
        or_dash(f.rss_mib.map(|m| format!("{m:.1} MiB")))
    });
    md += &row(
        &format!(
            "bulk load of {} heroes: × raw COPY",
            per_sec(results.bulk_rows as f64)
        ),
        &|f| f.bulk.map_or("–".into(), |v| ratio(v, f.bulk_raw)),
    );
    md += &row("cold release build, binary, packages", &|f| {
        or_dash(
            f.build
                .map(|(s, mb, n)| format!("{s:.0} s, {mb:.1} MB, {n}")),
        )
    });
    md
}

/// A crate README's or chapter's list of its own figures.
fn one_crate(results: &Results, krate: &str) -> String {
    let f = figures(results, krate);
    let mut md = String::new();
    if let Some(v) = f.single {
        md += &format!(
            "- get by primary key: {} raw tokio-postgres with one task, {} with 8 tasks; {} SQLAlchemy + psycopg2\n",
            ratio(v, f.single_raw),
            or_dash(f.eight.map(|e| ratio(e, f.eight_raw))),
            ratio(v, f.single_sqla)
        );
    }
    if let Some((rps, p99)) = f.http {
        md += &format!(
            "- `serve`, `GET /heroes/{{id}}` at 64 connections: {} requests/s ({} FastAPI + SQLAlchemy{}), p99 {} (FastAPI: {}); peak memory {}\n",
            per_sec(rps),
            ratio(rps, f.http_fastapi.map(|(r, _)| r)),
            f.http_floor.map_or(String::new(), |(floor, _)| format!(
                ", {} the same route by hand in axum over tokio-postgres",
                ratio(rps, Some(floor))
            )),
            micros(p99),
            or_dash(f.http_fastapi.map(|(_, p)| micros(p))),
            or_dash(f.rss_mib.map(|m| format!("{m:.1} MiB")))
        );
    }
    if let Some(v) = f.bulk {
        md += &format!(
            "- bulk load of {} heroes: {} rows/s, {} raw tokio-postgres COPY\n",
            per_sec(results.bulk_rows as f64),
            per_sec(v),
            ratio(v, f.bulk_raw)
        );
    }
    if let Some((s, mb, n)) = f.build {
        md += &format!(
            "- cold release build {s:.0} s, binary {mb:.1} MB, {n} packages in its tree\n"
        );
    }
    md
}

/// Lines of `text` (1-based) holding a measured figure outside every report
/// block: a rate (`req/s`, `rows/s`, ...), a ratio (`1.18×`), a memory size,
/// microseconds, or a percentile. Settings and limits (a 5 s deadline, a pool
/// of 8) are not figures and pass.
pub fn unmarked_figures(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        if block_start(line).is_some() {
            inside = true;
            continue;
        }
        if line.trim_start().starts_with("<!-- /report:") {
            inside = false;
            continue;
        }
        if !inside && has_figure(line) {
            found.push((i + 1, line.to_owned()));
        }
    }
    found
}

fn has_figure(line: &str) -> bool {
    const RATES: [&str; 9] = [
        "req/s",
        "requests/s",
        "requests per second",
        "rows/s",
        "ops/s",
        "reads/s",
        "statements/s",
        "calls/s",
        "round trips/s",
    ];
    const SIZES: [&str; 3] = ["MiB", "MB", "µs"];
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit()
            || (i > 0 && (bytes[i - 1].is_ascii_alphabetic() || bytes[i - 1] == b'_'))
        {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len()
            && (bytes[end].is_ascii_digit() || bytes[end] == b',' || bytes[end] == b'.')
        {
            end += 1;
        }
        let after = line[end..].trim_start_matches(' ');
        if after.starts_with('×')
            || RATES.iter().any(|unit| after.starts_with(unit))
            || SIZES.iter().any(|unit| after.starts_with(unit))
        {
            return true;
        }
        i = end.max(i + 1);
    }
    line.contains("p99 ")
        && line.split("p99 ").skip(1).any(|rest| {
            rest.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '|' && c != '.')
                .starts_with(|c: char| c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_found_and_settings_are_not() {
        for figure in [
            "15,529 req/s at 64 connections",
            "1.18× raw tokio-postgres",
            "peak memory 31.5 MiB",
            "16.1 MB binary",
            "48 µs client CPU",
            "69442 rows/s",
            "p99 6.8 ms",
        ] {
            assert!(has_figure(figure), "{figure}");
        }
        for setting in [
            "a pool of 8, a 5 s connect deadline, 500 ms idle",
            "100 teams × 10 heroes",
            "PostgreSQL 15, sqlx 0.9, x86_64",
            "the p99 is what a user feels",
        ] {
            assert!(!has_figure(setting), "{setting}");
        }
    }

    #[test]
    fn blocks_are_rewritten_and_the_rest_is_kept() {
        let results = Results::default();
        let workspace = Path::new("/w");
        let text = "intro 1.5× typed\n<!-- report:crate:sqlx-raw -->\nold\n<!-- /report:crate:sqlx-raw -->\nend\n";
        let new = rewrite(
            text,
            &results,
            workspace,
            &workspace.join("crates/sqlx-raw/README.md"),
        )
        .unwrap();
        assert!(new.starts_with("intro 1.5× typed\n<!-- report:crate:sqlx-raw -->\n"));
        assert!(new.contains("(../../book/src/comparison.md)"), "{new}");
        assert!(new.ends_with("<!-- /report:crate:sqlx-raw -->\nend\n"));
        assert!(!new.contains("old"));
        assert_eq!(unmarked_figures(&new), [(1, "intro 1.5× typed".to_owned())]);
        let book = rewrite(
            text,
            &results,
            workspace,
            &workspace.join("book/src/sqlx-raw.md"),
        )
        .unwrap();
        assert!(book.contains("(comparison.md)"), "{book}");
        assert!(
            rewrite(
                "<!-- report:nope -->\n<!-- /report:nope -->\n",
                &results,
                workspace,
                &workspace.join("README.md")
            )
            .is_err()
        );
        assert!(
            rewrite(
                "<!-- report:glance -->\nno end\n",
                &results,
                workspace,
                &workspace.join("README.md")
            )
            .is_err()
        );
    }
}
