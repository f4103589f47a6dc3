//! The tour binary, driven as a user runs it, in databases of its own.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;

/// Drops the tour's databases when the test ends, pass or fail.
struct TourDatabases {
    prefix: String,
}

impl Drop for TourDatabases {
    fn drop(&mut self) {
        let devdb = devdb::DevDb::from_env().unwrap();
        // Every database a stop may create; dropping a missing one is a no-op.
        for db in ["sync_diesel", "async_diesel", "sqlx_raw", "seaorm_migrate"] {
            let _ = devdb.drop_database(&format!("{}{db}", self.prefix));
        }
    }
}

/// Runs the tour binary in databases of its own (prefixed with `tag`),
/// with or without `ECHO`; returns its stdout once it has succeeded.
fn run_tour(tag: &str, echo: bool) -> String {
    let dbs = TourDatabases {
        prefix: format!("tour_{tag}{}_", std::process::id()),
    };
    let mut tour = Command::cargo_bin("tour").unwrap();
    tour.args(["--db-prefix", &dbs.prefix]);
    if echo {
        tour.env("ECHO", "1");
    } else {
        tour.env_remove("ECHO");
    }
    let out = tour.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_tour_runs_every_built_example_and_names_the_rest() {
    let stdout = run_tour("t", false);
    assert!(stdout.contains("Database: "), "{stdout}");
    assert!(stdout.contains("sync-diesel: done; 5 heroes"), "{stdout}");
    assert!(stdout.contains("async-diesel: done; 5 heroes"), "{stdout}");
    assert!(stdout.contains("sqlx-raw: done; 5 heroes"), "{stdout}");
    assert!(
        stdout.contains("seaorm-migrate: done; 5 heroes"),
        "{stdout}"
    );
    for name in ["spongebob", "sandy"] {
        assert!(stdout.contains(name), "missing {name}: {stdout}");
    }
}

#[test]
fn echo_prints_the_statements_of_every_stack() {
    let stdout = run_tour("e", true);
    // Diesel quotes identifiers, sqlx-raw's SQL is as written.
    assert!(stdout.contains("SQL> INSERT INTO \"heroes\""), "{stdout}");
    assert!(
        stdout.contains("SQL> INSERT INTO heroes (name, secret_name"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_database_url_is_one_line_and_exit_code_2() {
    let out = Command::cargo_bin("tour")
        .unwrap()
        .env("DATABASE_URL", "postgres//nope")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: DATABASE_URL"), "{stderr}");
}

/// The Rust a tour prints, as (crate, lines) blocks: each `rust:` line and
/// the lines under it, cut at a blank line (two snippets of one step) or at
/// the step's first result.
fn printed_rust(stdout: &str) -> Vec<(String, Vec<String>)> {
    const STOPS: [&str; 4] = ["sync-diesel", "async-diesel", "sqlx-raw", "seaorm-migrate"];
    let mut blocks = Vec::new();
    let mut krate = String::new();
    let mut current: Option<Vec<String>> = None;
    for line in stdout.lines() {
        if let Some(name) = STOPS
            .iter()
            .find(|name| line.starts_with("#### ") && line.contains(&format!(". {name} ")))
        {
            krate = (*name).to_owned();
        }
        if let Some(code) = line.strip_prefix("    rust:   ") {
            if let Some(done) = current.take() {
                blocks.push((krate.clone(), done));
            }
            current = Some(vec![code.to_owned()]);
        } else if let Some(lines) = current.as_mut() {
            match line.strip_prefix("           ") {
                Some(code) => lines.push(code.to_owned()),
                None => {
                    blocks.push((krate.clone(), std::mem::take(lines)));
                    current = line.is_empty().then(Vec::new);
                }
            }
        }
    }
    blocks.retain(|(_, lines)| !lines.is_empty());
    blocks
}

/// A source file's code lines, trimmed: no blank, doc-comment or anchor lines
/// (what `Snippet::code` leaves out when the tour prints).
fn code_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("///")
                && !l.starts_with("//!")
                && !l.starts_with("// ANCHOR")
        })
        .map(str::to_owned)
        .collect()
}

/// Every `.rs` file under `dir`, read.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<String>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            found.push((path, code_lines(&text)));
        }
    }
    found
}

/// Snippets true by construction: every block of Rust a tour prints is a run
/// of consecutive lines of its crate's own source (its `migration` crate
/// included, or the diesel verbs both diesel crates share in `support`), so
/// what a reader sees is the code
/// that ran. A tour printing a line typed by hand fails here; a missing
/// anchor does not even build (`support::snippet::anchored` in a const block).
#[test]
fn every_rust_line_a_tour_prints_is_in_the_crates_source() {
    let stdout = run_tour("s", false);
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let blocks = printed_rust(&stdout);
    for name in ["sync-diesel", "async-diesel", "sqlx-raw", "seaorm-migrate"] {
        let count = blocks.iter().filter(|(k, _)| k == name).count();
        assert!(count >= 12, "{name}: only {count} blocks of Rust printed");
    }
    for (krate, block) in &blocks {
        let mut files = sources(&crates.join(krate).join("src"));
        files.extend(sources(&crates.join("support").join("src")));
        // seaorm-migrate's migrations are a crate of their own inside it.
        let migration = crates.join(krate).join("migration").join("src");
        if migration.is_dir() {
            files.extend(sources(&migration));
        }
        let wanted = code_lines(&block.join("\n"));
        let found = files.iter().any(|(_, lines)| {
            lines
                .windows(wanted.len())
                .any(|window| window == wanted.as_slice())
        });
        assert!(
            found,
            "{krate}'s tour printed Rust that is not in its source:\n{}",
            block.join("\n")
        );
    }
}
