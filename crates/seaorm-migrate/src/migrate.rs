//! The Alembic verbs over sea-orm-migration.
//!
//! | Alembic | here |
//! |---|---|
//! | `alembic upgrade head` / `upgrade +N` | [`up`](crate::migrate::up) (`None` / `Some(N)`) |
//! | `alembic downgrade -N` | [`down`](crate::migrate::down) |
//! | `alembic downgrade <rev>` / `base` | [`down_to`](crate::migrate::down_to) |
//! | `alembic history` / `current` | [`status`](crate::migrate::status) |
//! | (drop everything, re-apply) | [`fresh`](crate::migrate::fresh) |
//! | `downgrade base` + `upgrade head` | [`refresh`](crate::migrate::refresh) |
//! | `alembic downgrade base` | [`reset`](crate::migrate::reset) |
//! | `alembic revision -m NAME` | [`generate`](crate::migrate::generate) |
//! | `alembic upgrade head --sql` | [`plan`](crate::production::migrations::plan) |
//!
//! The migrations are Rust files in the `migration` crate
//! (`crates/seaorm-migrate/migration/`), listed in its `Migrator`. SeaORM
//! records applied migrations in `seaql_migrations` and, on PostgreSQL, runs
//! each one in a transaction (unless the migration's `use_transaction()`
//! says `Some(false)`, for `CREATE INDEX CONCURRENTLY`). It takes no lock, so
//! `up` and `down` here run under one (production::migrations).

use std::path::{Path, PathBuf};

use migration::Migrator;
use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationStatus, MigratorTrait};

use crate::error::{Error, Result};
use crate::production::migrations::locked;

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

// ANCHOR: up
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
// ANCHOR_END: up

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
