//! The harness cannot rot: `bench report --quick` runs every workload against
//! every contender (the four crates, raw tokio-postgres, pgbench, psql \copy,
//! SQLAlchemy over psycopg2 and asyncpg) in a database of its own, and must
//! produce a report with every cell filled. No timing is asserted: the
//! figures of a quick run are not measurements.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use devdb::TestDatabase;

/// Not part of `cargo test --workspace`, which needs only Rust and
/// PostgreSQL: this one also needs Python with venv (the SQLAlchemy and
/// FastAPI baselines install from PyPI), pgbench and wrk. CI runs it by name.
#[test]
#[ignore = "needs Python + PyPI, pgbench and wrk; run: cargo test -p bench --test quick -- --ignored"]
fn a_quick_run_fills_every_cell_of_the_report() {
    let db = TestDatabase::create("bench_quick").unwrap();
    let dir = std::env::temp_dir().join(format!("bench-quick-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("COMPARISON.md");
    let run = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["report", "--quick", "--database", db.name(), "--out"])
        .arg(&out)
        .arg("--json")
        .arg(out.with_extension("json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "bench report --quick failed: {stderr}"
    );

    let report = std::fs::read_to_string(&out).unwrap();
    // Many clients, PgBouncer, the replica: five runs per crate, each with
    // reads done and (16 clients: nothing over any limit) none failed.
    assert!(report.contains("## Beyond one pool"), "{report}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.with_extension("json")).unwrap())
            .unwrap();
    let samples = json["samples"].as_array().unwrap();
    let contenders = [
        "sync-diesel",
        "async-diesel",
        "sqlx-raw",
        "seaorm-migrate",
        "tokio-postgres",
        "SQLAlchemy + psycopg2",
        "SQLAlchemy + asyncpg",
    ];
    let workloads = [
        "get_by_pk",
        "by_name",
        "scalar",
        "filter_100",
        "insert_100",
        "types_1000",
    ];
    let has = |workload: &str, contender: &str, tasks: u64| {
        samples.iter().any(|s| {
            s["workload"] == workload
                && s["contender"] == contender
                && s["tasks"] == tasks
                && s["per_sec"].as_f64().unwrap() > 0.0
        })
    };
    for workload in workloads {
        for contender in contenders.iter().chain(&["pgbench"]) {
            assert!(
                has(workload, contender, 1),
                "no figure for {contender} on {workload}"
            );
        }
    }
    for tasks in [1, 8] {
        for contender in contenders.iter().chain(&["pgbench"]) {
            assert!(
                has("concurrent_get_by_pk", contender, tasks),
                "no figure for {contender} at {tasks} tasks"
            );
        }
    }
    for contender in contenders.iter().chain(&["psql \\copy"]) {
        assert!(has("bulk", contender, 1), "no bulk figure for {contender}");
    }
    // What isolating one test costs: every strategy measured, with a time.
    let testing = json["testing"].as_array().expect("testing rows");
    for (strategy, krate) in bench::testing::STRATEGIES {
        assert!(
            testing.iter().any(|r| r["strategy"] == strategy
                && r["crate"] == krate
                && r["per_test_ms"].as_f64().unwrap() > 0.0),
            "no testing figure for {strategy} with {krate}"
        );
    }
    assert!(
        report.contains("## Testing: what isolating one test costs"),
        "{report}"
    );

    // Beyond the study: both sweeps at every size for every Rust contender,
    // every strategy of every crate, and every stream with its peak memory.
    for contender in &contenders[..5] {
        for n in [1, 10, 100, 1000, 10000] {
            for sweep in ["rows", "join"] {
                let workload = format!("{sweep}_{n}");
                assert!(
                    has(&workload, contender, 1),
                    "no {workload} figure for {contender}"
                );
            }
        }
        let stream = samples
            .iter()
            .find(|s| s["workload"] == "stream_1m" && s["contender"] == *contender)
            .unwrap_or_else(|| panic!("no stream figure for {contender}"));
        assert!(stream["peak_rss_kib"].as_u64().unwrap() > 0, "{stream}");
    }
    for strategy in bench::beyond::STRATEGIES
        .iter()
        .flat_map(|(krate, names)| names.iter().map(move |n| format!("{krate}, {n}")))
    {
        assert!(
            has("associations", &strategy, 1),
            "no association figure for {strategy}"
        );
    }
    assert!(
        report.contains("## Relations, filters and large results"),
        "{report}"
    );

    // The application over HTTP: every server under every load, no errors.
    let http = json["http"]["samples"].as_array().unwrap();
    for server in contenders[..4]
        .iter()
        .chain(&["FastAPI + SQLAlchemy (asyncpg)"])
    {
        for (workload, connections) in [
            ("http_get_by_pk", 1),
            ("http_get_by_pk", 64),
            ("http_get_by_pk", 256),
            ("http_post_10", 64),
            ("http_teams_heroes", 64),
            ("http_export", 2),
        ] {
            // An export is 10,000 rows: in a debug build and a 1 s load, a
            // few complete; every other load serves far more.
            let least = if workload == "http_export" { 0.5 } else { 10.0 };
            let sample = http
                .iter()
                .find(|s| {
                    s["contender"] == *server
                        && s["workload"] == workload
                        && s["connections"] == connections
                })
                .unwrap_or_else(|| panic!("no HTTP figure for {server} {workload} {connections}"));
            assert!(
                sample["per_sec"].as_f64().unwrap() > least,
                "{server} served almost nothing under {workload} at {connections}: {sample}"
            );
            assert_eq!(
                sample["errors"], 0,
                "{server} {workload} {connections}: {sample}"
            );
        }
    }
    assert!(report.contains("## The application over HTTP"), "{report}");
    // The floor: the GETs by id and the POSTs, no errors.
    for (workload, connections) in [
        ("http_get_by_pk", 1),
        ("http_get_by_pk", 64),
        ("http_get_by_pk", 256),
        ("http_post_10", 64),
    ] {
        let floor = bench::floor::FLOOR;
        let sample = http
            .iter()
            .find(|s| {
                s["contender"] == floor
                    && s["workload"] == workload
                    && s["connections"] == connections
            })
            .unwrap_or_else(|| panic!("no floor figure for {workload} {connections}"));
        assert!(sample["per_sec"].as_f64().unwrap() > 10.0, "{sample}");
        assert_eq!(sample["errors"], 0, "{sample}");
    }

    // The pool sweep: every server and the floor over HTTP, every Rust
    // contender in process at both task counts, at each quick size, with
    // requests served, a p99, CPU, and no errors.
    let sweep = json["pool_sweep"].as_array().expect("pool_sweep rows");
    let row = |workload: &str, contender: &str, size: u64, connections: u64| {
        sweep
            .iter()
            .find(|r| {
                r["workload"] == workload
                    && r["contender"] == contender
                    && r["pool_size"] == size
                    && r["connections"] == connections
            })
            .unwrap_or_else(|| {
                panic!("no sweep row for {contender} {workload} pool {size} at {connections}")
            })
    };
    for size in [1, 8] {
        for server in bench::pools::SERVERS {
            let r = row("http_get_by_pk", server, size, 64);
            assert!(r["per_sec"].as_f64().unwrap() > 10.0, "{r}");
            assert!(r["p99_us"].as_f64().unwrap() > 0.0, "{r}");
            assert!(r["cpu_us"]["client"].as_f64().is_some(), "{r}");
            assert_eq!(r["errors"], 0, "{r}");
        }
        for contender in &contenders[..5] {
            for tasks in bench::pools::TASKS {
                let r = row("concurrent_get_by_pk", contender, size, u64::from(tasks));
                assert!(r["per_sec"].as_f64().unwrap() > 10.0, "{r}");
                assert!(r["p99_us"].as_f64().unwrap() > 0.0, "{r}");
            }
        }
    }
    assert!(report.contains("## How big a pool should be"), "{report}");

    // Every ratio cell is filled (a missing reference would print "–"), and
    // every chart the report links to exists.
    assert!(report.contains("## Headline"), "{report}");
    assert!(!report.contains("| – |"), "an empty cell in:\n{report}");
    for line in report.lines().filter(|l| l.starts_with("![")) {
        let file = line.split("](").nth(1).unwrap().trim_end_matches(')');
        let svg = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("sqlx-raw"),
            "{file}"
        );
    }
    assert!(
        report.contains("--quick"),
        "a quick report must say it is one"
    );
    let scale = json["scale"].as_array().unwrap();
    for krate in ["sync-diesel", "async-diesel", "sqlx-raw", "seaorm-migrate"] {
        let runs: Vec<_> = scale.iter().filter(|r| r["krate"] == krate).collect();
        assert_eq!(runs.len(), 5, "{krate}: {runs:?}");
        for run in runs {
            assert!(run["per_sec"].as_f64().unwrap() > 0.0, "{run}");
            assert_eq!(run["errors"], 0, "{run}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
