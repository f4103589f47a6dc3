//! async-diesel against a real PostgreSQL. Every test gets a database of its
//! own (devdb::TestDatabase, dropped at the end), migrated to head, so the tests
//! run in parallel and can be run any number of times. Tests run on tokio's
//! multi-threaded runtime, which the migration harness needs.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use async_diesel::db::Settings;
use async_diesel::production::{self, Pool, session};
use async_diesel::{Error, concurrency, migrate, queries, tour};
use devdb::TestDatabase;
use devdb::testing::{BadInput, assert_contains_all, stdout_of};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Int4, Text};
use diesel_async::RunQueryDsl;
use heroes_model::{NewHero, seed};

const APP: &str = "async-diesel-test";

/// A fresh database, migrated to head, and an engine on it.
async fn fresh(prefix: &str, options: Settings) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(prefix).unwrap();
    let engine = production::pool(db.url(), &options, &production::Settings::default())
        .await
        .unwrap();
    migrate::up(engine.get().await.unwrap()).unwrap();
    (db, engine)
}

async fn seeded(prefix: &str) -> (TestDatabase, Pool) {
    let (db, engine) = fresh(prefix, Settings::default()).await;
    session(&engine, async |conn| tour::add_seed(conn, APP).await)
        .await
        .unwrap();
    (db, engine)
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

async fn table_exists(engine: &Pool, table: &str) -> bool {
    diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS exists")
        .bind::<Text, _>(table)
        .get_result::<Exists>(&mut engine.get().await.unwrap())
        .await
        .unwrap()
        .exists
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Int4)]
    pid: i32,
}

// ---- the idioms -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_idiom_returns_what_the_seed_holds() {
    let (_db, engine) = seeded("ad_reads").await;
    let conn = &mut engine.get().await.unwrap();

    let sandy = queries::by_name(conn, "sandy").await.unwrap().unwrap();
    assert_eq!(sandy.secret_name.as_deref(), Some("Sandy Cheeks"));
    assert_eq!(sandy.age, Some(25));
    assert_eq!(sandy.app_src, APP);
    assert_eq!(
        queries::get(conn, sandy.id).await.unwrap(),
        Some(sandy.clone())
    );
    assert_eq!(queries::get(conn, -1).await.unwrap(), None);
    assert_eq!(queries::by_name(conn, "nobody").await.unwrap(), None);
    assert_eq!(queries::by_name(conn, "Sandy").await.unwrap(), None);

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

    let all = queries::by_app_src(conn, APP).await.unwrap();
    let names: Vec<_> = all.iter().map(|h| h.name.as_str()).collect();
    let expected: Vec<_> = seed::HEROES.iter().map(|h| h.name).collect();
    assert_eq!(names, expected);
    assert!(
        queries::by_app_src(conn, "nobody-wrote-this")
            .await
            .unwrap()
            .is_empty()
    );

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_delete_change_exactly_the_named_row() {
    let (_db, engine) = seeded("ad_update").await;
    let conn = &mut engine.get().await.unwrap();
    assert_eq!(
        queries::birthday(conn, "spongebob")
            .await
            .unwrap()
            .unwrap()
            .age,
        Some(23)
    );
    assert_eq!(
        queries::by_name(conn, "spongebob")
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

// ---- transactions and errors --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_a_duplicate_name_is_reported_and_leaves_zero_rows() {
    let (_db, engine) = seeded("ad_dup").await;
    let batch = [
        NewHero::named("mr. krabs", APP),
        NewHero::named("plankton", APP),
        NewHero::named("sandy", APP),
    ];
    let err = session(&engine, async |conn| queries::add_all(conn, &batch).await)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { what: "hero", name } if name == "sandy"),
        "{err:?}"
    );
    let conn = &mut engine.get().await.unwrap();
    assert_eq!(
        queries::count(conn).await.unwrap(),
        seed::HEROES.len() as i64
    );
    assert_eq!(queries::by_name(conn, "mr. krabs").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_returns_an_error_rolls_back_everything_it_did() {
    let (_db, engine) = fresh("ad_rollback", Settings::default()).await;
    let result: Result<(), Error> = session(&engine, async |conn| {
        tour::add_seed(conn, APP).await?;
        assert_eq!(
            queries::count(conn).await?,
            seed::HEROES.len() as i64,
            "visible inside"
        );
        Err(Error::Usage("changed my mind".into()))
    })
    .await;
    assert!(result.is_err());
    let conn = &mut engine.get().await.unwrap();
    assert_eq!(queries::count(conn).await.unwrap(), 0);
    assert_eq!(tour::remove_seed(conn, APP).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_stored_verbatim_and_a_nul_byte_is_refused() {
    let (_db, engine) = fresh("ad_verbatim", Settings::default()).await;
    let long = "x".repeat(10_000);
    let names = [
        "O'Brien \"the\" \\ hero",
        "'); DROP TABLE heroes; --",
        "Ñandú Größe 鬼 Ωμέγα",
        "🧽 spongebob 🦀",
        long.as_str(),
    ];
    let rows: Vec<_> = names.iter().map(|n| NewHero::named(*n, APP)).collect();
    session(&engine, async |conn| queries::add_all(conn, &rows).await)
        .await
        .unwrap();
    let conn = &mut engine.get().await.unwrap();
    for name in names {
        assert_eq!(
            queries::by_name(conn, name).await.unwrap().unwrap().name,
            name
        );
    }

    let bad = [
        NewHero::named("fine", APP),
        NewHero::named("bad\0name", APP),
    ];
    let err = session(&engine, async |conn| queries::add_all(conn, &bad).await)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("0x00"), "{err}");
    assert_eq!(queries::by_name(conn, "fine").await.unwrap(), None);
    assert_eq!(queries::count(conn).await.unwrap(), names.len() as i64);
}

// ---- the pool -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_returns_the_timeout_error_after_about_its_timeout() {
    let timeout = Duration::from_millis(300);
    let (_db, engine) = fresh(
        "ad_exhausted",
        Settings {
            max_size: 2,
            wait_timeout: timeout,
        },
    )
    .await;
    let _a = engine.get().await.unwrap();
    let _b = engine.get().await.unwrap();
    let began = Instant::now();
    let Err(err) = engine.get().await else {
        panic!("a third connection from a pool of two");
    };
    let waited = began.elapsed();
    assert!(
        matches!(err, Error::PoolExhausted { size: 2, .. }),
        "{err:?}"
    );
    assert!(waited >= timeout, "gave up early: {waited:?}");
    assert!(waited < timeout * 4, "hung for {waited:?}");
    assert!(err.to_string().contains("POOL_SIZE"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_writers_insert_exactly_thirty_two_rows() {
    let (db, _) = fresh("ad_concurrent", Settings::default()).await;
    // The lesson's pool: diesel-async's own, as the tour builds it.
    let engine = async_diesel::db::pool(db.url(), &Settings::default())
        .await
        .unwrap();
    let inserted = concurrency::concurrent_inserts(&engine, 32, "writer", APP)
        .await
        .unwrap();
    assert_eq!(inserted, 32);
    let conn = &mut engine.get().await.unwrap();
    assert_eq!(queries::count(conn).await.unwrap(), 32);
    let names: std::collections::BTreeSet<_> = queries::by_app_src(conn, APP)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(names.len(), 32);
    assert!(names.contains("writer-0") && names.contains("writer-31"));
    assert!(engine.status().size <= 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_size_bounds_how_many_connections_serve_many_tasks() {
    let settings = Settings {
        max_size: 3,
        wait_timeout: Duration::from_secs(10),
    };
    let (db, _) = fresh("ad_fan_out", settings).await;
    let engine = async_diesel::db::pool(db.url(), &settings).await.unwrap();
    let hold = Duration::from_millis(40);
    let fan = concurrency::fan_out(&engine, 12, hold).await.unwrap();
    assert_eq!(fan.tasks, 12);
    assert!(fan.backends <= 3 && fan.backends >= 1, "{fan:?}");
    // 12 tasks, 3 at a time, 40 ms each: at least 4 rounds.
    assert!(fan.elapsed >= hold * 4, "{fan:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_queries_share_one_connection_and_both_answer() {
    let (_db, engine) = seeded("ad_pipeline").await;
    let conn = engine.get().await.unwrap();
    let (count, sandy) = concurrency::pipelined(&conn, "sandy").await.unwrap();
    assert_eq!(count, seed::HEROES.len() as i64);
    assert_eq!(sandy.unwrap().name, "sandy");
    let (_, nobody) = concurrency::pipelined(&conn, "nobody").await.unwrap();
    assert_eq!(nobody, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_replaces_a_connection_the_server_killed() {
    let (_db, engine) = fresh(
        "ad_killed",
        Settings {
            max_size: 1,
            ..Settings::default()
        },
    )
    .await;
    let victim = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(&mut engine.get().await.unwrap())
        .await
        .unwrap()
        .pid;
    // Kill it from a second, independent connection.
    let other = production::pool(
        &devdb::DevDb::from_env()
            .unwrap()
            .database_url("postgres")
            .unwrap(),
        &Settings::default(),
        &production::Settings::default(),
    )
    .await
    .unwrap();
    // Returns once the backend has exited (waits up to 5 s).
    diesel::sql_query("SELECT pg_terminate_backend($1, 5000)")
        .bind::<Int4, _>(victim)
        .execute(&mut other.get().await.unwrap())
        .await
        .unwrap();

    // The session is the safe path: the pool's free check (`is_closed`)
    // drops the dead connection if tokio-postgres has already read the
    // server's goodbye, and `BEGIN` is retried on a fresh one if not.
    let (now, count) = session(&engine, async |conn| {
        let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Pid>(conn)
            .await?
            .pid;
        Ok((pid, queries::count(conn).await?))
    })
    .await
    .unwrap();
    assert_ne!(now, victim);
    assert_eq!(count, 0);
}

// ---- migrations ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_go_down_and_back_up() {
    let (_db, engine) = fresh("ad_migrate", Settings::default()).await;
    assert_eq!(
        migrate::down(engine.get().await.unwrap(), 2).unwrap(),
        [
            "2025-01-01-000003_hero_types",
            "2025-01-01-000002_teams_and_hero_team"
        ]
    );
    assert!(table_exists(&engine, "heroes").await);
    assert!(!table_exists(&engine, "teams").await);
    migrate::down(engine.get().await.unwrap(), 1).unwrap();
    assert!(!table_exists(&engine, "heroes").await);
    let history = migrate::history(engine.get().await.unwrap()).unwrap();
    assert!(history.iter().all(|r| !r.applied), "{history:?}");
    assert!(matches!(
        migrate::down(engine.get().await.unwrap(), 1).unwrap_err(),
        Error::Usage(_)
    ));
    assert_eq!(migrate::up(engine.get().await.unwrap()).unwrap().len(), 3);
    assert!(table_exists(&engine, "teams").await);
    assert_eq!(
        migrate::redo(engine.get().await.unwrap()).unwrap(),
        "2025-01-01-000003_hero_types"
    );
}

// ---- the binary, as a user runs it ------------------------------------------------

fn binary(db: &TestDatabase) -> Command {
    let mut cmd = devdb::testing::example_binary(env!("CARGO_BIN_EXE_async-diesel"), db.name());
    cmd.env_remove("POOL_SIZE").env_remove("POOL_TIMEOUT_MS");
    cmd
}

#[test]
fn the_tour_runs_twice_and_ends_in_the_same_state() {
    let db = TestDatabase::create("ad_tour").unwrap();
    let heroes = devdb::testing::assert_tour_repeatable(
        || {
            let mut cmd = binary(&db);
            cmd.args(["--pool-size", "3"]);
            cmd
        },
        db.url(),
        async_diesel::APP_SRC,
        &[
            "applied 2025-01-01-000001_create_heroes",
            "await db.get(HeroModel, hero_id)",
            "spongebob -> team Krusty Krab Crew",
            "error: hero 'sandy' already exists",
            "9 tasks, each holding a connection for 50 ms, were served by",
            "(pool size 3)",
            "sent both, then read both: count = 5",
            "rank legend -> [\"mermaid man\"]",
            "by salary -> mermaid man 9999999999.99",
            "sandy's public_id -> Some(\"sandy\")",
        ],
    );
    assert_eq!(heroes.len(), seed::HEROES.len() - 1);
}

#[test]
fn echo_prints_the_sql_and_migrate_commands_work() {
    let db = TestDatabase::create("ad_cli").unwrap();
    let run = |args: &[&str]| stdout_of(binary(&db).args(args));
    assert!(run(&["migrate", "up"]).contains("applied  2025-01-01-000003_hero_types"));
    assert_eq!(run(&["migrate", "down", "-n", "3"]).lines().count(), 3);
    assert_eq!(
        run(&["migrate", "history"]),
        "pending  2025-01-01-000001_create_heroes\npending  2025-01-01-000002_teams_and_hero_team\npending  2025-01-01-000003_hero_types\n"
    );
    assert!(stdout_of(binary(&db).env("ECHO", "1")).contains("SQL> INSERT INTO \"heroes\""));
}

#[test]
fn bad_input_gives_one_line_and_the_right_exit_code() {
    let db = TestDatabase::create("ad_cli_errors").unwrap();
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
                args: &["--pool-size", "0"],
                database_url: None,
                exit_code: 2,
                message: "POOL_SIZE must be at least 1",
            },
        ],
    );
}

#[test]
fn the_binary_does_not_link_libpq() {
    let exe = env!("CARGO_BIN_EXE_async-diesel");
    let out = std::process::Command::new("ldd")
        .arg(exe)
        .output()
        .expect("ldd (from libc-bin) is needed to check the binary's libraries");
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ldd failed: {libs}");
    assert!(libs.contains("libc.so"), "unexpected ldd output: {libs}");
    assert!(!libs.contains("libpq"), "async-diesel links libpq:\n{libs}");
}

/// `serve` as an operator runs it: logs each request, echoes SQL with
/// ECHO=1, finishes a request in flight at SIGTERM, exits 0 within 5 s.
#[test]
fn serve_logs_echoes_and_stops_gracefully_on_sigterm() {
    let db = TestDatabase::create("async_diesel_serve").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_async-diesel"));
    serve.args(["--database", db.name(), "serve", "--addr", "127.0.0.1:0"]);
    let run = devdb::testing::check_serve_binary(serve.env("ECHO", "1"));
    println!("exited {:?} after SIGTERM", run.stop_time);
}

/// The tour's `rust:` line for the engine shows the pool it really builds.
#[test]
fn the_tour_prints_the_pool_code_that_runs_and_the_size_it_built() {
    let db = TestDatabase::create("async_diesel_pool_line").unwrap();
    let text = stdout_of(binary(&db).env("POOL_SIZE", "2"));
    assert_contains_all(
        &text,
        &[".max_size(settings.max_size)", "up to 2 connections"],
    );
}

/// The tour needs one connection at a time: with `POOL_SIZE=1` it runs to
/// the end (it once held a connection and asked the pool for a second, and
/// failed after the wait timeout).
#[test]
fn the_tour_runs_on_a_pool_of_one_connection() {
    let db = TestDatabase::create("async_diesel_pool_of_one").unwrap();
    let text = stdout_of(
        binary(&db)
            .env("POOL_SIZE", "1")
            .env("POOL_TIMEOUT_MS", "2000"),
    );
    assert_contains_all(&text, &["up to 1 connections", "async-diesel: done"]);
}

/// The tour and `serve` through PgBouncer in the best mode this crate
/// supports as written, session mode (diesel-async prepares named statements whatever its cache setting, which transaction mode cannot carry); the
/// migrations go to the cluster behind it (book/src/scaling.md).
#[test]
fn the_tour_and_serve_run_through_pgbouncer_in_session_mode() {
    let db = TestDatabase::create("ad_bouncer").unwrap();
    devdb::testing::check_tour_and_serve_behind_pgbouncer(
        || binary(&db),
        devdb::scale::PoolMode::Session,
        false,
        "async-diesel: done;",
    );
}

/// `GET /heroes/export` of a million rows streams through the real binary:
/// every row arrives, the server's peak memory stays within
/// `devdb::testing::EXPORT_PEAK_LIMIT_KIB`, and a client hanging up in the
/// middle of a second export leaves the server running and ready.
#[test]
fn a_million_row_export_streams_in_bounded_memory_and_survives_a_hang_up() {
    let db = TestDatabase::create("async_diesel_export").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_async-diesel"));
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
        env!("CARGO_BIN_EXE_async-diesel"),
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_unnest_insert_stores_what_add_all_stores() {
    let (_db, pool) = fresh("ad_unnest", Settings::default()).await;
    let batch = seed::awkward_heroes(APP);
    let saved = session(&pool, async |conn| {
        async_diesel::beyond::add_all_unnest(conn, &batch).await
    })
    .await
    .unwrap();
    assert_eq!(saved.len(), batch.len());
    for (row, hero) in batch.iter().zip(&saved) {
        assert_eq!(
            (&hero.name, &hero.secret_name, hero.age),
            (&row.name, &row.secret_name, row.age)
        );
        let again = queries::get(&mut pool.get().await.unwrap(), hero.id)
            .await
            .unwrap();
        assert_eq!(again.as_ref(), Some(hero));
    }
}
