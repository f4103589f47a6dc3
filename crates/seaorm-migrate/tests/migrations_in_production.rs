//! Migrations where production hurts, for sea-orm-migration
//! (book/src/migrations-in-production.md): two deploys at once, a migration that fails
//! halfway, one that cannot run in a transaction, an applied migration
//! edited afterwards, and two branches that each added a migration after the
//! same parent. Each test has a database of its own, never migrated before
//! it starts.
//!
//! SeaORM's migrations are Rust values listed by a `MigratorTrait`, so the
//! extra ones here are migrators of the tests' own: the project's migrations
//! plus [`Sql`] migrations. `migrate::up_with` is the crate's own `up` (with
//! its lock) over any migrator.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `MigrationTrait::up` is declared with `&SchemaManager`, lifetime elided; an
// impl that spells the lifetime no longer matches it under `async_trait`.
#![allow(elided_lifetimes_in_paths)]

use devdb::TestDatabase;
use devdb::testing::TableHold;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use sea_orm_migration::async_trait::async_trait;
use sea_orm_migration::{MigrationName, MigrationTrait, MigratorTrait, SchemaManager};
use seaorm_migrate::db::{self, Settings};
use seaorm_migrate::migrate;
use seaorm_migrate::production::migrations;

const REV1: &str = "m20250101_000001_create_heroes";
const REV2: &str = "m20250101_000002_teams_and_hero_team";
const REV3: &str = "m20250101_000003_hero_types";

/// A migration that runs one piece of SQL, in SeaORM's transaction unless
/// `in_transaction` is `Some(false)`.
struct Sql {
    name: &'static str,
    up: &'static str,
    in_transaction: Option<bool>,
}

impl MigrationName for Sql {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait]
impl MigrationTrait for Sql {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.up).await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        self.in_transaction
    }
}

const fn sql(name: &'static str, up: &'static str) -> Sql {
    Sql {
        name,
        up,
        in_transaction: None,
    }
}

/// A migrator listing the project's migrations, then `extra`, in that order.
macro_rules! migrator {
    ($name:ident: $($extra:expr),*) => {
        struct $name;
        #[async_trait]
        impl MigratorTrait for $name {
            fn migrations() -> Vec<Box<dyn MigrationTrait>> {
                #[allow(unused_mut)]
                let mut all = migration::Migrator::migrations();
                $(all.push(Box::new($extra));)*
                all
            }
        }
    };
}

async fn engine(db: &TestDatabase) -> DatabaseConnection {
    db::pool(db.url(), &Settings::default()).await.unwrap()
}

async fn up_with<M: MigratorTrait>(db: &DatabaseConnection) -> Result<Vec<String>, String> {
    migrate::up_with::<M>(db, None)
        .await
        .map_err(|e| e.to_string())
}

/// The names SeaORM recorded (it keeps the time in whole seconds, so no order).
async fn recorded(db: &DatabaseConnection) -> Vec<String> {
    let mut names: Vec<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "version").unwrap())
        .collect();
    names.sort();
    names
}

async fn holds(db: &DatabaseConnection, condition: &str) -> bool {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT ({condition}) AS yes"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "yes")
    .unwrap()
}

async fn exists(db: &DatabaseConnection, relation: &str) -> bool {
    holds(db, &format!("to_regclass('{relation}') IS NOT NULL")).await
}

// ---- 1. Two deploys at once --------------------------------------------------

#[test]
fn four_deploys_at_once_apply_each_migration_once_and_all_succeed() {
    let db = TestDatabase::create("so_mp_deploys").unwrap();
    assert_eq!(
        devdb::testing::migrate_up_at_once(env!("CARGO_BIN_EXE_seaorm-migrate"), db.name(), 4),
        [REV1, REV2, REV3]
    );
}

/// A racing `up`: how many migrations it applied, or the error text.
type Up =
    fn(DatabaseConnection) -> std::pin::Pin<Box<dyn Future<Output = Result<usize, String>> + Send>>;

/// Runs `up` twice at once, each on an engine of its own, deterministically:
/// a session holds SeaORM's version table so the first run waits at its
/// first bookkeeping insert (its `CREATE TABLE heroes` done, not committed);
/// the second is started and left to reach its own wait; then both go on.
async fn race(db: &TestDatabase, up: Up) -> (Result<usize, String>, Result<usize, String>) {
    migration::Migrator::install(&engine(db).await)
        .await
        .unwrap();
    let mut hold = tokio::task::block_in_place(|| TableHold::lock(db.url(), "seaql_migrations"));
    let first = tokio::spawn(up(engine(db).await));
    tokio::task::block_in_place(|| hold.wait_for_waiters(1));
    let second = tokio::spawn(up(engine(db).await));
    tokio::task::block_in_place(|| {
        hold.wait_for_waiters(2);
        hold.release();
    });
    (first.await.unwrap(), second.await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_lock_the_second_of_two_racing_deploys_fails_and_ours_waits_instead() {
    // sea-orm-migration alone (what `cargo run -p migration -- up` does).
    let db = TestDatabase::create("so_mp_race_lib").unwrap();
    let (first, second) = race(&db, |conn| {
        Box::pin(async move {
            migration::Migrator::up(&conn, None)
                .await
                .map(|()| 3)
                .map_err(|e| e.to_string())
        })
    })
    .await;
    assert_eq!(first, Ok(3));
    let err = second.unwrap_err();
    assert!(
        err.contains("already exists") || err.contains("duplicate key"),
        "{err}"
    );

    let db = TestDatabase::create("so_mp_race_ours").unwrap();
    let (first, second) = race(&db, |conn| {
        Box::pin(async move {
            migrate::up(&conn, None)
                .await
                .map(|v| v.len())
                .map_err(|e| e.to_string())
        })
    })
    .await;
    assert_eq!((first, second), (Ok(3), Ok(0)));
    assert_eq!(recorded(&engine(&db).await).await, [REV1, REV2, REV3]);
}

// ---- 2. A migration that fails halfway -----------------------------------------

migrator!(HalfDone: sql(
    "m20250102_000003_half_done",
    "CREATE TABLE half_done (id INTEGER); INSERT INTO half_done VALUES (1); SELECT 1 / 0;"
));

#[tokio::test]
async fn a_migration_that_fails_halfway_leaves_nothing_and_the_error_names_it() {
    let db = TestDatabase::create("so_mp_halfway").unwrap();
    let conn = engine(&db).await;
    let err = up_with::<HalfDone>(&conn).await.unwrap_err();
    // SeaORM's own error names the statement only; this crate adds the name.
    assert!(
        err.contains("migration m20250102_000003_half_done failed"),
        "{err}"
    );
    assert!(err.contains("division by zero"), "{err}");
    assert!(!exists(&conn, "half_done").await);
    assert_eq!(recorded(&conn).await, [REV1, REV2, REV3]);
    assert!(exists(&conn, "teams").await);
    // The migration lock went with the run's own connection.
    assert!(
        holds(
            &conn,
            "NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
        )
        .await
    );
}

// ---- 3. A migration that cannot run in a transaction -----------------------------

const INDEX: &str = "CREATE INDEX CONCURRENTLY heroes_age_idx ON heroes (age)";
migrator!(IndexInTransaction: sql("m20250102_000003_heroes_age_index", INDEX));
migrator!(IndexOutside: Sql {
    name: "m20250102_000003_heroes_age_index",
    up: INDEX,
    in_transaction: Some(false),
});

#[tokio::test]
async fn create_index_concurrently_runs_when_the_migration_opts_out_of_its_transaction() {
    let db = TestDatabase::create("so_mp_concurrently").unwrap();
    let conn = engine(&db).await;
    let err = up_with::<IndexInTransaction>(&conn).await.unwrap_err();
    assert!(
        err.contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{err}"
    );
    assert!(!exists(&conn, "heroes_age_idx").await);

    // `fn use_transaction(&self) -> Option<bool> { Some(false) }`
    let plan = migrations::plan_of::<IndexOutside>(&conn, false)
        .await
        .unwrap();
    assert_eq!(plan.len(), 1);
    assert!(!plan[0].in_transaction);
    assert!(plan[0].sql.contains("CREATE INDEX CONCURRENTLY"));
    assert_eq!(
        up_with::<IndexOutside>(&conn).await.unwrap(),
        ["m20250102_000003_heroes_age_index"]
    );
    assert!(
        holds(
            &conn,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'heroes_age_idx'::regclass"
        )
        .await
    );
}

// ---- 4. An applied migration edited afterwards ------------------------------------

migrator!(Nickname: sql(
    "m20250102_000003_nickname",
    "ALTER TABLE heroes ADD COLUMN nickname TEXT"
));
migrator!(NicknameEdited: sql(
    "m20250102_000003_nickname",
    "ALTER TABLE heroes ADD COLUMN nickname VARCHAR(40)"
));

#[tokio::test]
async fn an_applied_migration_edited_afterwards_goes_unnoticed() {
    let db = TestDatabase::create("so_mp_edited").unwrap();
    let conn = engine(&db).await;
    assert_eq!(up_with::<Nickname>(&conn).await.unwrap().len(), 4);
    // SeaORM records names only: the edit is neither run nor reported.
    assert!(up_with::<NicknameEdited>(&conn).await.unwrap().is_empty());
    assert!(
        holds(
            &conn,
            "SELECT data_type = 'text' FROM information_schema.columns \
             WHERE table_name = 'heroes' AND column_name = 'nickname'"
        )
        .await
    );
}

// ---- 5. Two branches, each with a migration after the same parent ------------------

const BRANCH_A: Sql = sql(
    "m20250301_000001_hero_power",
    "ALTER TABLE heroes ADD COLUMN power TEXT",
);
/// Written before branch A's (an older name), merged after it.
const BRANCH_B: Sql = sql(
    "m20250201_000001_team_motto",
    "ALTER TABLE teams ADD COLUMN motto TEXT",
);
migrator!(BranchA: BRANCH_A);
migrator!(BranchB: BRANCH_B);
// Both branches appended a line to `Migrator::migrations()`; the merge keeps
// both, A's first.
migrator!(Merged: BRANCH_A, BRANCH_B);

#[tokio::test]
async fn two_branches_merged_run_in_list_order_and_a_missing_one_is_refused() {
    let prod = TestDatabase::create("so_mp_branches").unwrap();
    let prod = engine(&prod).await;
    up_with::<BranchA>(&prod).await.unwrap();
    assert_eq!(
        up_with::<Merged>(&prod).await.unwrap(),
        ["m20250201_000001_team_motto"]
    );

    // A fresh database follows the list, not the names' dates: A, then B.
    let fresh = TestDatabase::create("so_mp_branches_fresh").unwrap();
    assert_eq!(
        up_with::<Merged>(&engine(&fresh).await).await.unwrap(),
        [
            REV1,
            REV2,
            REV3,
            "m20250301_000001_hero_power",
            "m20250201_000001_team_motto"
        ]
    );

    // Staging ran branch A; branch B's build (without A) is refused there.
    let staging = TestDatabase::create("so_mp_branches_staging").unwrap();
    let staging = engine(&staging).await;
    up_with::<BranchA>(&staging).await.unwrap();
    let err = up_with::<BranchB>(&staging).await.unwrap_err();
    assert!(
        err.contains("Migration file of version 'm20250301_000001_hero_power' is missing"),
        "{err}"
    );
    assert!(
        !holds(
            &staging,
            "EXISTS (SELECT FROM information_schema.columns WHERE column_name = 'motto')"
        )
        .await
    );
}

// ---- migrate plan ----------------------------------------------------------------------

#[test]
fn plan_prints_the_sql_the_schema_builder_renders_and_runs_nothing() {
    let db = TestDatabase::create("so_mp_plan").unwrap();
    let run = |args: &[&str]| {
        devdb::testing::stdout_of(
            devdb::testing::example_binary(env!("CARGO_BIN_EXE_seaorm-migrate"), db.name())
                .args(args),
        )
    };
    let plan = run(&["migrate", "plan"]);
    devdb::testing::assert_contains_all(
        &plan,
        &[
            &format!("-- {REV1} (in a transaction)\nBEGIN;\n"),
            "CREATE TABLE \"heroes\" (",
            &format!("-- {REV2} (in a transaction)"),
            "CREATE INDEX \"heroes_team_id_idx\" ON \"heroes\" (\"team_id\");\nCOMMIT;",
            &format!("-- {REV3} (in a transaction)"),
            "CREATE TYPE \"hero_rank\" AS ENUM ('rookie', 'veteran', 'legend')",
        ],
    );
    assert_eq!(
        run(&["migrate", "status"]),
        format!("pending  {REV1}\npending  {REV2}\npending  {REV3}\n")
    );
    run(&["migrate", "up"]);
    assert_eq!(
        run(&["migrate", "plan"]),
        "-- already at head: `migrate up` would run nothing\n"
    );
}
