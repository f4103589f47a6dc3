//! The tour binary, driven as a user runs it.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;

#[test]
fn the_tour_runs_and_lists_every_stop() {
    let out = Command::cargo_bin("tour").unwrap().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Database: "), "{stdout}");
    for name in [
        "sync-diesel",
        "async-diesel",
        "sqlx-raw",
        "seaorm-migrate",
        "spongebob",
        "sandy",
    ] {
        assert!(stdout.contains(name), "missing {name}: {stdout}");
    }
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
