//! sqlx-raw against a real PostgreSQL. Every test gets a database of its own
//! (devdb::TestDatabase, dropped at the end), migrated to head, so the tests run
//! in parallel and can be run any number of times.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use devdb::TestDatabase;
use devdb::testing::{BadInput, assert_contains_all, stdout_of};
use heroes_model::{NewHero, seed};
use sqlx::PgPool;
use sqlx_raw::db::{self, Settings};
use sqlx_raw::production::bulk;
use sqlx_raw::{Error, migrate, queries, tour};

const APP: &str = "sqlx-raw-test";

async fn fresh(prefix: &str) -> (TestDatabase, PgPool) {
    let db = TestDatabase::create(prefix).unwrap();
    let pool = db::pool(db.url(), &Settings::default()).await.unwrap();
    migrate::up(&pool).await.unwrap();
    (db, pool)
}

async fn seeded(prefix: &str) -> (TestDatabase, PgPool) {
    let (db, pool) = fresh(prefix).await;
    let mut tx = pool.begin().await.unwrap();
    tour::add_seed(&mut tx, APP).await.unwrap();
    tx.commit().await.unwrap();
    (db, pool)
}

async fn count(pool: &PgPool) -> i64 {
    queries::count(&mut pool.acquire().await.unwrap())
        .await
        .unwrap()
}

async fn table_exists(pool: &PgPool, table: &str) -> bool {
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn nothing_applied(pool: &PgPool) -> bool {
    migrate::history(pool)
        .await
        .unwrap()
        .iter()
        .all(|r| !r.applied)
}

// ---- the idioms -------------------------------------------------------------

#[tokio::test]
async fn every_read_idiom_returns_what_the_seed_holds() {
    let (_db, pool) = seeded("sx_reads").await;
    let conn = &mut pool.acquire().await.unwrap();

    let sandy = queries::by_name(conn, "sandy").await.unwrap().unwrap();
    assert_eq!(sandy.secret_name.as_deref(), Some("Sandy Cheeks"));
    assert_eq!(sandy.age, Some(25));
    assert_eq!(
        queries::get(conn, sandy.id).await.unwrap(),
        Some(sandy.clone())
    );
    assert_eq!(queries::get(conn, -1).await.unwrap(), None);
    assert_eq!(queries::by_name(conn, "nobody").await.unwrap(), None);
    assert_eq!(queries::by_name(conn, "SANDY").await.unwrap(), None);
    assert_eq!(
        queries::secret_name_of(conn, "sandy").await.unwrap(),
        Some(Some("Sandy Cheeks".to_owned()))
    );
    assert_eq!(
        queries::secret_name_of(conn, "barnacle boy").await.unwrap(),
        Some(None)
    );
    assert_eq!(queries::secret_name_of(conn, "nobody").await.unwrap(), None);
    assert_eq!(
        queries::count(conn).await.unwrap(),
        seed::HEROES.len() as i64
    );

    let names: Vec<_> = queries::by_app_src(conn, APP)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect();
    let expected: Vec<_> = seed::HEROES.iter().map(|h| h.name.to_owned()).collect();
    assert_eq!(names, expected);

    for (hero, team) in queries::with_teams(conn, APP).await.unwrap() {
        let expected = seed::HEROES
            .iter()
            .find(|h| h.name == hero.name)
            .unwrap()
            .team;
        assert_eq!(
            team.as_ref().map(|t| t.name.as_str()),
            expected,
            "{}",
            hero.name
        );
        assert_eq!(team.map(|t| t.id), hero.team_id);
    }
}

#[tokio::test]
async fn update_and_delete_change_exactly_the_named_row() {
    let (_db, pool) = seeded("sx_update").await;
    let conn = &mut pool.acquire().await.unwrap();
    assert_eq!(
        queries::birthday(conn, "spongebob")
            .await
            .unwrap()
            .unwrap()
            .age,
        Some(23)
    );
    assert_eq!(
        queries::by_name(conn, "sandy").await.unwrap().unwrap().age,
        Some(25)
    );
    assert_eq!(queries::birthday(conn, "nobody").await.unwrap(), None);
    assert_eq!(
        queries::delete_by_name(conn, "barnacle boy").await.unwrap(),
        1
    );
    assert_eq!(
        queries::delete_by_name(conn, "barnacle boy").await.unwrap(),
        0
    );
    assert_eq!(
        queries::count(conn).await.unwrap(),
        seed::HEROES.len() as i64 - 1
    );
}

// ---- transactions -------------------------------------------------------------

#[tokio::test]
async fn a_batch_with_a_duplicate_name_is_reported_and_leaves_zero_rows() {
    let (_db, pool) = seeded("sx_dup").await;
    let batch = [
        NewHero::named("mr. krabs", APP),
        NewHero::named("sandy", APP),
    ];
    let mut tx = pool.begin().await.unwrap();
    let err = queries::add_all(&mut tx, &batch).await.unwrap_err();
    drop(tx);
    assert!(
        matches!(&err, Error::AlreadyExists { what: "hero", name } if name == "sandy"),
        "{err:?}"
    );
    assert_eq!(count(&pool).await, seed::HEROES.len() as i64);
}

#[tokio::test]
async fn commit_keeps_rollback_and_drop_discard() {
    let (_db, pool) = fresh("sx_tx_endings").await;
    let row = |name: &str| [NewHero::named(name, APP)];

    let mut tx = pool.begin().await.unwrap();
    queries::add_all(&mut tx, &row("kept")).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    queries::add_all(&mut tx, &row("rolled back"))
        .await
        .unwrap();
    assert!(
        queries::by_name(&mut tx, "rolled back")
            .await
            .unwrap()
            .is_some()
    );
    tx.rollback().await.unwrap();

    {
        let mut tx = pool.begin().await.unwrap();
        queries::add_all(&mut tx, &row("dropped")).await.unwrap();
        // no commit: the transaction is dropped here
    }

    let conn = &mut pool.acquire().await.unwrap();
    assert!(queries::by_name(conn, "kept").await.unwrap().is_some());
    assert_eq!(queries::by_name(conn, "rolled back").await.unwrap(), None);
    assert_eq!(queries::by_name(conn, "dropped").await.unwrap(), None);
    assert_eq!(queries::count(conn).await.unwrap(), 1);
}

#[tokio::test]
async fn injection_looking_and_unicode_names_round_trip_verbatim() {
    let (_db, pool) = fresh("sx_verbatim").await;
    let long = "x".repeat(10_000);
    let names = [
        "O'Brien \"the\" \\ hero",
        "'); DROP TABLE heroes; --",
        "$1, $2 -- not a parameter",
        "Ñandú Größe 鬼 Ωμέγα",
        "🧽 spongebob 🦀",
        long.as_str(),
    ];
    let rows: Vec<_> = names.iter().map(|n| NewHero::named(*n, APP)).collect();
    let mut tx = pool.begin().await.unwrap();
    queries::add_all(&mut tx, &rows).await.unwrap();
    tx.commit().await.unwrap();
    let conn = &mut pool.acquire().await.unwrap();
    for name in names {
        assert_eq!(
            queries::by_name(conn, name).await.unwrap().unwrap().name,
            name
        );
    }
    assert!(table_exists(&pool, "heroes").await);

    let mut tx = pool.begin().await.unwrap();
    let err = queries::add_all(&mut tx, &[NewHero::named("nul\0byte", APP)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("0x00"), "{err}");
}

// ---- bulk loads ---------------------------------------------------------------

#[tokio::test]
async fn unnest_and_copy_each_load_exactly_ten_thousand_rows() {
    let (_db, pool) = fresh("sx_bulk").await;
    let rows = bulk::generate(10_000, "bulk");
    assert_eq!(
        bulk::load_unnest(&pool, &rows, |_| {}).await.unwrap(),
        10_000
    );
    assert_eq!(count(&pool).await, 10_000);

    assert_eq!(bulk::purge(&pool).await.unwrap(), 10_000);
    let last = std::sync::atomic::AtomicU64::new(0);
    let loaded = bulk::load_copy(&pool, &rows, |n| {
        last.store(n, std::sync::atomic::Ordering::Relaxed);
    })
    .await
    .unwrap();
    assert_eq!(loaded, 10_000);
    assert_eq!(last.into_inner(), 10_000, "progress reached the end");
    assert_eq!(count(&pool).await, 10_000);

    // COPY kept NULLs as NULL and quoted text verbatim.
    let conn = &mut pool.acquire().await.unwrap();
    let first = queries::by_name(conn, "bulk-0000000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.secret_name.as_deref(),
        Some("Secret \"0\", of course")
    );
    assert_eq!(first.age, None);
    let second = queries::by_name(conn, "bulk-0000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.secret_name, None);
    assert_eq!(second.age, Some(11));
}

#[tokio::test]
async fn copy_round_trips_awkward_names() {
    let (_db, pool) = fresh("sx_copy_names").await;
    let names = [
        "comma, inside",
        "quote \" inside",
        "new\nline",
        "'); DROP TABLE heroes; --",
        "🧽 emoji",
        "",
    ];
    let rows: Vec<_> = names.iter().map(|n| NewHero::named(*n, APP)).collect();
    assert_eq!(
        bulk::load_copy(&pool, &rows, |_| {}).await.unwrap(),
        names.len() as u64
    );
    let conn = &mut pool.acquire().await.unwrap();
    for name in names {
        assert_eq!(
            queries::by_name(conn, name).await.unwrap().unwrap().name,
            name
        );
    }
}

#[tokio::test]
async fn a_copy_with_a_bad_row_loads_nothing() {
    let (_db, pool) = fresh("sx_copy_bad").await;
    let mut rows = bulk::generate(5_000, "bad");
    // A duplicate of the first name, near the end.
    rows[4_990].name = rows[0].name.clone();
    let err = bulk::load_copy(&pool, &rows, |_| {}).await.unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { name, .. } if name == "bad-0000000"),
        "{err:?}"
    );
    assert_eq!(count(&pool).await, 0);

    // A NUL byte in one row: PostgreSQL refuses it, and again nothing is loaded.
    let mut rows = bulk::generate(100, "nul");
    rows[50].name = "nul\0".to_owned();
    assert!(bulk::load_copy(&pool, &rows, |_| {}).await.is_err());
    assert_eq!(count(&pool).await, 0);

    // The pool is still usable after the failed COPYs.
    let ok = bulk::generate(10, "after");
    assert_eq!(bulk::load_copy(&pool, &ok, |_| {}).await.unwrap(), 10);
}

#[tokio::test]
async fn an_unnest_load_with_a_bad_row_loads_nothing() {
    let (_db, pool) = fresh("sx_unnest_bad").await;
    let mut rows = bulk::generate(12_000, "bad");
    // In the third chunk: the first two chunks were already inserted.
    rows[11_000].name = rows[1].name.clone();
    let err = bulk::load_unnest(&pool, &rows, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err:?}");
    assert_eq!(count(&pool).await, 0);
}

// ---- migrations ---------------------------------------------------------------

#[tokio::test]
async fn migrations_go_down_and_back_up() {
    let (_db, pool) = fresh("sx_migrate").await;
    assert_eq!(
        migrate::down(&pool, 2).await.unwrap(),
        [
            "20250101000003_hero_types",
            "20250101000002_teams_and_hero_team"
        ]
    );
    assert!(table_exists(&pool, "heroes").await);
    assert!(!table_exists(&pool, "teams").await);
    assert_eq!(
        migrate::down(&pool, 1).await.unwrap(),
        ["20250101000001_create_heroes"]
    );
    assert!(!table_exists(&pool, "heroes").await);
    assert!(nothing_applied(&pool).await);
    assert!(matches!(
        migrate::down(&pool, 1).await.unwrap_err(),
        Error::Usage(_)
    ));
    assert_eq!(migrate::up(&pool).await.unwrap().len(), 3);
    assert!(table_exists(&pool, "teams").await);
    assert!(migrate::up(&pool).await.unwrap().is_empty());
}

#[tokio::test]
async fn history_reads_without_writing_and_concurrent_ups_each_report_only_their_own() {
    let db = TestDatabase::create("sx_migrate_race").unwrap();
    let pool = db::pool(db.url(), &Settings::default()).await.unwrap();
    // A read that writes would leave sqlx's table behind.
    assert!(nothing_applied(&pool).await);
    assert!(!table_exists(&pool, "_sqlx_migrations").await);

    // Four deploys at once, each on a pool of its own: every revision is
    // reported applied by exactly one of them.
    let mut ups = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = db.url().to_owned();
        ups.spawn(async move {
            let pool = db::pool(&url, &Settings::default()).await?;
            migrate::up(&pool).await
        });
    }
    let mut reported: Vec<String> = Vec::new();
    while let Some(done) = ups.join_next().await {
        reported.extend(done.unwrap().unwrap());
    }
    reported.sort();
    assert_eq!(
        reported,
        [
            "20250101000001_create_heroes",
            "20250101000002_teams_and_hero_team",
            "20250101000003_hero_types"
        ]
    );
}

// ---- the binary, as a user runs it ------------------------------------------------

fn binary(db: &TestDatabase) -> Command {
    devdb::testing::example_binary(env!("CARGO_BIN_EXE_sqlx-raw"), db.name())
}

#[test]
fn the_tour_runs_twice_and_ends_in_the_same_state() {
    let db = TestDatabase::create("sx_tour").unwrap();
    let heroes = devdb::testing::assert_tour_repeatable(
        || binary(&db),
        db.url(),
        sqlx_raw::APP_SRC,
        &[
            "applied 20250101000001_create_heroes",
            "spongebob -> team Krusty Krab Crew",
            "error: hero 'sandy' already exists",
            "after rollback(): \"mr. krabs\" -> None",
            "after the drop: \"mr. krabs\" -> None",
            "rank legend -> [\"mermaid man\"]",
            "by salary -> mermaid man 9999999999.99",
            "sandy's public_id -> Some(\"sandy\")",
        ],
    );
    assert_eq!(heroes.len(), seed::HEROES.len() - 1);
}

#[test]
fn echo_migrate_and_load_commands_work() {
    let db = TestDatabase::create("sx_cli").unwrap();
    let run = |args: &[&str]| stdout_of(binary(&db).args(args));
    assert!(run(&["migrate", "up"]).contains("applied  20250101000003_hero_types"));
    assert_eq!(run(&["migrate", "down", "-n", "3"]).lines().count(), 3);
    assert_eq!(
        run(&["migrate", "history"]),
        "pending  20250101000001_create_heroes\npending  20250101000002_teams_and_hero_team\npending  20250101000003_hero_types\n"
    );
    let load = run(&["load", "--count", "2000"]);
    assert_contains_all(
        &load,
        &["UNNEST loaded 2000 heroes", "COPY   loaded 2000 heroes"],
    );
    assert!(run(&["load", "--count", "500", "--method", "copy"]).contains("COPY   loaded 500"));
    let echoed = stdout_of(binary(&db).env("ECHO", "1"));
    assert!(echoed.contains("SQL> INSERT INTO heroes"), "{echoed}");
}

#[test]
fn bad_input_gives_one_line_and_the_right_exit_code() {
    let db = TestDatabase::create("sx_cli_errors").unwrap();
    devdb::testing::assert_fails_cleanly(
        || binary(&db),
        &[
            BadInput {
                args: &["migrate", "down", "-n", "5"],
                database_url: None,
                exit_code: 2,
                message: "cannot revert 5 migration(s)",
            },
            BadInput {
                args: &["load", "--count", "0"],
                database_url: None,
                exit_code: 2,
                message: "--count must be at least 1",
            },
        ],
    );
}

/// `serve` as an operator runs it: logs each request, echoes SQL with
/// ECHO=1, finishes a request in flight at SIGTERM, exits 0 within 5 s.
#[test]
fn serve_logs_echoes_and_stops_gracefully_on_sigterm() {
    let db = TestDatabase::create("sqlx_raw_serve").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_sqlx-raw"));
    serve.args(["--database", db.name(), "serve", "--addr", "127.0.0.1:0"]);
    let run = devdb::testing::check_serve_binary(serve.env("ECHO", "1"));
    println!("exited {:?} after SIGTERM", run.stop_time);
}

/// The tour and `serve` through PgBouncer in the best mode this crate
/// supports as written, session mode: sqlx 0.9.0 names every statement, cached or not; the
/// migrations go to the cluster behind it (book/src/scaling.md).
#[test]
fn the_tour_and_serve_run_through_pgbouncer_in_session_mode() {
    let db = TestDatabase::create("sx_bouncer").unwrap();
    devdb::testing::check_tour_and_serve_behind_pgbouncer(
        || binary(&db),
        devdb::scale::PoolMode::Session,
        false,
        "sqlx-raw: done;",
    );
}

/// In transaction mode, even with `server_reset_query_always` and no
/// statement cache, the tour stops at its first statement outside a
/// transaction: sqlx prepares it (Parse, Describe, Sync) before it binds and
/// runs it, PgBouncer takes that Sync as the end of a transaction and resets
/// the server connection (`DISCARD ALL`), and the statement is gone
/// (book/src/scaling.md; in a transaction, every call works: the conformance
/// suite's pgbouncer tests).
#[test]
fn the_tour_stops_in_transaction_mode_at_its_first_statement_outside_a_transaction() {
    let db = TestDatabase::create("sx_bouncer_tx").unwrap();
    // How far it gets: the migrations (on the cluster) and the inserts (in a
    // transaction) go through; the first plain read does not.
    devdb::testing::check_tour_fails_behind_pgbouncer(
        binary(&db),
        devdb::scale::PoolMode::TransactionReset,
        false,
        // The statement's number depends on which pooled connection runs
        // the read and what it ran before.
        &[
            "prepared statement \"sqlx_s_",
            "\" does not exist",
            // The way out, on the same line (production::pooler::CURE).
            "is DATABASE_URL a PgBouncer in transaction mode?",
            "session mode (devdb url --via pgbouncer-session)",
        ],
        "WHERE id = $1",
    );
}

/// `GET /heroes/export` of a million rows streams through the real binary:
/// every row arrives, the server's peak memory stays within
/// `devdb::testing::EXPORT_PEAK_LIMIT_KIB`, and a client hanging up in the
/// middle of a second export leaves the server running and ready.
#[test]
fn a_million_row_export_streams_in_bounded_memory_and_survives_a_hang_up() {
    let db = TestDatabase::create("sqlx_raw_export").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_sqlx-raw"));
    serve.args(["--database", db.name(), "serve", "--addr", "127.0.0.1:0"]);
    let run = devdb::testing::check_export_memory(&mut serve, db.url(), 1_000_000);
    println!("{run:?}");
}

/// A POST whose COMMIT answer is lost with its connection (the backend
/// ended while the commit waits for a synchronous standby, after it has
/// committed locally) is answered 201, and the hero is stored: the session
/// asks `txid_status` rather than answering 503 for a saved write.
#[test]
fn a_commit_whose_answer_is_lost_is_answered_for_what_happened() {
    devdb::testing::check_lost_commit_is_answered_truthfully(&mut std::process::Command::new(
        env!("CARGO_BIN_EXE_sqlx-raw"),
    ));
}
