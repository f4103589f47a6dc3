//! The Alembic verbs over sqlx's reversible migrations.
//!
//! `crates/sqlx-raw/migrations/` holds one `<version>_<name>.up.sql` and
//! `.down.sql` pair per revision (`sqlx migrate add -r <name>` makes them).
//! `sqlx::migrate!` embeds them at compile time; sqlx records applied
//! versions, with a checksum of each file, in `_sqlx_migrations`, and runs each
//! migration in its own transaction.

use sqlx::PgPool;
use sqlx::migrate::{Migrate, Migrator};

use crate::error::{Error, Result};

/// The migrations of `crates/sqlx-raw/migrations/`, embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// sqlx's bookkeeping table.
const TABLE: &str = "_sqlx_migrations";

/// One revision and whether it is applied (`alembic history`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The version, from the file name (e.g. 20250101000001).
    pub version: i64,
    /// The file name, e.g. `20250101000001_create_heroes`.
    pub name: String,
    /// Whether it is applied in this database.
    pub applied: bool,
}

/// `alembic history`: every embedded revision, oldest first, with its state.
pub async fn history(pool: &PgPool) -> Result<Vec<Revision>> {
    let mut conn = pool.acquire().await?;
    conn.ensure_migrations_table(TABLE).await?;
    let applied: Vec<i64> = conn
        .list_applied_migrations(TABLE)
        .await?
        .iter()
        .map(|m| m.version)
        .collect();
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| Revision {
            version: m.version,
            name: format!("{}_{}", m.version, m.description.replace(' ', "_")),
            applied: applied.contains(&m.version),
        })
        .collect())
}

/// `alembic upgrade head`: applies every pending revision. Returns the names
/// of those it applied (empty when already at head).
pub async fn up(pool: &PgPool) -> Result<Vec<String>> {
    let pending: Vec<String> = history(pool)
        .await?
        .into_iter()
        .filter(|r| !r.applied)
        .map(|r| r.name)
        .collect();
    MIGRATOR.run(pool).await?;
    Ok(pending)
}

/// `alembic downgrade -N`: reverts the `steps` most recent revisions, newest
/// first. Asking for more than are applied is refused and reverts nothing.
pub async fn down(pool: &PgPool, steps: usize) -> Result<Vec<String>> {
    let mut applied: Vec<Revision> = history(pool)
        .await?
        .into_iter()
        .filter(|r| r.applied)
        .collect();
    if steps > applied.len() {
        return Err(Error::Usage(format!(
            "cannot revert {steps} migration(s): only {} applied (see `migrate history`)",
            applied.len()
        )));
    }
    applied.reverse();
    // `undo` reverts every applied revision newer than the target version.
    let target = applied.get(steps).map_or(0, |r| r.version);
    MIGRATOR.undo(pool, target).await?;
    Ok(applied.into_iter().take(steps).map(|r| r.name).collect())
}
