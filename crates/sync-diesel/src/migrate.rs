//! The Alembic verbs over Diesel's embedded migrations.
//!
//! The SQL lives in the workspace's `migrations/` folder (shared with
//! async-diesel) and is compiled into the binary by `embed_migrations!`, so
//! running it needs no `diesel` CLI. Diesel records applied versions in
//! `__diesel_schema_migrations` and runs each migration in its own transaction.

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::{Pg, PgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{Error, Result};

/// The migrations of `migrations/`, embedded at compile time.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// One migration and whether it is applied (`alembic history`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The folder name, e.g. `2025-01-01-000001_create_heroes`.
    pub name: String,
    /// The version part Diesel records, e.g. `20250101000001`.
    pub version: String,
    /// Whether it is applied in this database.
    pub applied: bool,
}

fn failed(err: impl std::fmt::Display) -> Error {
    Error::Migration(err.to_string())
}

/// `alembic upgrade head`: applies every pending migration, oldest first.
/// Returns the names of those it applied (empty when already at head).
pub fn up(conn: &mut PgConnection) -> Result<Vec<String>> {
    let applied = conn.run_pending_migrations(MIGRATIONS).map_err(failed)?;
    Ok(applied.iter().map(|v| name_of(&v.to_string())).collect())
}

/// `alembic downgrade -N`: reverts the `steps` most recent migrations, newest
/// first. Asking for more than are applied is a usage error and reverts nothing.
pub fn down(conn: &mut PgConnection, steps: usize) -> Result<Vec<String>> {
    let applied = conn.applied_migrations().map_err(failed)?.len();
    if steps > applied {
        return Err(Error::Usage(format!(
            "cannot revert {steps} migration(s): only {applied} applied (see `migrate history`)"
        )));
    }
    let mut reverted = Vec::with_capacity(steps);
    for _ in 0..steps {
        let version = conn.revert_last_migration(MIGRATIONS).map_err(failed)?;
        reverted.push(name_of(&version.to_string()));
    }
    Ok(reverted)
}

/// `alembic downgrade -1` then `upgrade +1`: re-applies the latest migration,
/// which checks that its `down.sql` really undoes its `up.sql`.
pub fn redo(conn: &mut PgConnection) -> Result<String> {
    let reverted = down(conn, 1)
        .map_err(|_| Error::Usage("nothing to redo: no migration is applied".to_owned()))?;
    let migration = known()?
        .into_iter()
        .find(|m| m.name().to_string() == reverted[0])
        .ok_or_else(|| failed("the reverted migration is no longer embedded"))?;
    conn.run_migration(&migration).map_err(failed)?;
    Ok(reverted[0].clone())
}

/// `alembic history`: every embedded migration, oldest first, with its state.
pub fn history(conn: &mut PgConnection) -> Result<Vec<Revision>> {
    let applied: Vec<String> = conn
        .applied_migrations()
        .map_err(failed)?
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(known()?
        .iter()
        .map(|m| {
            let version = m.name().version().to_string();
            Revision {
                name: m.name().to_string(),
                applied: applied.contains(&version),
                version,
            }
        })
        .collect())
}

fn known() -> Result<Vec<Box<dyn Migration<Pg>>>> {
    let mut all = MigrationSource::<Pg>::migrations(&MIGRATIONS).map_err(failed)?;
    all.sort_by_key(|m| m.name().version().to_string());
    Ok(all)
}

/// The folder name of an applied version (falls back to the version itself).
fn name_of(version: &str) -> String {
    known()
        .ok()
        .and_then(|all| {
            all.iter()
                .find(|m| m.name().version().to_string() == version)
                .map(|m| m.name().to_string())
        })
        .unwrap_or_else(|| version.to_owned())
}
