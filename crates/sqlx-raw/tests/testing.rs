//! Testing `queries.rs` the sqlx way: `#[sqlx::test]` gives each test a
//! database of its own, created on the `DATABASE_URL` server, migrated with
//! the crate's `migrations/` and loaded with the named fixture files from
//! `tests/fixtures/`; it hands the test a pool on it, and drops the database
//! when the test passes. The tests share nothing, so they run in parallel.
//! SQLAlchemy's answer is a pytest fixture (the book's "Testing your
//! queries" puts the two side by side).
//!
//! Run with `cargo test -p sqlx-raw --test testing`.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use heroes_model::NewHero;
use sqlx::PgPool;
use sqlx_raw::{Error, queries};

// ANCHOR: first
#[sqlx::test(fixtures("heroes"))]
#[ignore = "needs DATABASE_URL: run by the_sqlx_tests_pass_with_a_database_url"]
async fn the_seed_heroes_are_there(pool: PgPool) {
    let conn = &mut *pool.acquire().await.unwrap();
    let sandy = queries::by_name(conn, "sandy")
        .await
        .unwrap()
        .expect("sandy");
    assert_eq!(sandy.secret_name.as_deref(), Some("Sandy Cheeks"));
    assert_eq!(queries::count(conn).await.unwrap(), 6);
}
// ANCHOR_END: first

// ANCHOR: failure
/// A failure inside the test: the batch's transaction rolls back whole.
#[sqlx::test(fixtures("heroes"))]
#[ignore = "needs DATABASE_URL: run by the_sqlx_tests_pass_with_a_database_url"]
async fn a_duplicate_name_fails_the_batch_and_saves_none_of_it(pool: PgPool) {
    let batch = [
        NewHero::named("mr. krabs", "testing"),
        NewHero::named("sandy", "testing"),
    ];
    let mut tx = pool.begin().await.unwrap();
    let err = queries::add_all(&mut tx, &batch).await.unwrap_err();
    drop(tx); // ROLLBACK
    assert!(
        matches!(err, Error::AlreadyExists { ref name, .. } if name == "sandy"),
        "{err}"
    );
    let conn = &mut *pool.acquire().await.unwrap();
    assert_eq!(queries::by_name(conn, "mr. krabs").await.unwrap(), None);
    assert_eq!(queries::count(conn).await.unwrap(), 6);
}
// ANCHOR_END: failure

// ANCHOR: isolation
/// Each test has a database of its own: these two count exactly what they
/// added to the fixture's six, whichever runs first, at once or twice in a row.
#[sqlx::test(fixtures("heroes"))]
#[ignore = "needs DATABASE_URL: run by the_sqlx_tests_pass_with_a_database_url"]
async fn three_more_heroes_are_nine(pool: PgPool) {
    let conn = &mut *pool.acquire().await.unwrap();
    let heroes = ["a", "b", "c"].map(|n| NewHero::named(format!("three-{n}"), "testing"));
    queries::add_all(conn, &heroes).await.unwrap();
    assert_eq!(queries::count(conn).await.unwrap(), 9);
}

#[sqlx::test]
#[ignore = "needs DATABASE_URL: run by the_sqlx_tests_pass_with_a_database_url"]
async fn without_a_fixture_the_database_is_migrated_and_empty(pool: PgPool) {
    let conn = &mut *pool.acquire().await.unwrap();
    assert_eq!(queries::count(conn).await.unwrap(), 0);
}
// ANCHOR_END: isolation

// ANCHOR: runner
/// `#[sqlx::test]` reads `DATABASE_URL` as each test starts, and panics when
/// it is unset; in your project, CI and `.env` set it, and `cargo test`
/// runs the tests above directly. This workspace's tests must run with
/// nothing set, so they are `#[ignore]`d here, and this test runs them in a
/// child process of this same test binary (`--ignored`), with `DATABASE_URL`
/// set to the server devdb finds or starts. It fails when any of them fails.
#[test]
fn the_sqlx_tests_pass_with_a_database_url() {
    let server = devdb::database("postgres")
        .expect("a database server")
        .migration_url;
    let this_binary = std::env::current_exe().unwrap();
    let run = std::process::Command::new(this_binary)
        .args(["--ignored", "--test-threads", "4"])
        .env("DATABASE_URL", server)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains("test result: ok. 4 passed"), "{out}");
}
// ANCHOR_END: runner
