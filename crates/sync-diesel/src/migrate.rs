//! The Alembic verbs over this crate's `migrations/` folder (one folder per
//! revision, `up.sql` and `down.sql`, as `diesel migration generate` makes them).
//!
//! The SQL is compiled into the binary by `embed_migrations!`, so running it
//! needs no `diesel` CLI. Diesel records applied versions in
//! `__diesel_schema_migrations` and runs each migration in its own transaction
//! (a folder whose `metadata.toml` says `run_in_transaction = false` runs
//! outside one, for `CREATE INDEX CONCURRENTLY`).
//! Every function takes any [`MigrationHarness`](diesel_migrations::MigrationHarness): here a blocking
//! `PgConnection`; async-diesel compiles this same file into itself and passes
//! diesel-async's connection wrapper.
//!
//! Diesel takes no lock while it migrates: two deploys that run `up` at once
//! both see the same pending list and the second fails ("relation … already
//! exists"). `locked` (below) is this project's fix, an advisory lock around the run
//! (docs/MIGRATIONS.md, "Two deploys at once").

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The migrations of `crates/sync-diesel/migrations/`, embedded at compile
/// time. The path is relative to the compiling crate's folder, and spelled so
/// that it holds from async-diesel's folder too.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../sync-diesel/migrations");

// `UP_SQL`: each folder's `up.sql` once more, for `plan` (see build.rs).
include!(concat!(env!("OUT_DIR"), "/migration_sql.rs"));

/// The key of the PostgreSQL advisory lock [`locked`] holds: any number
/// the database's other users do not lock. A session lock, so the run must
/// stay on one connection, as a migration harness does.
pub const LOCK_KEY: i64 = 0x6865_726f_6573_0001;

/// A connection diesel can migrate and run SQL on: `PgConnection` here,
/// diesel-async's `AsyncConnectionWrapper` in async-diesel.
pub trait Migratable:
    MigrationHarness<Pg> + diesel::Connection<Backend = Pg> + diesel::connection::LoadConnection
{
}

impl<C> Migratable for C where
    C: MigrationHarness<Pg> + diesel::Connection<Backend = Pg> + diesel::connection::LoadConnection
{
}

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

/// Runs `run` on `conn` while holding the session advisory lock
/// [`LOCK_KEY`], so two processes migrating one database take turns: the
/// second waits, then finds nothing pending. The lock is released when `run`
/// returns, or by the server if the connection dies.
pub fn locked<C, T>(
    conn: &mut C,
    run: impl FnOnce(&mut C) -> Result<T, MigrationError>,
) -> Result<T, MigrationError>
where
    C: diesel::Connection<Backend = Pg>,
{
    conn.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .map_err(failed)?;
    let result = run(conn);
    let unlocked = conn
        .batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .map_err(failed);
    let value = result?;
    unlocked?;
    Ok(value)
}

/// `alembic upgrade head`: applies every pending migration, oldest first,
/// under the migration lock. Returns the names of those it applied (empty
/// when already at head).
pub fn up(conn: &mut impl Migratable) -> Result<Vec<String>, MigrationError> {
    up_from(conn, MIGRATIONS)
}

/// [`up`] from any migration source: the tests pass a folder read at run
/// time (`FileBasedMigrations`) holding extra migrations. Diesel's pending
/// list is every migration whose version is not recorded, sorted by version,
/// whatever order they were applied in elsewhere; a version recorded but
/// missing from `source` is ignored.
pub fn up_from<S: MigrationSource<Pg>>(
    conn: &mut impl Migratable,
    source: S,
) -> Result<Vec<String>, MigrationError> {
    locked(conn, |conn| {
        let pending = conn.pending_migrations(source).map_err(failed)?;
        let mut applied = Vec::with_capacity(pending.len());
        for migration in &pending {
            conn.run_migration(&**migration).map_err(failed)?;
            applied.push(migration.name().to_string());
        }
        Ok(applied)
    })
}

/// `alembic upgrade head --sql`: the pending migrations (every migration
/// when `all`) and the SQL `up` would send for each, without running
/// anything. Nothing is written either: in a database diesel never migrated,
/// everything is pending (asking diesel would first create its
/// `__diesel_schema_migrations`).
pub fn plan(
    conn: &mut impl Migratable,
    all: bool,
) -> Result<Vec<support::app::PlannedMigration>, MigrationError> {
    use diesel::RunQueryDsl;
    let migrated: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(conn)
    .map_err(failed)?;
    let pending = if migrated && !all {
        conn.pending_migrations(MIGRATIONS).map_err(failed)?
    } else {
        known()?
    };
    pending
        .iter()
        .map(|migration| {
            let name = migration.name().to_string();
            let sql = UP_SQL
                .iter()
                .find(|(folder, _)| *folder == name)
                .map(|(_, sql)| (*sql).to_owned())
                .ok_or_else(|| failed(format!("no up.sql embedded for {name}")))?;
            Ok(support::app::PlannedMigration {
                in_transaction: migration.metadata().run_in_transaction(),
                name,
                sql,
            })
        })
        .collect()
}

/// `alembic downgrade -N`: reverts the `steps` most recent migrations, newest
/// first, under the migration lock. Asking for more than are applied reverts
/// nothing.
pub fn down(conn: &mut impl Migratable, steps: usize) -> Result<Vec<String>, MigrationError> {
    locked(conn, |conn| revert(conn, steps))
}

fn revert(
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
/// which checks that its `down.sql` really undoes its `up.sql`. Under the
/// migration lock.
pub fn redo(conn: &mut impl Migratable) -> Result<String, MigrationError> {
    locked(conn, |conn| {
        let reverted = revert(conn, 1).map_err(|_| {
            MigrationError::Usage("nothing to redo: no migration is applied".to_owned())
        })?;
        let name = reverted.into_iter().next().unwrap_or_default();
        let migration = known()?
            .into_iter()
            .find(|m| m.name().to_string() == name)
            .ok_or_else(|| failed("the reverted migration is no longer embedded"))?;
        conn.run_migration(&*migration).map_err(failed)?;
        Ok(name)
    })
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
    fn every_embedded_migration_has_its_sql_for_plan() {
        let names: Vec<String> = known()
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let with_sql: Vec<&str> = UP_SQL.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, with_sql);
        assert!(UP_SQL[0].1.contains("CREATE TABLE heroes"));
    }

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
