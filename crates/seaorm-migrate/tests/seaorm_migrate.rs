//! seaorm-migrate against a real PostgreSQL. Every test gets a database of its
//! own (devdb::TestDatabase, dropped at the end), so the tests run in parallel
//! and can be run any number of times.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use devdb::TestDatabase;
use devdb::testing::{BadInput, stdout_of};
use heroes_model::drift::Drift;
use heroes_model::entity::team;
use heroes_model::{NewHero, seed};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use seaorm_migrate::db::{self, Settings};
use seaorm_migrate::{Error, create_all, drift, migrate, queries, tour};

const APP: &str = "seaorm-migrate-test";
const REV1: &str = "m20250101_000001_create_heroes";
const REV2: &str = "m20250101_000002_teams_and_hero_team";
const REV3: &str = "m20250101_000003_hero_types";

async fn empty(prefix: &str) -> (TestDatabase, DatabaseConnection) {
    let db = TestDatabase::create(prefix).unwrap();
    let conn = db::pool(db.url(), &Settings::default()).await.unwrap();
    (db, conn)
}

async fn fresh(prefix: &str) -> (TestDatabase, DatabaseConnection) {
    let (db, conn) = empty(prefix).await;
    migrate::up(&conn, None).await.unwrap();
    (db, conn)
}

async fn seeded(prefix: &str) -> (TestDatabase, DatabaseConnection) {
    let (db, conn) = fresh(prefix).await;
    let txn = conn.begin().await.unwrap();
    tour::add_seed(&txn, APP).await.unwrap();
    txn.commit().await.unwrap();
    (db, conn)
}

async fn tables(conn: &DatabaseConnection) -> Vec<String> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = 'public' \
             AND tablename IN ('heroes', 'teams') ORDER BY 1",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "t").unwrap())
        .collect()
}

async fn applied(conn: &DatabaseConnection) -> Vec<String> {
    migrate::status(conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.applied)
        .map(|r| r.name)
        .collect()
}

// ---- the Alembic verbs ----------------------------------------------------------

#[tokio::test]
async fn up_then_down_one_then_down_to_revision_one() {
    let (_db, conn) = empty("so_up_down").await;
    assert_eq!(
        migrate::status(&conn)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.applied)
            .count(),
        0
    );
    assert_eq!(migrate::up(&conn, Some(1)).await.unwrap(), [REV1]);
    assert_eq!(tables(&conn).await, ["heroes"]);
    assert_eq!(migrate::up(&conn, None).await.unwrap(), [REV2, REV3]);
    assert_eq!(tables(&conn).await, ["heroes", "teams"]);
    assert!(migrate::up(&conn, None).await.unwrap().is_empty());

    assert_eq!(migrate::down(&conn, 1).await.unwrap(), [REV3]);
    assert_eq!(applied(&conn).await, [REV1, REV2]);
    assert_eq!(migrate::down(&conn, 1).await.unwrap(), [REV2]);
    assert_eq!(tables(&conn).await, ["heroes"]);
    assert_eq!(applied(&conn).await, [REV1]);

    migrate::up(&conn, None).await.unwrap();
    assert_eq!(migrate::down_to(&conn, REV1).await.unwrap(), [REV3, REV2]);
    assert_eq!(applied(&conn).await, [REV1]);
    assert!(
        migrate::down_to(&conn, REV1).await.unwrap().is_empty(),
        "already there"
    );
    assert_eq!(migrate::down_to(&conn, "base").await.unwrap(), [REV1]);
    assert!(tables(&conn).await.is_empty());
}

#[tokio::test]
async fn fresh_refresh_and_reset_leave_the_expected_tables() {
    let (_db, conn) = seeded("so_fresh").await;
    assert_eq!(migrate::refresh(&conn).await.unwrap(), [REV1, REV2, REV3]);
    assert_eq!(tables(&conn).await, ["heroes", "teams"]);
    assert_eq!(
        queries::count(&conn).await.unwrap(),
        0,
        "refresh rebuilt empty tables"
    );

    // fresh drops every table, even ones no migration knows about.
    conn.execute_unprepared("CREATE TABLE stray (x int)")
        .await
        .unwrap();
    assert_eq!(migrate::fresh(&conn).await.unwrap(), [REV1, REV2, REV3]);
    let stray: Vec<_> = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT 1 AS one FROM pg_tables WHERE tablename = 'stray'",
        ))
        .await
        .unwrap();
    assert!(stray.is_empty());

    assert_eq!(migrate::reset(&conn).await.unwrap(), [REV3, REV2, REV1]);
    assert!(tables(&conn).await.is_empty());
    assert!(applied(&conn).await.is_empty());
}

#[tokio::test]
async fn impossible_downgrades_are_refused_and_change_nothing() {
    let (_db, conn) = fresh("so_refuse").await;
    assert!(matches!(
        migrate::down(&conn, 4).await.unwrap_err(),
        Error::Usage(_)
    ));
    assert!(matches!(
        migrate::down_to(&conn, "m20990101_000000_nope")
            .await
            .unwrap_err(),
        Error::Usage(_)
    ));
    assert_eq!(applied(&conn).await, [REV1, REV2, REV3]);
}

#[test]
fn generate_writes_a_migration_and_registers_it() {
    let dir = std::env::temp_dir().join(format!("so_generate_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::copy(
        // Tests run in the crate's folder, where the crate is `migration/`.
        migrate::migration_dir().unwrap().join("src/lib.rs"),
        dir.join("src/lib.rs"),
    )
    .unwrap();

    let file = migrate::generate(&dir, "add_powers").unwrap();
    let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with('m') && name.ends_with("_add_powers"),
        "{name}"
    );
    let body = std::fs::read_to_string(&file).unwrap();
    assert!(body.contains("impl MigrationTrait for Migration"), "{body}");
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains(&format!("mod {name};")), "{lib}");
    assert!(
        lib.contains(&format!("Box::new({name}::Migration)")),
        "{lib}"
    );

    assert!(matches!(
        migrate::generate(&dir, "bad-name").unwrap_err(),
        Error::Usage(_)
    ));
    assert!(matches!(
        migrate::generate(&dir.join("nowhere"), "x").unwrap_err(),
        Error::Usage(_)
    ));

    // The binary looks for the migration crate where it runs, not where it
    // was built: elsewhere it asks for --migration-dir, and writes nothing.
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seaorm-migrate"))
        .current_dir(&elsewhere)
        .args(["migrate", "generate", "lost"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--migration-dir"));
    let generated = stdout_of(
        Command::new(env!("CARGO_BIN_EXE_seaorm-migrate"))
            .current_dir(&elsewhere)
            .args(["migrate", "generate", "found", "--migration-dir"])
            .arg(&dir),
    );
    assert!(generated.contains("_found.rs"), "{generated}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- the idioms -------------------------------------------------------------

#[tokio::test]
async fn every_read_idiom_returns_what_the_seed_holds() {
    let (_db, conn) = seeded("so_reads").await;
    let sandy = queries::by_name(&conn, "sandy").await.unwrap().unwrap();
    assert_eq!(sandy.secret_name.as_deref(), Some("Sandy Cheeks"));
    assert_eq!(sandy.age, Some(25));
    assert_eq!(
        queries::get(&conn, sandy.id).await.unwrap(),
        Some(sandy.clone())
    );
    assert_eq!(queries::get(&conn, -1).await.unwrap(), None);
    assert_eq!(queries::by_name(&conn, "nobody").await.unwrap(), None);
    assert_eq!(
        queries::secret_name_of(&conn, "sandy").await.unwrap(),
        Some(Some("Sandy Cheeks".to_owned()))
    );
    assert_eq!(
        queries::secret_name_of(&conn, "barnacle boy")
            .await
            .unwrap(),
        Some(None)
    );
    assert_eq!(
        queries::secret_name_of(&conn, "nobody").await.unwrap(),
        None
    );
    assert_eq!(
        queries::count(&conn).await.unwrap(),
        seed::HEROES.len() as u64
    );

    let names: Vec<_> = queries::by_app_src(&conn, APP)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect();
    let expected: Vec<_> = seed::HEROES.iter().map(|h| h.name.to_owned()).collect();
    assert_eq!(names, expected);

    for (hero, team) in queries::with_teams(&conn, APP).await.unwrap() {
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
    let (_db, conn) = seeded("so_update").await;
    assert_eq!(
        queries::birthday(&conn, "spongebob")
            .await
            .unwrap()
            .unwrap()
            .age,
        Some(23)
    );
    assert_eq!(
        queries::by_name(&conn, "spongebob")
            .await
            .unwrap()
            .unwrap()
            .age,
        Some(23)
    );
    assert_eq!(
        queries::by_name(&conn, "sandy").await.unwrap().unwrap().age,
        Some(25)
    );
    assert_eq!(queries::birthday(&conn, "nobody").await.unwrap(), None);
    assert_eq!(
        queries::delete_by_name(&conn, "barnacle boy")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        queries::delete_by_name(&conn, "barnacle boy")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        queries::count(&conn).await.unwrap(),
        seed::HEROES.len() as u64 - 1
    );
}

#[tokio::test]
async fn a_batch_with_a_duplicate_name_is_reported_and_leaves_zero_rows() {
    let (_db, conn) = seeded("so_dup").await;
    let batch = [
        NewHero::named("mr. krabs", APP),
        NewHero::named("sandy", APP),
    ];
    let txn = conn.begin().await.unwrap();
    let err = queries::add_all(&txn, &batch).await.unwrap_err();
    drop(txn);
    assert!(
        matches!(&err, Error::AlreadyExists { what: "hero", name } if name == "sandy"),
        "{err:?}"
    );
    assert_eq!(
        queries::count(&conn).await.unwrap(),
        seed::HEROES.len() as u64
    );
    assert_eq!(queries::by_name(&conn, "mr. krabs").await.unwrap(), None);
}

#[tokio::test]
async fn names_are_stored_verbatim() {
    let (_db, conn) = fresh("so_verbatim").await;
    let long = "x".repeat(10_000);
    let names = [
        "O'Brien \"the\" \\ hero",
        "'); DROP TABLE heroes; --",
        "Ñandú Größe 鬼 Ωμέγα",
        "🧽 spongebob 🦀",
        long.as_str(),
    ];
    let rows: Vec<_> = names.iter().map(|n| NewHero::named(*n, APP)).collect();
    queries::add_all(&conn, &rows).await.unwrap();
    for name in names {
        assert_eq!(
            queries::by_name(&conn, name).await.unwrap().unwrap().name,
            name
        );
    }
}

// ---- drift and create_all ---------------------------------------------------------

/// An entity that no longer matches the migrations: `age` became a BIGINT,
/// `power` was added, and `team_id` was forgotten. (SeaORM's derives expect
/// the entity's items to be `pub`.)
#[allow(unreachable_pub)]
mod drifted_hero {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "heroes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(column_type = "Text", unique)]
        pub name: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub secret_name: Option<String>,
        pub age: Option<i64>,
        #[sea_orm(column_type = "Text")]
        pub app_src: String,
        pub created_at: DateTimeUtc,
        #[sea_orm(column_type = "Text", nullable)]
        pub power: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[tokio::test]
async fn the_drift_check_passes_on_the_real_entities_and_fails_on_a_drifted_one() {
    let (_db, conn) = fresh("so_drift").await;
    assert!(drift::check(&conn).await.unwrap().is_empty());

    let mut entities = drift::declared::<drifted_hero::Entity>();
    entities.extend(drift::declared::<team::Entity>());
    let found: Vec<String> = drift::check_columns(&conn, &entities)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "the code says heroes.age bigint NULL but the database has heroes.age integer NULL",
            "declared in the code but not in the database: heroes.power text NULL",
            "in the database but not declared in the code: heroes.team_id bigint NULL",
            "in the database but not declared in the code: heroes.rank hero_rank NOT NULL",
            "in the database but not declared in the code: heroes.powers text[] NOT NULL",
            "in the database but not declared in the code: heroes.profile jsonb NULL",
            "in the database but not declared in the code: heroes.public_id uuid NOT NULL",
            "in the database but not declared in the code: heroes.salary numeric NULL",
        ]
    );

    // And after `down -n 1`, the real entities notice revision 3 is missing.
    migrate::down(&conn, 1).await.unwrap();
    let after_down = drift::check(&conn).await.unwrap();
    assert_eq!(after_down.len(), 5, "{after_down:?}");
    assert!(
        after_down
            .iter()
            .all(|d| matches!(d, Drift::MissingInDatabase(_)))
    );
}

#[tokio::test]
async fn create_all_builds_the_same_columns_without_migrations() {
    let (_db, conn) = empty("so_create_all").await;
    let sql = create_all::create_all(&conn).await.unwrap();
    assert!(sql[0].starts_with("CREATE TYPE \"hero_rank\""), "{sql:?}");
    assert!(sql[1].starts_with("CREATE TABLE \"teams\""), "{sql:?}");
    assert_eq!(tables(&conn).await, ["heroes", "teams"]);
    assert!(drift::check(&conn).await.unwrap().is_empty());
    // No migration history: the tables exist, but sea-orm-migration would
    // want to create them again.
    assert!(applied(&conn).await.is_empty());
    // The data side works on them all the same.
    tour::add_seed(&conn, APP).await.unwrap();
    assert_eq!(
        queries::count(&conn).await.unwrap(),
        seed::HEROES.len() as u64
    );
}

// ---- the binary, as a user runs it ------------------------------------------------

fn binary(db: &TestDatabase) -> Command {
    devdb::testing::example_binary(env!("CARGO_BIN_EXE_seaorm-migrate"), db.name())
}

#[test]
fn the_tour_runs_twice_and_ends_in_the_same_state() {
    let db = TestDatabase::create("so_tour").unwrap();
    let heroes = devdb::testing::assert_tour_repeatable(
        || binary(&db),
        db.url(),
        seaorm_migrate::APP_SRC,
        &[
            "applied m20250101_000001_create_heroes",
            "spongebob -> team Krusty Krab Crew",
            "error: hero 'sandy' already exists",
            "no drift: the entities and the migrated tables agree",
            "0 difference(s) from the entities, and no migration history",
            "rank legend -> [\"mermaid man\"]",
            "by salary -> mermaid man 9999999999.99",
            "sandy's public_id -> Some(\"sandy\")",
        ],
    );
    assert_eq!(heroes.len(), seed::HEROES.len() - 1);
    assert_eq!(
        stdout_of(binary(&db).args(["migrate", "status"])),
        format!("applied  {REV1}\napplied  {REV2}\napplied  {REV3}\n")
    );
}

#[test]
fn the_migrate_and_check_commands_work() {
    let db = TestDatabase::create("so_cli").unwrap();
    let run = |args: &[&str]| stdout_of(binary(&db).args(args));
    assert_eq!(
        run(&["migrate", "up"]),
        format!("applied  {REV1}\napplied  {REV2}\napplied  {REV3}\n")
    );
    assert!(run(&["check"]).contains("no drift"));
    assert_eq!(
        run(&["migrate", "down-to", REV1]),
        format!("reverted {REV3}\nreverted {REV2}\n")
    );
    assert_eq!(
        run(&["migrate", "status"]),
        format!("applied  {REV1}\npending  {REV2}\npending  {REV3}\n")
    );
    let check = binary(&db).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&check.stdout)
            .contains("drift: declared in the code but not in the database: teams.id")
    );
    assert_eq!(
        run(&["migrate", "refresh"]),
        format!("applied  {REV1}\napplied  {REV2}\napplied  {REV3}\n")
    );
    assert_eq!(
        run(&["migrate", "reset"]),
        format!("reverted {REV3}\nreverted {REV2}\nreverted {REV1}\n")
    );
    assert_eq!(
        run(&["migrate", "fresh"]),
        format!("applied  {REV1}\napplied  {REV2}\napplied  {REV3}\n")
    );
    let echoed = stdout_of(binary(&db).env("ECHO", "1"));
    assert!(echoed.contains("SQL> INSERT INTO \"heroes\""), "{echoed}");
}

#[test]
fn bad_input_gives_one_line_and_the_right_exit_code() {
    let db = TestDatabase::create("so_cli_errors").unwrap();
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
                args: &["migrate", "down-to", "m_nope"],
                database_url: None,
                exit_code: 2,
                message: "'m_nope' is not an applied migration",
            },
            BadInput {
                args: &["migrate", "generate", "bad-name"],
                database_url: None,
                exit_code: 2,
                message: "not a usable migration name",
            },
        ],
    );
}

/// `serve` as an operator runs it: logs each request, echoes SQL with
/// ECHO=1, finishes a request in flight at SIGTERM, exits 0 within 5 s.
#[test]
fn serve_logs_echoes_and_stops_gracefully_on_sigterm() {
    let db = TestDatabase::create("seaorm_migrate_serve").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_seaorm-migrate"));
    serve.args(["--database", db.name(), "serve", "--addr", "127.0.0.1:0"]);
    let run = devdb::testing::check_serve_binary(serve.env("ECHO", "1"));
    println!("exited {:?} after SIGTERM", run.stop_time);
}

/// The tour and `serve` through PgBouncer in the best mode this crate
/// supports as written, session mode: SeaORM runs on sqlx, which names every statement, cached or not; the
/// migrations go to the cluster behind it (book/src/scaling.md).
#[test]
fn the_tour_and_serve_run_through_pgbouncer_in_session_mode() {
    let db = TestDatabase::create("so_bouncer").unwrap();
    devdb::testing::check_tour_and_serve_behind_pgbouncer(
        || binary(&db),
        devdb::scale::PoolMode::Session,
        false,
        "seaorm-migrate: done;",
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
    let db = TestDatabase::create("so_bouncer_tx").unwrap();
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
        "find_by_id(id).one(db)",
    );
}

/// `GET /heroes/export` of a million rows streams through the real binary:
/// every row arrives, the server's peak memory stays within
/// `devdb::testing::EXPORT_PEAK_LIMIT_KIB`, and a client hanging up in the
/// middle of a second export leaves the server running and ready.
#[test]
fn a_million_row_export_streams_in_bounded_memory_and_survives_a_hang_up() {
    let db = TestDatabase::create("seaorm_export").unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_seaorm-migrate"));
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
        env!("CARGO_BIN_EXE_seaorm-migrate"),
    ));
}

#[tokio::test]
async fn the_json_insert_stores_what_add_all_stores() {
    let (_db, conn) = fresh("so_json").await;
    let batch = seed::awkward_heroes(APP);
    let txn = conn.begin().await.unwrap();
    let saved = seaorm_migrate::beyond::add_all_json(&txn, &batch)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(saved.len(), batch.len());
    for (row, hero) in batch.iter().zip(&saved) {
        assert_eq!(
            (&hero.name, &hero.secret_name, hero.age),
            (&row.name, &row.secret_name, row.age)
        );
        let again = queries::get(&conn, hero.id).await.unwrap();
        assert_eq!(again.as_ref(), Some(hero));
    }
}
