//! The Alembic verbs over this crate's `migrations/` folder (one folder per
//! revision, `up.sql` and `down.sql`, as `diesel migration generate` makes them).
//!
//! The SQL is compiled into the binary by `embed_migrations!`, so running it
//! needs no `diesel` CLI. Diesel records applied versions in
//! `__diesel_schema_migrations` and runs each migration in its own transaction.
//! Every function takes any [`MigrationHarness`](diesel_migrations::MigrationHarness): here a blocking
//! `PgConnection`; async-diesel compiles this same file into itself and passes
//! diesel-async's `AsyncMigrationHarness`.

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The migrations of `crates/sync-diesel/migrations/`, embedded at compile
/// time. The path is relative to the compiling crate's folder, and spelled so
/// that it holds from async-diesel's folder too.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../sync-diesel/migrations");

/// Why a migration command did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The request cannot be carried out (e.g. more steps than are applied);
    /// nothing was changed.
    #[error("{0}")]
    Usage(String),
    /// A migration failed; its own transaction was rolled back.
    #[error("migration failed: {0}")]
    Failed(String),
}

fn failed(err: impl std::fmt::Display) -> MigrationError {
    MigrationError::Failed(err.to_string())
}

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

/// `alembic upgrade head`: applies every pending migration, oldest first.
/// Returns the names of those it applied (empty when already at head).
pub fn up(harness: &mut impl MigrationHarness<Pg>) -> Result<Vec<String>, MigrationError> {
    let applied = harness.run_pending_migrations(MIGRATIONS).map_err(failed)?;
    Ok(applied.iter().map(|v| name_of(&v.to_string())).collect())
}

/// `alembic downgrade -N`: reverts the `steps` most recent migrations, newest
/// first. Asking for more than are applied reverts nothing.
pub fn down(
    harness: &mut impl MigrationHarness<Pg>,
    steps: usize,
) -> Result<Vec<String>, MigrationError> {
    let applied = harness.applied_migrations().map_err(failed)?.len();
    if steps > applied {
        return Err(MigrationError::Usage(format!(
            "cannot revert {steps} migration(s): only {applied} applied (see `migrate history`)"
        )));
    }
    let mut reverted = Vec::with_capacity(steps);
    for _ in 0..steps {
        let version = harness.revert_last_migration(MIGRATIONS).map_err(failed)?;
        reverted.push(name_of(&version.to_string()));
    }
    Ok(reverted)
}

/// `alembic downgrade -1` then `upgrade +1`: re-applies the latest migration,
/// which checks that its `down.sql` really undoes its `up.sql`.
pub fn redo(harness: &mut impl MigrationHarness<Pg>) -> Result<String, MigrationError> {
    let reverted = down(harness, 1).map_err(|_| {
        MigrationError::Usage("nothing to redo: no migration is applied".to_owned())
    })?;
    let name = reverted.into_iter().next().unwrap_or_default();
    let migration = known()?
        .into_iter()
        .find(|m| m.name().to_string() == name)
        .ok_or_else(|| failed("the reverted migration is no longer embedded"))?;
    harness.run_migration(&*migration).map_err(failed)?;
    Ok(name)
}

/// `alembic history`: every embedded migration, oldest first, with its state.
pub fn history(harness: &mut impl MigrationHarness<Pg>) -> Result<Vec<Revision>, MigrationError> {
    let applied: Vec<String> = harness
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

fn known() -> Result<Vec<Box<dyn Migration<Pg>>>, MigrationError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_revisions_are_embedded_in_order() {
        let names: Vec<String> = known()
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "2025-01-01-000001_create_heroes",
                "2025-01-01-000002_teams_and_hero_team"
            ]
        );
    }
}
