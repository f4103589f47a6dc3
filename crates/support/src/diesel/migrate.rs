//! The Alembic verbs over any diesel [`MigrationSource`], under a migration
//! lock: sync-diesel passes a `PgConnection`, async-diesel diesel-async's
//! `AsyncConnectionWrapper`, and both the migrations they embed from the
//! workspace's `migrations/` (tests pass folders read at run time).
//!
//! Diesel records applied versions in `__diesel_schema_migrations` and runs
//! each migration in its own transaction (a folder whose `metadata.toml` says
//! `run_in_transaction = false` runs outside one, for `CREATE INDEX
//! CONCURRENTLY`). It takes no lock while it migrates: two deploys running
//! `up` at once both see the same pending list and the second fails. Every
//! verb here that writes runs inside [`locked`], which makes them take turns
//! (`without_a_lock_the_second_of_two_racing_deploys_fails_and_ours_waits_instead`
//! in both diesel crates' `tests/migrations_in_production.rs`).

use diesel::RunQueryDsl as _;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel_migrations::MigrationHarness;

/// The key of the session advisory lock [`locked`] holds: any number the
/// database's other users do not lock.
pub const LOCK_KEY: i64 = 0x6865_726f_6573_0001;

// `UP_SQL`: each folder's `up.sql` of the workspace's `migrations/`, for
// [`plan`] (see support's build.rs).
include!(concat!(env!("OUT_DIR"), "/migration_sql.rs"));

/// A migration source lent to diesel's harness, which takes sources by value
/// and is asked for them more than once here.
struct Lent<'a, S>(&'a S);

impl<S> Clone for Lent<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Lent<'_, S> {}

impl<S: MigrationSource<Pg>> MigrationSource<Pg> for Lent<'_, S> {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        self.0.migrations()
    }
}

/// A connection diesel can migrate and run SQL on: `PgConnection` in
/// sync-diesel, diesel-async's `AsyncConnectionWrapper` in async-diesel.
pub trait Migratable:
    MigrationHarness<Pg> + diesel::Connection<Backend = Pg> + diesel::connection::LoadConnection
{
}

impl<C> Migratable for C where
    C: MigrationHarness<Pg> + diesel::Connection<Backend = Pg> + diesel::connection::LoadConnection
{
}

/// Why a migration verb did not do what was asked.
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
    /// The version part diesel records, e.g. `20250101000001`.
    pub version: String,
    /// Whether it is applied in this database.
    pub applied: bool,
}

/// Runs `run` on `conn` while holding the session advisory lock
/// [`LOCK_KEY`], so two processes migrating one database take turns: the
/// second waits, then finds nothing pending. The lock is released when `run`
/// returns, or by the server if the connection dies. A session lock belongs
/// to one server connection: never run this through PgBouncer's transaction
/// mode (the book's Scaling chapter).
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

// ANCHOR: up
/// `alembic upgrade head`: every migration of `source` whose version is not
/// recorded, oldest first, each in a transaction of its own, under the
/// migration lock. Returns the names applied (empty when already at head).
pub fn up<S: MigrationSource<Pg>>(
    conn: &mut impl Migratable,
    source: &S,
) -> Result<Vec<String>, MigrationError> {
    locked(conn, |conn| {
        let pending = conn.pending_migrations(Lent(source)).map_err(failed)?;
        for migration in &pending {
            conn.run_migration(&**migration).map_err(failed)?;
        }
        Ok(pending.iter().map(|m| m.name().to_string()).collect())
    })
}
// ANCHOR_END: up

/// `alembic downgrade -N`: reverts the `steps` most recent migrations, newest
/// first, under the migration lock. Asking for more than are applied reverts
/// nothing.
pub fn down<S: MigrationSource<Pg>>(
    conn: &mut impl Migratable,
    source: &S,
    steps: usize,
) -> Result<Vec<String>, MigrationError> {
    locked(conn, |conn| revert(conn, source, steps))
}

fn revert<S: MigrationSource<Pg>>(
    harness: &mut impl MigrationHarness<Pg>,
    source: &S,
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
        let version = harness
            .revert_last_migration(Lent(source))
            .map_err(failed)?;
        reverted.push(name_of(source, &version.to_string()));
    }
    Ok(reverted)
}

/// `alembic downgrade -1` then `upgrade +1`: re-applies the latest migration,
/// which checks that its `down.sql` really undoes its `up.sql`. Under the
/// migration lock.
pub fn redo<S: MigrationSource<Pg>>(
    conn: &mut impl Migratable,
    source: &S,
) -> Result<String, MigrationError> {
    locked(conn, |conn| {
        let reverted = revert(conn, source, 1).map_err(|_| {
            MigrationError::Usage("nothing to redo: no migration is applied".to_owned())
        })?;
        let name = reverted.into_iter().next().unwrap_or_default();
        let migration = known(source)?
            .into_iter()
            .find(|m| m.name().to_string() == name)
            .ok_or_else(|| failed("the reverted migration is not in the migration source"))?;
        conn.run_migration(&*migration).map_err(failed)?;
        Ok(name)
    })
}

/// `alembic history`: every migration of `source`, oldest first, with its state.
pub fn history<S: MigrationSource<Pg>>(
    harness: &mut impl MigrationHarness<Pg>,
    source: &S,
) -> Result<Vec<Revision>, MigrationError> {
    let applied: Vec<String> = harness
        .applied_migrations()
        .map_err(failed)?
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(known(source)?
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

/// `alembic upgrade head --sql`: the pending migrations of `source` (every
/// one when `all`) and the SQL `up` would send for each, without running
/// anything. Nothing is written either: in a database diesel never migrated,
/// everything is pending (asking diesel would first create its
/// `__diesel_schema_migrations`). The SQL is the workspace's `migrations/`
/// folder as embedded by support's build script: diesel keeps an embedded
/// migration's SQL private.
pub fn plan<S: MigrationSource<Pg>>(
    conn: &mut impl Migratable,
    source: &S,
    all: bool,
) -> Result<Vec<crate::app::PlannedMigration>, MigrationError> {
    let migrated: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(conn)
    .map_err(failed)?;
    let pending = if migrated && !all {
        conn.pending_migrations(Lent(source)).map_err(failed)?
    } else {
        known(source)?
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
            Ok(crate::app::PlannedMigration {
                in_transaction: migration.metadata().run_in_transaction(),
                name,
                sql,
            })
        })
        .collect()
}

/// Every migration of `source`, oldest first.
pub fn known<S: MigrationSource<Pg>>(
    source: &S,
) -> Result<Vec<Box<dyn Migration<Pg>>>, MigrationError> {
    let mut all = source.migrations().map_err(failed)?;
    all.sort_by_key(|m| m.name().version().to_string());
    Ok(all)
}

/// The folder name of an applied version (falls back to the version itself).
fn name_of<S: MigrationSource<Pg>>(source: &S, version: &str) -> String {
    known(source)
        .ok()
        .and_then(|all| {
            all.iter()
                .find(|m| m.name().version().to_string() == version)
                .map(|m| m.name().to_string())
        })
        .unwrap_or_else(|| version.to_owned())
}
