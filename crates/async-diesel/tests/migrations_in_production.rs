//! Migrations where production hurts, for diesel_migrations driven through
//! diesel-async (book/src/migrations-in-production.md): two deploys at once, a migration that
//! fails halfway, one that cannot run in a transaction, an applied migration
//! edited afterwards, two branches merged. Each test has a database of its
//! own, never migrated before it starts.
//!
//! The runner is sync-diesel's (the same migrations and verbs, compiled in
//! here), so the outcomes match sync-diesel's tests; what these show is that
//! they hold through diesel-async's connection wrapper and its pool.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use async_diesel::db::Settings;
use async_diesel::migrate;
use async_diesel::production::migrations;
use async_diesel::production::{self, Pool};
use devdb::TestDatabase;
use devdb::testing::{ScratchMigrations, TableHold};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncMigrationHarness, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

const REV1: &str = "2025-01-01-000001_create_heroes";
const REV2: &str = "2025-01-01-000002_teams_and_hero_team";
const REV3: &str = "2025-01-01-000003_hero_types";

async fn engine(db: &TestDatabase) -> Pool {
    production::pool(
        db.url(),
        &Settings::default(),
        &production::Settings::default(),
    )
    .await
    .unwrap()
}

/// The workspace's `migrations/` plus `extra` (folder
/// name, `up.sql`), each with a `down.sql` that does nothing.
fn folder(label: &str, extra: &[(&str, &str)]) -> ScratchMigrations {
    let scratch = ScratchMigrations::copy_of(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations"),
        label,
    );
    for (name, up) in extra {
        scratch
            .write(&format!("{name}/up.sql"), up)
            .write(&format!("{name}/down.sql"), "SELECT 1;");
    }
    scratch
}

fn source(folder: &ScratchMigrations) -> FileBasedMigrations {
    FileBasedMigrations::from_path(folder.path()).unwrap()
}

async fn up_from(engine: &Pool, folder: &ScratchMigrations) -> Result<Vec<String>, String> {
    migrations::up_from(engine.get().await.unwrap(), &source(folder)).map_err(|e| e.to_string())
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Yes {
    #[diesel(sql_type = Bool)]
    yes: bool,
}

/// The versions diesel recorded, in the order they were applied.
async fn recorded(engine: &Pool) -> Vec<String> {
    diesel::sql_query(
        "SELECT version AS line FROM __diesel_schema_migrations ORDER BY run_on, version",
    )
    .load::<Line>(&mut engine.get().await.unwrap())
    .await
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect()
}

async fn holds(engine: &Pool, condition: &str) -> bool {
    diesel::sql_query(format!("SELECT ({condition}) AS yes"))
        .get_result::<Yes>(&mut engine.get().await.unwrap())
        .await
        .unwrap()
        .yes
}

async fn exists(engine: &Pool, relation: &str) -> bool {
    holds(engine, &format!("to_regclass('{relation}') IS NOT NULL")).await
}

// ---- 1. Two deploys at once --------------------------------------------------

#[test]
fn four_deploys_at_once_apply_each_migration_once_and_all_succeed() {
    let db = TestDatabase::create("ad_mp_deploys").unwrap();
    assert_eq!(
        devdb::testing::migrate_up_at_once(env!("CARGO_BIN_EXE_async-diesel"), db.name(), 4),
        [REV1, REV2, REV3]
    );
}

type Up = fn(async_diesel::db::PooledConnection) -> Result<usize, String>;

/// Runs `up` twice at once, deterministically (see sync-diesel's test of the
/// same name): the first run is stopped at its first bookkeeping insert, the
/// second is started and left to reach its own wait, then both go on.
async fn race(db: &TestDatabase, up: Up) -> (Result<usize, String>, Result<usize, String>) {
    let engine = engine(db).await;
    AsyncMigrationHarness::new(engine.get().await.unwrap())
        .applied_migrations()
        .unwrap();
    let mut hold =
        tokio::task::block_in_place(|| TableHold::lock(db.url(), "__diesel_schema_migrations"));
    let start = |conn| tokio::spawn(async move { up(conn) });
    let first = start(engine.get().await.unwrap());
    tokio::task::block_in_place(|| hold.wait_for_waiters(1));
    let second = start(engine.get().await.unwrap());
    tokio::task::block_in_place(|| {
        hold.wait_for_waiters(2);
        hold.release();
    });
    (first.await.unwrap(), second.await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_lock_the_second_of_two_racing_deploys_fails_and_ours_waits_instead() {
    let db = TestDatabase::create("ad_mp_race_lib").unwrap();
    let (first, second) = race(&db, |conn| {
        AsyncMigrationHarness::new(conn)
            .run_pending_migrations(migrate::MIGRATIONS)
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(first, Ok(3));
    let err = second.unwrap_err();
    assert!(err.contains(REV1), "{err}");
    assert!(
        err.contains("already exists") || err.contains("duplicate key"),
        "{err}"
    );

    let db = TestDatabase::create("ad_mp_race_ours").unwrap();
    let (first, second) = race(&db, |conn| {
        migrate::up(conn)
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    })
    .await;
    assert_eq!((first, second), (Ok(3), Ok(0)));
    assert_eq!(recorded(&engine(&db).await).await.len(), 3);
}

// ---- 2. A migration that fails halfway -----------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_that_fails_halfway_leaves_nothing_and_the_error_names_it() {
    let db = TestDatabase::create("ad_mp_halfway").unwrap();
    let engine = engine(&db).await;
    let migrations = folder(
        "ad-halfway",
        &[(
            "2025-01-02-000003_half_done",
            "CREATE TABLE half_done (id INTEGER);\nINSERT INTO half_done VALUES (1);\nSELECT 1 / 0;\n",
        )],
    );
    let err = up_from(&engine, &migrations).await.unwrap_err();
    assert!(err.contains("2025-01-02-000003_half_done"), "{err}");
    assert!(err.contains("division by zero"), "{err}");
    assert!(!exists(&engine, "half_done").await);
    assert_eq!(
        recorded(&engine).await,
        ["20250101000001", "20250101000002", "20250101000003"]
    );
    assert!(exists(&engine, "teams").await);
    assert!(
        holds(
            &engine,
            "NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
        )
        .await
    );
}

// ---- 3. A migration that cannot run in a transaction -----------------------------

#[tokio::test(flavor = "multi_thread")]
async fn create_index_concurrently_runs_when_the_migration_opts_out_of_its_transaction() {
    let db = TestDatabase::create("ad_mp_concurrently").unwrap();
    let engine = engine(&db).await;
    let name = "2025-01-02-000003_heroes_age_index";
    let migrations = folder(
        "ad-concurrently",
        &[(
            name,
            "CREATE INDEX CONCURRENTLY heroes_age_idx ON heroes (age);\n",
        )],
    );
    let err = up_from(&engine, &migrations).await.unwrap_err();
    assert!(
        err.contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{err}"
    );
    assert!(!exists(&engine, "heroes_age_idx").await);

    migrations.write(
        &format!("{name}/metadata.toml"),
        "run_in_transaction = false\n",
    );
    assert_eq!(up_from(&engine, &migrations).await.unwrap(), [name]);
    assert!(
        holds(
            &engine,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'heroes_age_idx'::regclass"
        )
        .await
    );
}

// ---- 4. An applied migration edited afterwards ------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn an_applied_migration_edited_afterwards_goes_unnoticed() {
    let db = TestDatabase::create("ad_mp_edited").unwrap();
    let engine = engine(&db).await;
    let name = "2025-01-02-000003_nickname";
    let migrations = folder(
        "ad-edited",
        &[(name, "ALTER TABLE heroes ADD COLUMN nickname TEXT;\n")],
    );
    assert_eq!(up_from(&engine, &migrations).await.unwrap().len(), 4);
    migrations.write(
        &format!("{name}/up.sql"),
        "ALTER TABLE heroes ADD COLUMN nickname VARCHAR(40);\n",
    );
    assert!(up_from(&engine, &migrations).await.unwrap().is_empty());
    assert!(
        holds(
            &engine,
            "SELECT data_type = 'text' FROM information_schema.columns \
             WHERE table_name = 'heroes' AND column_name = 'nickname'"
        )
        .await
    );
}

// ---- 5. Two branches, each with a migration after the same parent ------------------

const BRANCH_A: (&str, &str) = (
    "2025-03-01-000001_hero_power",
    "ALTER TABLE heroes ADD COLUMN power TEXT;\n",
);
const BRANCH_B: (&str, &str) = (
    "2025-02-01-000001_team_motto",
    "ALTER TABLE teams ADD COLUMN motto TEXT;\n",
);

#[tokio::test(flavor = "multi_thread")]
async fn two_branches_merged_run_out_of_order_and_a_missing_one_is_ignored() {
    let prod = TestDatabase::create("ad_mp_branches").unwrap();
    let engine_prod = engine(&prod).await;
    up_from(&engine_prod, &folder("ad-branch-a", &[BRANCH_A]))
        .await
        .unwrap();
    let merged = folder("ad-merged", &[BRANCH_A, BRANCH_B]);
    assert_eq!(up_from(&engine_prod, &merged).await.unwrap(), [BRANCH_B.0]);
    assert_eq!(
        recorded(&engine_prod).await[3..],
        ["20250301000001", "20250201000001"]
    );

    let fresh = TestDatabase::create("ad_mp_branches_fresh").unwrap();
    assert_eq!(
        up_from(&engine(&fresh).await, &merged).await.unwrap(),
        [REV1, REV2, REV3, BRANCH_B.0, BRANCH_A.0]
    );

    let staging = TestDatabase::create("ad_mp_branches_staging").unwrap();
    let engine_staging = engine(&staging).await;
    up_from(&engine_staging, &folder("ad-staging-a", &[BRANCH_A]))
        .await
        .unwrap();
    assert_eq!(
        up_from(&engine_staging, &folder("ad-staging-b", &[BRANCH_B]))
            .await
            .unwrap(),
        [BRANCH_B.0]
    );
}

// ---- migrate plan ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn plan_lists_the_pending_sql_without_running_or_writing_anything() {
    let db = TestDatabase::create("ad_mp_plan").unwrap();
    let engine = engine(&db).await;
    let plan = migrations::plan(engine.get().await.unwrap(), false).unwrap();
    let names: Vec<&str> = plan.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, [REV1, REV2, REV3]);
    assert!(plan.iter().all(|p| p.in_transaction));
    assert!(plan[0].sql.contains("CREATE TABLE heroes ("));
    assert!(!exists(&engine, "heroes").await);
    assert!(!exists(&engine, "__diesel_schema_migrations").await);
    migrate::up(engine.get().await.unwrap()).unwrap();
    assert!(
        migrations::plan(engine.get().await.unwrap(), false)
            .unwrap()
            .is_empty()
    );
}
