//! Migrations where production hurts, for sqlx's migrator (book/src/migrations-in-production.md):
//! two deploys at once, a migration that fails halfway, one that cannot run
//! in a transaction, an applied migration edited afterwards, and two branches
//! that each added a migration after the same parent. Each test has a
//! database of its own, never migrated before it starts.
//!
//! Extra migrations live in a scratch copy of `migrations/` that sqlx reads
//! at run time (`Migrator::new(path)`); `migrate::up_with` is the crate's
//! own `up` over such a migrator.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use devdb::TestDatabase;
use devdb::testing::{ScratchMigrations, TableHold};
use sqlx::PgPool;
use sqlx::migrate::{Migrate, Migrator};
use sqlx_raw::db::{self, Settings};
use sqlx_raw::migrate;

const REV1: &str = "20250101000001_create_heroes";
const REV2: &str = "20250101000002_teams_and_hero_team";
const REV3: &str = "20250101000003_hero_types";

async fn pool(db: &TestDatabase) -> PgPool {
    db::pool(db.url(), &Settings::default()).await.unwrap()
}

/// The project's migrations plus `extra` (`<version>_<name>`, up SQL), each
/// with a down file that does nothing.
fn folder(label: &str, extra: &[(&str, &str)]) -> ScratchMigrations {
    let scratch = ScratchMigrations::copy_of(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
        label,
    );
    for (name, up) in extra {
        scratch
            .write(&format!("{name}.up.sql"), up)
            .write(&format!("{name}.down.sql"), "SELECT 1;");
    }
    scratch
}

async fn up_with(pool: &PgPool, folder: &ScratchMigrations) -> Result<Vec<String>, String> {
    let migrator = Migrator::new(folder.path()).await.unwrap();
    migrate::up_with(pool, &migrator)
        .await
        .map_err(|e| e.to_string())
}

/// The versions sqlx recorded, in the order they were applied.
async fn recorded(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY installed_on, version")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn holds(pool: &PgPool, condition: &str) -> bool {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT ({condition})")))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn exists(pool: &PgPool, relation: &str) -> bool {
    holds(pool, &format!("to_regclass('{relation}') IS NOT NULL")).await
}

// ---- 1. Two deploys at once --------------------------------------------------

#[test]
fn four_deploys_at_once_apply_each_migration_once_and_all_succeed() {
    let db = TestDatabase::create("sx_mp_deploys").unwrap();
    assert_eq!(
        devdb::testing::migrate_up_at_once(env!("CARGO_BIN_EXE_sqlx-raw"), db.name(), 4),
        [REV1, REV2, REV3]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_racing_deploys_take_turns_on_the_migrators_own_lock() {
    // sqlx's migrator alone (what `sqlx migrate run` and `migrate!().run()`
    // do), stopped deterministically: a session holds sqlx's version table
    // so the first run waits at its first bookkeeping insert, its
    // `CREATE TABLE heroes` done but not committed; the second is started
    // and comes to wait too; then both go on.
    let db = TestDatabase::create("sx_mp_race_lib").unwrap();
    let pool = pool(&db).await;
    pool.acquire()
        .await
        .unwrap()
        .ensure_migrations_table("_sqlx_migrations")
        .await
        .unwrap();
    let mut hold = tokio::task::block_in_place(|| TableHold::lock(db.url(), "_sqlx_migrations"));
    let start = |pool: PgPool| {
        tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            migrate::MIGRATOR
                .run_direct(None, &mut *conn, false)
                .await
                .map_err(|e| e.to_string())
        })
    };
    let first = start(pool.clone());
    tokio::task::block_in_place(|| hold.wait_for_waiters(1));
    let second = start(pool.clone());
    // The second waits for sqlx's advisory lock, not for a table.
    tokio::task::block_in_place(|| {
        hold.wait_for_waiters(2);
        hold.release();
    });
    assert_eq!(first.await.unwrap(), Ok(()));
    assert_eq!(second.await.unwrap(), Ok(()));
    assert_eq!(
        recorded(&pool).await,
        [20250101000001, 20250101000002, 20250101000003]
    );
}

// ---- 2. A migration that fails halfway -----------------------------------------

#[tokio::test]
async fn a_migration_that_fails_halfway_leaves_nothing_and_the_error_names_it() {
    let db = TestDatabase::create("sx_mp_halfway").unwrap();
    let pool = pool(&db).await;
    let migrations = folder(
        "sx-halfway",
        &[(
            "20250102000003_half_done",
            "CREATE TABLE half_done (id INTEGER);\nINSERT INTO half_done VALUES (1);\nSELECT 1 / 0;\n",
        )],
    );
    let err = up_with(&pool, &migrations).await.unwrap_err();
    // sqlx names the version only.
    assert!(
        err.contains("while executing migration 20250102000003"),
        "{err}"
    );
    assert!(err.contains("division by zero"), "{err}");
    assert!(!exists(&pool, "half_done").await);
    assert_eq!(
        recorded(&pool).await,
        [20250101000001, 20250101000002, 20250101000003]
    );
    assert!(exists(&pool, "teams").await);
    // sqlx's migrator returns before releasing its advisory lock when a
    // migration fails; this crate runs it on a connection it then closes, so
    // no lock is left and the next run on the same pool is not stuck behind it.
    assert!(holds(&pool, "NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))").await);
    let again = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        up_with(&pool, &migrations),
    )
    .await
    .expect("a second run after a failed one waited 30 s for a lock");
    assert!(again.unwrap_err().contains("division by zero"));
}

// ---- 3. A migration that cannot run in a transaction -----------------------------

#[tokio::test]
async fn create_index_concurrently_runs_when_the_file_says_no_transaction() {
    let db = TestDatabase::create("sx_mp_concurrently").unwrap();
    let pool = pool(&db).await;
    let name = "20250102000003_heroes_age_index";
    let index = "CREATE INDEX CONCURRENTLY heroes_age_idx ON heroes (age);\n";
    let migrations = folder("sx-concurrently", &[(name, index)]);
    let err = up_with(&pool, &migrations).await.unwrap_err();
    assert!(
        err.contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{err}"
    );
    assert!(!exists(&pool, "heroes_age_idx").await);

    // sqlx's directive is the file's first line (a failed attempt is not
    // recorded, so its checksum does not matter). The file still goes to the
    // server as one query string, which PostgreSQL runs as one implicit
    // transaction when it holds several statements: a `SET lock_timeout`
    // before the index brings the same refusal back.
    migrations.write(
        &format!("{name}.up.sql"),
        &format!("-- no-transaction\nSET lock_timeout = '5s';\n{index}"),
    );
    let err = up_with(&pool, &migrations).await.unwrap_err();
    assert!(
        err.contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{err}"
    );
    migrations.write(
        &format!("{name}.up.sql"),
        &format!("-- no-transaction\n{index}"),
    );
    assert_eq!(up_with(&pool, &migrations).await.unwrap(), [name]);
    assert!(
        holds(
            &pool,
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'heroes_age_idx'::regclass"
        )
        .await
    );
}

// ---- 4. An applied migration edited afterwards ------------------------------------

#[tokio::test]
async fn an_applied_migration_edited_afterwards_is_refused_by_its_checksum() {
    let db = TestDatabase::create("sx_mp_edited").unwrap();
    let pool = pool(&db).await;
    let name = "20250102000003_nickname";
    let migrations = folder(
        "sx-edited",
        &[(name, "ALTER TABLE heroes ADD COLUMN nickname TEXT;\n")],
    );
    assert_eq!(up_with(&pool, &migrations).await.unwrap().len(), 4);
    migrations.write(
        &format!("{name}.up.sql"),
        "ALTER TABLE heroes ADD COLUMN nickname VARCHAR(40);\n",
    );
    let err = up_with(&pool, &migrations).await.unwrap_err();
    assert!(
        err.contains("migration 20250102000003 was previously applied but has been modified"),
        "{err}"
    );
    assert!(
        holds(
            &pool,
            "SELECT data_type = 'text' FROM information_schema.columns \
             WHERE table_name = 'heroes' AND column_name = 'nickname'"
        )
        .await
    );
}

// ---- 5. Two branches, each with a migration after the same parent ------------------

const BRANCH_A: (&str, &str) = (
    "20250301000001_hero_power",
    "ALTER TABLE heroes ADD COLUMN power TEXT;\n",
);
/// Written before branch A's (an older version), merged after it.
const BRANCH_B: (&str, &str) = (
    "20250201000001_team_motto",
    "ALTER TABLE teams ADD COLUMN motto TEXT;\n",
);

#[tokio::test]
async fn two_branches_merged_run_out_of_order_and_a_missing_one_is_refused() {
    let prod = TestDatabase::create("sx_mp_branches").unwrap();
    let prod = pool(&prod).await;
    up_with(&prod, &folder("sx-branch-a", &[BRANCH_A]))
        .await
        .unwrap();
    let merged = folder("sx-merged", &[BRANCH_A, BRANCH_B]);
    // sqlx applies B, older than A, without a word.
    assert_eq!(up_with(&prod, &merged).await.unwrap(), [BRANCH_B.0]);
    assert_eq!(recorded(&prod).await[3..], [20250301000001, 20250201000001]);

    let fresh = TestDatabase::create("sx_mp_branches_fresh").unwrap();
    assert_eq!(
        up_with(&pool(&fresh).await, &merged).await.unwrap(),
        [REV1, REV2, REV3, BRANCH_B.0, BRANCH_A.0]
    );

    // Staging ran branch A; branch B's build (without A) is refused there.
    let staging = TestDatabase::create("sx_mp_branches_staging").unwrap();
    let staging = pool(&staging).await;
    up_with(&staging, &folder("sx-staging-a", &[BRANCH_A]))
        .await
        .unwrap();
    let err = up_with(&staging, &folder("sx-staging-b", &[BRANCH_B]))
        .await
        .unwrap_err();
    assert!(
        err.contains(
            "migration 20250301000001 was previously applied but is missing in the resolved migrations"
        ),
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
fn plan_prints_the_pending_sql_and_runs_nothing() {
    let db = TestDatabase::create("sx_mp_plan").unwrap();
    let run = |args: &[&str]| {
        devdb::testing::stdout_of(
            devdb::testing::example_binary(env!("CARGO_BIN_EXE_sqlx-raw"), db.name()).args(args),
        )
    };
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
    assert_eq!(
        run(&["migrate", "history"]),
        format!("pending  {REV1}\npending  {REV2}\npending  {REV3}\n")
    );
    run(&["migrate", "up"]);
    assert_eq!(
        run(&["migrate", "plan"]),
        "-- already at head: `migrate up` would run nothing\n"
    );
}

/// The backend holding an advisory lock in this database right now, if any
/// (the test's own database: only its migrator locks there).
async fn lock_holder(direct: &mut sqlx::PgConnection) -> Option<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_optional(direct)
    .await
    .unwrap()
}

/// What sqlx's migrator lock does through PgBouncer's transaction mode
/// (book/src/scaling.md). `lock()` runs on whichever server connection PgBouncer
/// gives it; once another client's transaction is on that one, the
/// migrator's `unlock()` is given another: it returns Ok, and the lock stays
/// held by a backend its client no longer talks to, so every later migrator
/// waits for it (sqlx's `run` would have gone on migrating meanwhile,
/// unprotected). Hence migrations on a direct connection.
#[tokio::test(flavor = "multi_thread")]
async fn through_transaction_mode_the_migrators_unlock_misses_its_lock() {
    use sqlx::{ConnectOptions as _, Connection as _};
    let db = TestDatabase::create("sx_lock_pgbouncer").unwrap();
    let devdb = devdb::DevDb::from_env().unwrap();
    let through: sqlx::postgres::PgConnectOptions = devdb
        .pooler_url(db.name(), devdb::scale::PoolMode::Transaction)
        .unwrap()
        .parse()
        .unwrap();
    // No statement cache: the statements themselves then go through (see
    // the table in book/src/scaling.md); only the lock is left to show.
    let through = through.statement_cache_capacity(0);
    let mut direct = sqlx::PgConnection::connect(db.url()).await.unwrap();

    let mut migrator = through.connect().await.unwrap();
    migrator.lock().await.unwrap();
    let holder = lock_holder(&mut direct)
        .await
        .expect("lock() took no advisory lock");

    // Other clients' transactions through the same PgBouncer, until one is
    // on the lock holder's server connection (PgBouncer hands out the most
    // recently used one first, so usually the first).
    let mut occupiers = Vec::new();
    loop {
        assert!(occupiers.len() < 8, "no client reached backend {holder}");
        let mut client = through.connect().await.unwrap();
        // The simple query protocol: a prepared statement here could
        // collide with the migrator's, which sqlx leaves on that backend.
        sqlx::raw_sql("BEGIN").execute(&mut client).await.unwrap();
        let pid: i32 = sqlx::Row::get(
            &sqlx::raw_sql("SELECT pg_backend_pid()")
                .fetch_one(&mut client)
                .await
                .unwrap(),
            0,
        );
        occupiers.push(client);
        if pid == holder {
            break;
        }
    }

    migrator.unlock().await.unwrap();
    assert_eq!(
        lock_holder(&mut direct).await,
        Some(holder),
        "unlock() returned Ok, and the lock is still held by backend {holder}"
    );

    // The operator's way out: end that backend.
    drop(occupiers);
    drop(migrator);
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(holder)
        .execute(&mut direct)
        .await
        .unwrap();
}
