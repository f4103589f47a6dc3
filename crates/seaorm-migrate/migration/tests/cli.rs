//! SeaORM's migration binary, as `cargo run -p migration -- ...` runs it.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use devdb::TestDatabase;

fn migration(database: &str, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("migration")
        .unwrap()
        .arg("--database")
        .arg(database)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn up_status_down_on_a_fresh_database() {
    let db = TestDatabase::create("migration_cli").unwrap();
    let up = migration(db.name(), &["up"]);
    assert!(up.status.success(), "{up:?}");
    let status = String::from_utf8_lossy(&migration(db.name(), &["status"]).stdout).into_owned();
    assert!(
        status.contains("Migration 'm20250101_000003_hero_types'... Applied"),
        "{status}"
    );
    let down = migration(db.name(), &["down", "-n", "3"]);
    assert!(down.status.success(), "{down:?}");
    let status = String::from_utf8_lossy(&migration(db.name(), &["status"]).stdout).into_owned();
    assert!(
        status.contains("Migration 'm20250101_000001_create_heroes'... Pending"),
        "{status}"
    );
}

#[test]
fn a_bad_database_url_is_one_line_and_exit_code_2() {
    let out = Command::cargo_bin("migration")
        .unwrap()
        .env("DATABASE_URL", "mysql://localhost/x")
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
}
