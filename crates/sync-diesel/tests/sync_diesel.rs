//! sync-diesel against a real PostgreSQL. Every test gets a database of its
//! own (devdb::TestDatabase, dropped at the end), migrated to head, so the tests
//! run in parallel and can be run any number of times.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use devdb::TestDatabase;
use devdb::testing::{BadInput, assert_contains_all, stdout_of};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use heroes_model::{NewHero, seed};
use sync_diesel::db::Settings;
use sync_diesel::production::{self, Pool};
use sync_diesel::{Error, drift, migrate, queries, tour};

const APP: &str = "sync-diesel-test";

/// A fresh database, migrated to head, and a pool on it.
fn fresh(prefix: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(prefix).unwrap();
    let pool = production::pool(
        db.url(),
        &Settings::default(),
        &production::Settings::default(),
    )
    .unwrap();
    migrate::up(&mut pool.get().unwrap()).unwrap();
    (db, pool)
}

fn seeded(prefix: &str) -> (TestDatabase, Pool) {
    let (db, pool) = fresh(prefix);
    production::session(&pool, |conn| tour::add_seed(conn, APP)).unwrap();
    (db, pool)
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaLine {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Columns, constraints and indexes of every table but diesel's bookkeeping,
/// as sorted text lines: two equal snapshots mean the same schema.
fn schema_snapshot(conn: &mut PgConnection) -> BTreeSet<String> {
    let sql = "
        SELECT format('column %s.%s %s null=%s default=%s', table_name, column_name,
                      data_type, is_nullable, coalesce(column_default, '-')) AS line
          FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'
        UNION ALL
        SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT format('index %s', indexdef) FROM pg_indexes
         WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'";
    diesel::sql_query(sql)
        .load::<SchemaLine>(conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

fn table_exists(conn: &mut PgConnection, table: &str) -> bool {
    diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS exists")
        .bind::<Text, _>(table)
        .get_result::<Exists>(conn)
        .unwrap()
        .exists
}

// ---- the idioms -------------------------------------------------------------

#[test]
fn get_by_primary_key_finds_the_row_or_returns_none() {
    let (_db, pool) = seeded("sd_get");
    let conn = &mut pool.get().unwrap();
    let sandy = queries::by_name(conn, "sandy").unwrap().unwrap();
    let found = queries::get(conn, sandy.id).unwrap().unwrap();
    assert_eq!(found, sandy);
    assert_eq!(found.secret_name.as_deref(), Some("Sandy Cheeks"));
    assert_eq!(found.age, Some(25));
    assert_eq!(found.app_src, APP);
    assert_eq!(queries::get(conn, -1).unwrap(), None);
    assert_eq!(queries::get(conn, i64::MAX).unwrap(), None);
}

#[test]
fn select_where_returns_one_or_none() {
    let (_db, pool) = seeded("sd_where");
    let conn = &mut pool.get().unwrap();
    let spongebob = queries::by_name(conn, "spongebob").unwrap().unwrap();
    assert_eq!(spongebob.name, "spongebob");
    assert_eq!(spongebob.age, Some(22));
    assert!(spongebob.team_id.is_some());
    assert_eq!(queries::by_name(conn, "nobody").unwrap(), None);
    // Exact match: no case folding, no prefix match.
    assert_eq!(queries::by_name(conn, "SpongeBob").unwrap(), None);
    assert_eq!(queries::by_name(conn, "sponge").unwrap(), None);
}

#[test]
fn scalar_returns_one_value_distinguishing_missing_row_from_null() {
    let (_db, pool) = seeded("sd_scalar");
    let conn = &mut pool.get().unwrap();
    assert_eq!(
        queries::secret_name_of(conn, "sandy").unwrap(),
        Some(Some("Sandy Cheeks".to_owned()))
    );
    assert_eq!(
        queries::secret_name_of(conn, "barnacle boy").unwrap(),
        Some(None)
    );
    assert_eq!(queries::secret_name_of(conn, "nobody").unwrap(), None);
    assert_eq!(queries::count(conn).unwrap(), seed::HEROES.len() as i64);
}

#[test]
fn scalars_all_returns_every_row_of_the_app_in_id_order() {
    let (_db, pool) = seeded("sd_scalars");
    let conn = &mut pool.get().unwrap();
    queries::add_all(conn, &[NewHero::named("intruder", "someone-else")]).unwrap();
    let found = queries::by_app_src(conn, APP).unwrap();
    let names: Vec<_> = found.iter().map(|h| h.name.as_str()).collect();
    let expected: Vec<_> = seed::HEROES.iter().map(|h| h.name).collect();
    assert_eq!(names, expected);
    assert!(found.windows(2).all(|w| w[0].id < w[1].id));
    assert!(
        queries::by_app_src(conn, "nobody-wrote-this")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_left_join_pairs_each_hero_with_its_team_or_none() {
    let (_db, pool) = seeded("sd_join");
    let conn = &mut pool.get().unwrap();
    let pairs = queries::with_teams(conn, APP).unwrap();
    assert_eq!(pairs.len(), seed::HEROES.len());
    for (hero, team) in &pairs {
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
        assert_eq!(team.as_ref().map(|t| t.id), hero.team_id);
    }
}

#[test]
fn update_and_delete_change_exactly_the_named_row() {
    let (_db, pool) = seeded("sd_update");
    let conn = &mut pool.get().unwrap();
    let older = queries::birthday(conn, "spongebob").unwrap().unwrap();
    assert_eq!(older.age, Some(23));
    assert_eq!(
        queries::by_name(conn, "spongebob").unwrap().unwrap().age,
        Some(23)
    );
    assert_eq!(
        queries::by_name(conn, "sandy").unwrap().unwrap().age,
        Some(25)
    );
    assert_eq!(queries::birthday(conn, "nobody").unwrap(), None);

    assert_eq!(queries::delete_by_name(conn, "barnacle boy").unwrap(), 1);
    assert_eq!(queries::delete_by_name(conn, "barnacle boy").unwrap(), 0);
    assert_eq!(queries::by_name(conn, "barnacle boy").unwrap(), None);
    assert_eq!(queries::count(conn).unwrap(), seed::HEROES.len() as i64 - 1);
}

// ---- transactions and errors --------------------------------------------------

#[test]
fn a_batch_with_a_duplicate_name_is_reported_and_leaves_zero_rows() {
    let (_db, pool) = seeded("sd_dup");
    let before = queries::count(&mut pool.get().unwrap()).unwrap();
    let batch = [
        NewHero::named("mr. krabs", APP),
        NewHero::named("plankton", APP),
        NewHero::named("sandy", APP),
    ];
    let err = production::session(&pool, |conn| queries::add_all(conn, &batch)).unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { what: "hero", name } if name == "sandy"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "hero 'sandy' already exists; nothing from this batch was saved"
    );
    let conn = &mut pool.get().unwrap();
    assert_eq!(queries::count(conn).unwrap(), before);
    assert_eq!(queries::by_name(conn, "mr. krabs").unwrap(), None);
}

#[test]
fn a_duplicate_inside_one_batch_also_leaves_zero_rows() {
    let (_db, pool) = fresh("sd_dup_in_batch");
    let batch = [NewHero::named("twin", APP), NewHero::named("twin", APP)];
    let err = production::session(&pool, |conn| queries::add_all(conn, &batch)).unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { name, .. } if name == "twin"),
        "{err:?}"
    );
    assert_eq!(queries::count(&mut pool.get().unwrap()).unwrap(), 0);
}

#[test]
fn a_session_that_returns_an_error_rolls_back_everything_it_did() {
    let (_db, pool) = fresh("sd_rollback");
    let result: Result<(), Error> = production::session(&pool, |conn| {
        tour::add_seed(conn, APP)?;
        assert_eq!(
            queries::count(conn)?,
            seed::HEROES.len() as i64,
            "visible inside"
        );
        Err(Error::Usage("changed my mind".into()))
    });
    assert!(result.is_err());
    let conn = &mut pool.get().unwrap();
    assert_eq!(queries::count(conn).unwrap(), 0);
    assert!(
        tour::remove_seed(conn, APP).unwrap() == 0,
        "no teams or heroes left"
    );
}

#[test]
fn names_are_stored_verbatim_and_sql_in_them_stays_data() {
    let (_db, pool) = fresh("sd_verbatim");
    let names = [
        "O'Brien \"the\" \\ hero",
        "'); DROP TABLE heroes; --",
        "Ñandú Größe 鬼 Ωμέγα",
        "🧽 spongebob 🦀",
        &"x".repeat(10_000),
    ];
    let rows: Vec<_> = names.iter().map(|n| NewHero::named(*n, APP)).collect();
    production::session(&pool, |conn| queries::add_all(conn, &rows)).unwrap();
    let conn = &mut pool.get().unwrap();
    for name in names {
        let found = queries::by_name(conn, name).unwrap().unwrap();
        assert_eq!(found.name, name);
    }
    assert!(table_exists(conn, "heroes"));
    assert_eq!(queries::count(conn).unwrap(), names.len() as i64);
}

#[test]
fn a_nul_byte_in_a_name_is_a_clear_error_and_nothing_is_written() {
    let (_db, pool) = fresh("sd_nul");
    let rows = [
        NewHero::named("fine", APP),
        NewHero::named("bad\0name", APP),
    ];
    let err = production::session(&pool, |conn| queries::add_all(conn, &rows)).unwrap_err();
    assert!(err.to_string().contains("0x00"), "{err}");
    assert_eq!(queries::count(&mut pool.get().unwrap()).unwrap(), 0);
}

#[test]
fn the_pool_replaces_a_connection_the_server_killed() {
    let (db, _) = fresh("sd_killed");
    let pool = production::pool(
        db.url(),
        &Settings {
            max_size: 1,
            ..Settings::default()
        },
        &production::Settings::default(),
    )
    .unwrap();
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        pid: i32,
    }
    let pid = |conn: &mut PgConnection| {
        diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Pid>(conn)
            .map(|p| p.pid)
    };
    let mut admin = PgConnection::establish(db.url()).unwrap();
    let mut kill = |victim: i32| {
        // Returns once the backend has exited (waits up to 5 s).
        diesel::sql_query("SELECT pg_terminate_backend($1, 5000)")
            .bind::<diesel::sql_types::Int4, _>(victim)
            .execute(&mut admin)
            .unwrap();
    };

    // Outside a session, the first statement on the dead connection fails
    // (libpq learns it only then); diesel then marks the connection broken,
    // so r2d2 drops it on return and the next checkout opens a new backend.
    let victim = pid(&mut pool.get().unwrap()).unwrap();
    kill(victim);
    assert!(pid(&mut pool.get().unwrap()).is_err());
    let replaced = pid(&mut pool.get().unwrap()).unwrap();
    assert_ne!(replaced, victim, "a new backend serves the pool");

    // In a session nothing fails: BEGIN finds the connection closed, and the
    // session starts again on a fresh one.
    kill(replaced);
    let (now, count) =
        production::session(&pool, |conn| Ok((pid(conn)?, queries::count(conn)?))).unwrap();
    assert_ne!(now, replaced);
    assert_eq!(count, 0);
}

#[test]
fn an_exhausted_pool_times_out_instead_of_hanging() {
    let (db, _) = fresh("sd_exhausted");
    let timeout = std::time::Duration::from_millis(300);
    let pool = production::pool(
        db.url(),
        &Settings {
            max_size: 1,
            connection_timeout: timeout,
        },
        &production::Settings::default(),
    )
    .unwrap();
    let _held = pool.get().unwrap();
    let began = std::time::Instant::now();
    let err = production::session(&pool, queries::count).unwrap_err();
    assert!(matches!(err, Error::Pool(_)), "{err:?}");
    assert!(began.elapsed() >= timeout);
    assert!(
        err.to_string().starts_with("no database connection"),
        "{err}"
    );
}

// ---- migrations ---------------------------------------------------------------

#[test]
fn down_then_up_restores_exactly_the_same_schema() {
    let (_db, pool) = fresh("sd_down_up");
    let conn = &mut pool.get().unwrap();
    let at_head = schema_snapshot(conn);
    assert!(
        at_head.iter().any(|l| l.contains("heroes_team_id_idx")),
        "{at_head:#?}"
    );

    let reverted = migrate::down(conn, 3).unwrap();
    assert_eq!(
        reverted,
        [
            "2025-01-01-000003_hero_types",
            "2025-01-01-000002_teams_and_hero_team",
            "2025-01-01-000001_create_heroes"
        ]
    );
    assert!(!table_exists(conn, "heroes"));
    assert!(!table_exists(conn, "teams"));
    assert!(migrate::history(conn).unwrap().iter().all(|r| !r.applied));

    assert_eq!(migrate::up(conn).unwrap().len(), 3);
    assert_eq!(schema_snapshot(conn), at_head);
    assert!(drift::check(conn).unwrap().is_empty());
}

#[test]
fn down_one_removes_only_the_latest_revision() {
    let (_db, pool) = fresh("sd_down_one");
    let conn = &mut pool.get().unwrap();
    migrate::down(conn, 1).unwrap();
    assert!(table_exists(conn, "heroes"));
    assert!(table_exists(conn, "teams"));
    let history = migrate::history(conn).unwrap();
    let states: Vec<_> = history
        .iter()
        .map(|r| (r.name.as_str(), r.applied))
        .collect();
    assert_eq!(
        states,
        [
            ("2025-01-01-000001_create_heroes", true),
            ("2025-01-01-000002_teams_and_hero_team", true),
            ("2025-01-01-000003_hero_types", false)
        ]
    );
    // The drift check notices that table! expects revision 3's five columns.
    let drift = drift::check(conn).unwrap();
    assert_eq!(drift.len(), 5, "{drift:?}");
    assert!(
        drift
            .iter()
            .all(|d| matches!(d, heroes_model::drift::Drift::MissingInDatabase(_)))
    );
}

#[test]
fn redo_reapplies_the_latest_migration() {
    let (_db, pool) = fresh("sd_redo");
    let conn = &mut pool.get().unwrap();
    let before = schema_snapshot(conn);
    assert_eq!(migrate::redo(conn).unwrap(), "2025-01-01-000003_hero_types");
    assert_eq!(schema_snapshot(conn), before);
}

#[test]
fn reverting_more_than_is_applied_is_refused_and_reverts_nothing() {
    let (_db, pool) = fresh("sd_down_too_far");
    let conn = &mut pool.get().unwrap();
    let err = migrate::down(conn, 4).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert!(migrate::history(conn).unwrap().iter().all(|r| r.applied));
}

#[test]
fn the_table_macro_schema_matches_the_migrated_database() {
    let (_db, pool) = fresh("sd_drift");
    let drift = drift::check(&mut pool.get().unwrap()).unwrap();
    assert!(
        drift.is_empty(),
        "table! and migrations disagree: {drift:#?}"
    );
}

#[test]
fn the_drift_check_reports_a_column_the_schema_does_not_know() {
    let (_db, pool) = fresh("sd_drift_extra");
    let conn = &mut pool.get().unwrap();
    diesel::sql_query("ALTER TABLE heroes ALTER COLUMN age TYPE bigint")
        .execute(conn)
        .unwrap();
    diesel::sql_query("ALTER TABLE teams ADD COLUMN motto text")
        .execute(conn)
        .unwrap();
    let drift: Vec<String> = drift::check(conn)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        drift,
        [
            "the code says heroes.age integer NULL but the database has heroes.age bigint NULL",
            "in the database but not declared in the code: teams.motto text NULL"
        ]
    );
}

// ---- the binary, as a user runs it ------------------------------------------------

fn binary(db: &TestDatabase) -> Command {
    devdb::testing::example_binary(env!("CARGO_BIN_EXE_sync-diesel"), db.name())
}

#[test]
fn the_tour_runs_twice_and_ends_in_the_same_state() {
    let db = TestDatabase::create("sd_tour").unwrap();
    let heroes = devdb::testing::assert_tour_repeatable(
        || binary(&db),
        db.url(),
        sync_diesel::APP_SRC,
        &[
            "applied 2025-01-01-000001_create_heroes",
            "session.get(Hero, hero_id)",
            "scalar_one_or_none",
            "spongebob -> team Krusty Krab Crew",
            "spongebob is now 23",
            "error: hero 'sandy' already exists",
            "\"mr. krabs\" after the rollback -> None",
            "rank legend -> [\"mermaid man\"]",
            "by salary -> mermaid man 9999999999.99",
            "sandy's public_id -> Some(\"sandy\")",
        ],
    );
    assert_eq!(
        heroes.len(),
        seed::HEROES.len() - 1,
        "barnacle boy was deleted"
    );
}

#[test]
fn echo_prints_the_sql_statements() {
    let db = TestDatabase::create("sd_echo").unwrap();
    let text = stdout_of(binary(&db).env("ECHO", "1"));
    assert_contains_all(&text, &["SQL> INSERT INTO \"heroes\"", "SQL> SELECT"]);
}

#[test]
fn the_migrate_commands_go_down_and_back_up() {
    let db = TestDatabase::create("sd_cli_migrate").unwrap();
    let run = |args: &[&str]| stdout_of(binary(&db).args(args));
    assert!(run(&["migrate", "up"]).contains("applied  2025-01-01-000003_hero_types"));
    assert!(run(&["migrate", "check"]).contains("no drift"));
    let down = run(&["migrate", "down", "-n", "3"]);
    assert_eq!(down.lines().count(), 3, "{down}");
    let mut conn = PgConnection::establish(db.url()).unwrap();
    assert!(!table_exists(&mut conn, "heroes"));
    assert!(!table_exists(&mut conn, "teams"));
    assert_eq!(
        run(&["migrate", "history"]),
        "pending  2025-01-01-000001_create_heroes\npending  2025-01-01-000002_teams_and_hero_team\npending  2025-01-01-000003_hero_types\n"
    );
    run(&["migrate", "up"]);
    assert!(table_exists(&mut conn, "teams"));
    assert!(run(&["migrate", "redo"]).contains("redone   2025-01-01-000003"));
}

#[test]
fn bad_input_gives_one_line_and_the_right_exit_code() {
    let db = TestDatabase::create("sd_cli_errors").unwrap();
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
                args: &["migrate", "check"],
                database_url: None,
                exit_code: 1,
                message: "difference(s) between table! and the database",
            },
        ],
    );
    // clap's own usage errors also exit 2.
    let out = binary(&db)
        .args(["migrate", "down", "-n", "many"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `serve` as an operator runs it: logs each request, echoes SQL with
/// ECHO=1, finishes a request in flight at SIGTERM, exits 0 within 5 s.
#[test]
fn serve_logs_echoes_and_stops_gracefully_on_sigterm() {
    let db = TestDatabase::create("sync_diesel_serve").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_sync-diesel"));
    serve.args(["--database", db.name(), "serve", "--addr", "127.0.0.1:0"]);
    let run = devdb::testing::check_serve_binary(serve.env("ECHO", "1"));
    println!("exited {:?} after SIGTERM", run.stop_time);
}

/// Through PgBouncer: the tour, on Diesel's own pool (its prepared statement
/// cache on, as Diesel ships it), in session mode; `serve`, on
/// `production::pool`, in transaction mode with `STATEMENT_CACHE=off` (diesel
/// then sends unnamed statements). The migrations go to the cluster behind it
/// (book/src/scaling.md).
#[test]
fn the_tour_runs_through_pgbouncer_in_session_mode_and_serve_in_transaction_mode() {
    use devdb::scale::PoolMode;
    use devdb::testing::{behind_pgbouncer, check_serve_binary, stdout_of};
    let db = TestDatabase::create("sd_bouncer").unwrap();
    let tour = stdout_of(behind_pgbouncer(&mut binary(&db), PoolMode::Session, true));
    assert!(tour.contains("sync-diesel: done;"), "{tour}");
    let mut serve = binary(&db);
    serve
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("ECHO", "1");
    check_serve_binary(behind_pgbouncer(&mut serve, PoolMode::Transaction, false));
}

/// `GET /heroes/export` of a million rows streams through the real binary:
/// every row arrives, the server's peak memory stays within
/// `devdb::testing::EXPORT_PEAK_LIMIT_KIB`, and a client hanging up in the
/// middle of a second export leaves the server running and ready.
#[test]
fn a_million_row_export_streams_in_bounded_memory_and_survives_a_hang_up() {
    let db = TestDatabase::create("sync_diesel_export").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_sync-diesel"));
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
        env!("CARGO_BIN_EXE_sync-diesel"),
    ));
}

#[test]
fn the_unnest_insert_stores_what_add_all_stores() {
    let (_db, pool) = fresh("sd_unnest");
    let batch = seed::awkward_heroes(APP);
    let saved = production::session(&pool, |conn| {
        sync_diesel::beyond::add_all_unnest(conn, &batch)
    })
    .unwrap();
    assert_eq!(saved.len(), batch.len());
    for (row, hero) in batch.iter().zip(&saved) {
        assert_eq!(
            (&hero.name, &hero.secret_name, hero.age),
            (&row.name, &row.secret_name, row.age)
        );
        let again = queries::get(&mut pool.get().unwrap(), hero.id).unwrap();
        assert_eq!(again.as_ref(), Some(hero));
    }
}
