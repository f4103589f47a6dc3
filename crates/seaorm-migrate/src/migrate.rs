//! The Alembic verbs over sea-orm-migration.
//!
//! | Alembic | here |
//! |---|---|
//! | `alembic upgrade head` | [`up`](crate::migrate::up) (`None`), `upgrade +N`: [`up`](crate::migrate::up) (`Some(N)`) |
//! | `alembic downgrade -N` | [`down`](crate::migrate::down) |
//! | `alembic downgrade <rev>` / `base` | [`down_to`](crate::migrate::down_to) |
//! | `alembic history` / `current` | [`status`](crate::migrate::status) |
//! | (drop everything, re-apply) | [`fresh`](crate::migrate::fresh) |
//! | `downgrade base` + `upgrade head` | [`refresh`](crate::migrate::refresh) |
//! | `alembic downgrade base` | [`reset`](crate::migrate::reset) |
//! | `alembic revision -m NAME` | [`generate`](crate::migrate::generate) |
//!
//! | `alembic upgrade head --sql` | [`plan`](crate::migrate::plan) |
//!
//! SeaORM records applied migrations in `seaql_migrations` and, on
//! PostgreSQL, runs each one in a transaction (unless the migration's
//! `use_transaction()` says `Some(false)`, for `CREATE INDEX CONCURRENTLY`).
//! It takes no lock: two deploys running `up` at once both apply the same
//! migration and the second fails, so [`up`](crate::migrate::up) and [`down`](crate::migrate::down) here hold an
//! advisory lock on a connection of their own (docs/MIGRATIONS.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use migration::Migrator;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, MockDatabase, MockExecResult,
    RuntimeErr, SqlxPostgresConnector,
};
use sea_orm_migration::{MigrationStatus, MigratorTrait, SchemaManager};
use sqlx::postgres::PgPoolOptions;

use crate::error::{Error, Result};

/// The key of the PostgreSQL advisory lock [`up`] and [`down`] hold while
/// they migrate: any number the database's other users do not lock.
pub const LOCK_KEY: i64 = 0x6865_726f_6573_0002;

/// Runs `run` on a one-connection engine of its own (the same URL and
/// options as `db`) while that connection holds the session advisory lock
/// [`LOCK_KEY`]: two processes migrating one database take turns. A
/// one-connection pool because `db`'s pool may hand each statement to a
/// different connection, and a session lock belongs to one.
async fn locked<T>(
    db: &DatabaseConnection,
    run: impl AsyncFnOnce(&DatabaseConnection) -> Result<T>,
) -> Result<T> {
    let options = db.get_postgres_connection_pool().connect_options();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .map_err(|e| Error::Database(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))))?;
    let single = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    single
        .execute_unprepared(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .await?;
    let result = run(&single).await;
    let unlocked = single
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .await;
    // Closing also ends the session, which would release the lock anyway.
    let _ = single.close().await;
    let value = result?;
    unlocked?;
    Ok(value)
}

/// One migration and whether it is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The migration's name, e.g. `m20250101_000001_create_heroes`.
    pub name: String,
    /// Whether it is applied in this database.
    pub applied: bool,
}

/// `alembic history`: every migration, oldest first, with its state.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<Revision>> {
    status_of::<Migrator>(db).await
}

/// [`status`] for any migrator (the tests use ones with extra migrations).
pub async fn status_of<M: MigratorTrait>(db: &DatabaseConnection) -> Result<Vec<Revision>> {
    Ok(M::get_migration_with_status(db)
        .await?
        .iter()
        .map(|m| Revision {
            name: m.name().to_owned(),
            applied: m.status() == MigrationStatus::Applied,
        })
        .collect())
}

fn names(revisions: &[Revision], applied: bool) -> Vec<String> {
    revisions
        .iter()
        .filter(|r| r.applied == applied)
        .map(|r| r.name.clone())
        .collect()
}

/// `alembic upgrade head` (`steps` = `None`) or `upgrade +N`, under the
/// migration lock: returns the names applied, oldest first.
pub async fn up(db: &DatabaseConnection, steps: Option<u32>) -> Result<Vec<String>> {
    up_with::<Migrator>(db, steps).await
}

/// [`up`] for any migrator. SeaORM's error for a failed migration is the
/// statement's alone, so this applies one migration at a time and names the
/// one that failed ([`Error::Migration`]).
pub async fn up_with<M: MigratorTrait>(
    db: &DatabaseConnection,
    steps: Option<u32>,
) -> Result<Vec<String>> {
    locked(db, async |db| {
        let pending = names(&status_of::<M>(db).await?, false);
        let take = steps.map_or(pending.len(), |n| n as usize);
        let mut applied = Vec::new();
        for name in pending.into_iter().take(take) {
            M::up(db, Some(1))
                .await
                .map_err(|source| Error::Migration {
                    name: name.clone(),
                    source,
                })?;
            applied.push(name);
        }
        Ok(applied)
    })
    .await
}

/// `alembic upgrade head --sql`: the pending migrations and the SQL `up`
/// would send for each, without running anything. The migrations are Rust
/// code, so each one's `up` runs against SeaORM's mock connection, which
/// records the statements the schema builder renders instead of sending them.
/// A migration that reads the database while it runs cannot be planned.
/// `all`: every migration, applied or not (the CI lint renders them all).
pub async fn plan(
    db: &DatabaseConnection,
    all: bool,
) -> Result<Vec<support::app::PlannedMigration>> {
    plan_of::<Migrator>(db, all).await
}

/// [`plan`] for any migrator.
pub async fn plan_of<M: MigratorTrait>(
    db: &DatabaseConnection,
    all: bool,
) -> Result<Vec<support::app::PlannedMigration>> {
    let pending: Vec<String> = if all {
        M::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    } else {
        M::get_pending_migrations_read_only(db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    };
    let mut plan = Vec::new();
    for migration in M::migrations() {
        let name = migration.name().to_owned();
        if !pending.contains(&name) {
            continue;
        }
        let mock = MockDatabase::new(DbBackend::Postgres)
            .append_exec_results((0..256).map(|_| MockExecResult::default()))
            .into_connection();
        migration
            .up(&SchemaManager::new(&mock))
            .await
            .map_err(|source| Error::Migration {
                name: name.clone(),
                source,
            })?;
        let sql: Vec<String> = mock
            .into_transaction_log()
            .iter()
            .flat_map(|t| t.statements().iter().map(|s| format!("{};", s.sql)))
            .collect();
        plan.push(support::app::PlannedMigration {
            in_transaction: migration.use_transaction().unwrap_or(true),
            name,
            sql: sql.join("\n"),
        });
    }
    Ok(plan)
}

/// `alembic downgrade -N`: reverts the `steps` latest migrations, newest
/// first. Asking for more than are applied is refused and reverts nothing.
/// Under the migration lock.
pub async fn down(db: &DatabaseConnection, steps: u32) -> Result<Vec<String>> {
    locked(db, async |db| {
        let applied = names(&status(db).await?, true);
        if steps as usize > applied.len() {
            return Err(Error::Usage(format!(
                "cannot revert {steps} migration(s): only {} applied (see `migrate status`)",
                applied.len()
            )));
        }
        Migrator::down(db, Some(steps)).await?;
        Ok(applied.into_iter().rev().take(steps as usize).collect())
    })
    .await
}

/// `alembic downgrade <rev>`: reverts every migration applied after
/// `revision`, which stays applied. `base` reverts them all.
pub async fn down_to(db: &DatabaseConnection, revision: &str) -> Result<Vec<String>> {
    let applied = names(&status(db).await?, true);
    let keep = if revision == "base" {
        0
    } else {
        applied
            .iter()
            .position(|n| n == revision)
            .map(|i| i + 1)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "'{revision}' is not an applied migration; `migrate status` lists them (or use `base`)"
                ))
            })?
    };
    let steps = u32::try_from(applied.len() - keep).unwrap_or(u32::MAX);
    if steps == 0 {
        return Ok(Vec::new());
    }
    down(db, steps).await
}

/// Drops every table in the database, then applies all migrations.
pub async fn fresh(db: &DatabaseConnection) -> Result<Vec<String>> {
    Migrator::fresh(db).await?;
    Ok(names(&status(db).await?, true))
}

/// Reverts every applied migration, then applies them all again.
pub async fn refresh(db: &DatabaseConnection) -> Result<Vec<String>> {
    Migrator::refresh(db).await?;
    Ok(names(&status(db).await?, true))
}

/// `alembic downgrade base`: reverts every applied migration.
pub async fn reset(db: &DatabaseConnection) -> Result<Vec<String>> {
    let applied = names(&status(db).await?, true);
    Migrator::reset(db).await?;
    Ok(applied.into_iter().rev().collect())
}

/// Where `generate` writes when no folder is given: the migration crate seen
/// from the current directory, at the workspace root
/// (`crates/seaorm-migrate/migration`) or in this crate's folder (`migration`).
/// Looked up when the command runs, never where the binary was built.
pub fn migration_dir() -> Result<PathBuf> {
    ["crates/seaorm-migrate/migration", "migration"]
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("src/lib.rs").is_file())
        .ok_or_else(|| {
            Error::Usage(
                "no SeaORM migration crate here: run from the workspace root, or pass --migration-dir"
                    .to_owned(),
            )
        })
}

/// `alembic revision -m NAME`: writes `m<UTC date>_<time>_<name>.rs` into
/// `<dir>/src` from SeaORM's template and registers it in `<dir>/src/lib.rs`.
/// Returns the new file. Fill in its `up` and `down` before running `up`.
pub fn generate(dir: &Path, name: &str) -> Result<PathBuf> {
    let src = dir.join("src");
    let lib = src.join("lib.rs");
    if !lib.is_file() {
        return Err(Error::Usage(format!(
            "{} has no src/lib.rs: point --migration-dir at a SeaORM migration crate",
            dir.display()
        )));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Usage(format!(
            "'{name}' is not a usable migration name: use letters, digits and _"
        )));
    }
    let before: Vec<PathBuf> = list_rs(&src)?;
    let dir_text = dir
        .to_str()
        .ok_or_else(|| Error::Usage(format!("{} is not valid UTF-8", dir.display())))?;
    sea_orm_cli::run_migrate_generate(dir_text, name, true)
        .map_err(|e| Error::Generate(e.to_string()))?;
    list_rs(&src)?
        .into_iter()
        .find(|p| !before.contains(p))
        .ok_or_else(|| Error::Generate("no new file appeared".to_owned()))
}

fn list_rs(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Generate(format!("cannot read {}: {e}", dir.display())))?;
    Ok(entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect())
}
