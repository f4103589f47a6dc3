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

#[test]
fn the_tour_runs_every_built_example_and_names_the_rest() {
    let dbs = TourDatabases {
        prefix: format!("tour_t{}_", std::process::id()),
    };
    let out = Command::cargo_bin("tour")
        .unwrap()
        .args(["--db-prefix", &dbs.prefix])
        .env_remove("ECHO")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let dbs = TourDatabases {
        prefix: format!("tour_e{}_", std::process::id()),
    };
    let out = Command::cargo_bin("tour")
        .unwrap()
        .args(["--db-prefix", &dbs.prefix])
        .env("ECHO", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
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
