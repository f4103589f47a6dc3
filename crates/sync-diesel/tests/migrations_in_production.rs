//! Migrations where production hurts, for diesel_migrations (book/src/migrations-in-production.md):
//! two deploys at once, a migration that fails halfway, one that cannot run
//! in a transaction, an applied migration edited afterwards, and two branches
//! that each added a migration after the same parent. Each test has a
//! database of its own, never migrated before it starts.
//!
//! Extra migrations live in a scratch copy of `migrations/` that diesel reads
//! at run time (`FileBasedMigrations`); `production::migrations::up_from` is the crate's own
//! `up` (with its lock) over such a folder.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use devdb::TestDatabase;
use devdb::testing::{ScratchMigrations, TableHold};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use sync_diesel::migrate;
use sync_diesel::production::migrations;

const REV1: &str = "2025-01-01-000001_create_heroes";
const REV2: &str = "2025-01-01-000002_teams_and_hero_team";
const REV3: &str = "2025-01-01-000003_hero_types";

fn connect(db: &TestDatabase) -> PgConnection {
    PgConnection::establish(db.url()).unwrap()
}

/// The project's migrations plus `extra` (folder name, `up.sql`), each with
/// a `down.sql` that does nothing.
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

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The versions diesel recorded, in the order they were applied.
fn recorded(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT version AS line FROM __diesel_schema_migrations ORDER BY run_on, version",
    )
    .load::<Line>(conn)
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect()
}

fn exists(conn: &mut PgConnection, relation: &str) -> bool {
    diesel::select(diesel::dsl::sql::<Bool>(&format!(
        "to_regclass('{relation}') IS NOT NULL"
    )))
    .get_result(conn)
    .unwrap()
}

fn binary(db: &TestDatabase) -> std::process::Command {
    devdb::testing::example_binary(env!("CARGO_BIN_EXE_sync-diesel"), db.name())
}

// ---- 1. Two deploys at once --------------------------------------------------

#[test]
fn four_deploys_at_once_apply_each_migration_once_and_all_succeed() {
    let db = TestDatabase::create("sd_mp_deploys").unwrap();
    assert_eq!(
        devdb::testing::migrate_up_at_once(env!("CARGO_BIN_EXE_sync-diesel"), db.name(), 4),
        [REV1, REV2, REV3]
    );
    assert_eq!(
        recorded(&mut connect(&db)),
        ["20250101000001", "20250101000002", "20250101000003"]
    );
}

/// Runs `up` twice at once, deterministically: a session holds diesel's
/// version table so the first run stops at its first bookkeeping insert
/// (its `CREATE TABLE heroes` done, not committed); the second run is then
/// started and left to reach its own wait; then both go on.
fn race(
    db: &TestDatabase,
    up: fn(&mut PgConnection) -> Result<usize, String>,
) -> (Result<usize, String>, Result<usize, String>) {
    // Diesel creates its version table on first use; create it now so it can be held.
    connect(db).applied_migrations().unwrap();
    let mut hold = TableHold::lock(db.url(), "__diesel_schema_migrations");
    let start =
        |url: String| std::thread::spawn(move || up(&mut PgConnection::establish(&url).unwrap()));
    let first = start(db.url().to_owned());
    hold.wait_for_waiters(1);
    let second = start(db.url().to_owned());
    hold.wait_for_waiters(2);
    hold.release();
    (first.join().unwrap(), second.join().unwrap())
}

#[test]
fn without_a_lock_the_second_of_two_racing_deploys_fails_and_ours_waits_instead() {
    // diesel_migrations alone: both runs read the same pending list.
    let db = TestDatabase::create("sd_mp_race_lib").unwrap();
    let (first, second) = race(&db, |conn| {
        conn.run_pending_migrations(migrate::MIGRATIONS)
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    });
    assert_eq!(first, Ok(3));
    let err = second.unwrap_err();
    assert!(err.contains(REV1), "{err}");
    assert!(
        err.contains("already exists") || err.contains("duplicate key"),
        "{err}"
    );

    // This crate's `up` holds an advisory lock around the run.
    let db = TestDatabase::create("sd_mp_race_ours").unwrap();
    let (first, second) = race(&db, |conn| {
        migrate::up(conn)
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    });
    assert_eq!((first, second), (Ok(3), Ok(0)));
    assert_eq!(recorded(&mut connect(&db)).len(), 3);
}

// ---- 2. A migration that fails halfway -----------------------------------------

#[test]
fn a_migration_that_fails_halfway_leaves_nothing_and_the_error_names_it() {
    let db = TestDatabase::create("sd_mp_halfway").unwrap();
    let migrations = folder(
        "sd-halfway",
        &[(
            "2025-01-02-000003_half_done",
            "CREATE TABLE half_done (id INTEGER);\nINSERT INTO half_done VALUES (1);\nSELECT 1 / 0;\n",
        )],
    );
    let conn = &mut connect(&db);
    let err = migrations::up_from(conn, &source(&migrations))
        .unwrap_err()
        .to_string();
    assert!(err.contains("2025-01-02-000003_half_done"), "{err}");
    assert!(err.contains("division by zero"), "{err}");
    // Its own transaction rolled back: no table, no row, not recorded; the
    // three migrations before it stay applied.
    assert!(!exists(conn, "half_done"));
    assert_eq!(
        recorded(conn),
        ["20250101000001", "20250101000002", "20250101000003"]
    );
    assert!(exists(conn, "teams"));
    // The migration lock was released on the way out.
    let unlocked: bool = diesel::select(diesel::dsl::sql::<Bool>(
        "NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
    ))
    .get_result(conn)
    .unwrap();
    assert!(unlocked);
}

// ---- 3. A migration that cannot run in a transaction -----------------------------

#[test]
fn create_index_concurrently_runs_when_the_migration_opts_out_of_its_transaction() {
    let db = TestDatabase::create("sd_mp_concurrently").unwrap();
    let name = "2025-01-02-000003_heroes_age_index";
    let migrations = folder(
        "sd-concurrently",
        &[(
            name,
            "CREATE INDEX CONCURRENTLY heroes_age_idx ON heroes (age);\n",
        )],
    );
    let conn = &mut connect(&db);
    // By default diesel wraps it in a transaction, which PostgreSQL refuses.
    let err = migrations::up_from(conn, &source(&migrations))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{err}"
    );
    assert!(!exists(conn, "heroes_age_idx"));

    // `run_in_transaction = false` in the folder's metadata.toml.
    migrations.write(
        &format!("{name}/metadata.toml"),
        "run_in_transaction = false\n",
    );
    // The folder's SQL still goes to the server as one query string, which
    // PostgreSQL runs as one implicit transaction when it holds several
    // statements: a `SET lock_timeout` first brings the refusal back.
    let up = format!("{name}/up.sql");
    migrations.write(
        &up,
        "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY heroes_age_idx ON heroes (age);\n",
    );
    let err = migrations::up_from(conn, &source(&migrations))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot run inside a transaction block"),
        "{err}"
    );
    migrations.write(
        &up,
        "CREATE INDEX CONCURRENTLY heroes_age_idx ON heroes (age);\n",
    );
    assert_eq!(
        migrations::up_from(conn, &source(&migrations)).unwrap(),
        [name]
    );
    let valid: bool = diesel::select(diesel::dsl::sql::<Bool>(
        "(SELECT indisvalid FROM pg_index WHERE indexrelid = 'heroes_age_idx'::regclass)",
    ))
    .get_result(conn)
    .unwrap();
    assert!(valid);
}

// ---- 4. An applied migration edited afterwards ------------------------------------

#[test]
fn an_applied_migration_edited_afterwards_goes_unnoticed() {
    let db = TestDatabase::create("sd_mp_edited").unwrap();
    let name = "2025-01-02-000003_nickname";
    let migrations = folder(
        "sd-edited",
        &[(name, "ALTER TABLE heroes ADD COLUMN nickname TEXT;\n")],
    );
    let conn = &mut connect(&db);
    assert_eq!(
        migrations::up_from(conn, &source(&migrations))
            .unwrap()
            .len(),
        4
    );

    migrations.write(
        &format!("{name}/up.sql"),
        "ALTER TABLE heroes ADD COLUMN nickname VARCHAR(40);\n",
    );
    // Diesel records versions only: the edit is neither run nor reported.
    assert!(
        migrations::up_from(conn, &source(&migrations))
            .unwrap()
            .is_empty()
    );
    let kind = diesel::sql_query(
        "SELECT data_type AS line FROM information_schema.columns \
         WHERE table_name = 'heroes' AND column_name = 'nickname'",
    )
    .get_result::<Line>(conn)
    .unwrap()
    .line;
    assert_eq!(kind, "text");
}

// ---- 5. Two branches, each with a migration after the same parent ------------------

const BRANCH_A: (&str, &str) = (
    "2025-03-01-000001_hero_power",
    "ALTER TABLE heroes ADD COLUMN power TEXT;\n",
);
/// Written before branch A's (an older version), merged after it.
const BRANCH_B: (&str, &str) = (
    "2025-02-01-000001_team_motto",
    "ALTER TABLE teams ADD COLUMN motto TEXT;\n",
);

#[test]
fn two_branches_merged_run_out_of_order_and_a_missing_one_is_ignored() {
    // Production ran branch A's migration, then deploys the merge.
    let prod = TestDatabase::create("sd_mp_branches").unwrap();
    let conn = &mut connect(&prod);
    migrations::up_from(conn, &source(&folder("sd-branch-a", &[BRANCH_A]))).unwrap();
    let merged = folder("sd-merged", &[BRANCH_A, BRANCH_B]);
    // Diesel applies whatever is not recorded: B, though older than A.
    assert_eq!(
        migrations::up_from(conn, &source(&merged)).unwrap(),
        [BRANCH_B.0]
    );
    assert_eq!(recorded(conn)[3..], ["20250301000001", "20250201000001"]);

    // A fresh database gets them in version order: B, then A.
    let fresh = TestDatabase::create("sd_mp_branches_fresh").unwrap();
    let conn = &mut connect(&fresh);
    assert_eq!(
        migrations::up_from(conn, &source(&merged)).unwrap(),
        [REV1, REV2, REV3, BRANCH_B.0, BRANCH_A.0]
    );

    // Staging ran branch A; then branch B's build (without A) deploys there:
    // diesel applies B and says nothing of the recorded version it cannot find.
    let staging = TestDatabase::create("sd_mp_branches_staging").unwrap();
    let conn = &mut connect(&staging);
    migrations::up_from(conn, &source(&folder("sd-staging-a", &[BRANCH_A]))).unwrap();
    assert_eq!(
        migrations::up_from(conn, &source(&folder("sd-staging-b", &[BRANCH_B]))).unwrap(),
        [BRANCH_B.0]
    );
}

// ---- migrate plan ----------------------------------------------------------------------

#[test]
fn plan_prints_the_pending_sql_and_runs_nothing() {
    let db = TestDatabase::create("sd_mp_plan").unwrap();
    let run = |args: &[&str]| devdb::testing::stdout_of(binary(&db).args(args));
    let plan = run(&["migrate", "plan"]);
    devdb::testing::assert_contains_all(
        &plan,
        &[
            &format!("-- {REV1} (in a transaction)\nBEGIN;\n"),
            "CREATE TABLE heroes (",
            &format!("-- {REV2} (in a transaction)"),
            "CREATE INDEX heroes_team_id_idx ON heroes (team_id);\nCOMMIT;",
            &format!("-- {REV3} (in a transaction)"),
            "CREATE TYPE hero_rank AS ENUM ('rookie', 'veteran', 'legend');",
        ],
    );
    // Nothing ran, and nothing was written: not even diesel's version table.
    let conn = &mut connect(&db);
    assert!(!exists(conn, "heroes"));
    assert!(!exists(conn, "__diesel_schema_migrations"));
    run(&["migrate", "up"]);
    assert_eq!(
        run(&["migrate", "plan"]),
        "-- already at head: `migrate up` would run nothing\n"
    );
}
