//! The Alembic verbs over sqlx's reversible migrations.
//!
//! `crates/sqlx-raw/migrations/` holds one `<version>_<name>.up.sql` and
//! `.down.sql` pair per revision (`sqlx migrate add -r <name>` makes them).
//! `sqlx::migrate!` embeds them at compile time; sqlx records applied
//! versions, with a checksum of each file, in `_sqlx_migrations`, and runs each
//! migration in its own transaction.

use sqlx::migrate::{Migrate, Migrator};
use sqlx::{Connection, PgConnection, PgPool};

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

/// The versions applied in this database, read without writing: a database
/// sqlx has never migrated has no `_sqlx_migrations` yet, and reading its
/// history must not create one.
async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(TABLE)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(conn
        .list_applied_migrations(TABLE)
        .await?
        .iter()
        .map(|m| m.version)
        .collect())
}

/// Every revision of `migrator`, oldest first, marked applied when in `applied`.
fn revisions(migrator: &Migrator, applied: &[i64]) -> Vec<Revision> {
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| Revision {
            version: m.version,
            name: format!("{}_{}", m.version, m.description.replace(' ', "_")),
            applied: applied.contains(&m.version),
        })
        .collect()
}

/// `alembic history`: every embedded revision, oldest first, with its state.
pub async fn history(pool: &PgPool) -> Result<Vec<Revision>> {
    let mut conn = pool.acquire().await?;
    Ok(revisions(&MIGRATOR, &applied_versions(&mut conn).await?))
}

/// `alembic upgrade head`: applies every pending revision. Returns the names
/// of those this call applied (empty when already at head), even when other
/// processes migrate the same database at the same time: sqlx's advisory lock
/// is taken first and held while the before/after lists are read (it is
/// re-entrant, so the migrator's own lock inside `run` still works).
pub async fn up(pool: &PgPool) -> Result<Vec<String>> {
    up_with(pool, &MIGRATOR).await
}

/// [`up`] with any migrator: the tests pass one read from a folder at run
/// time (`Migrator::new(path)`) holding extra migrations.
pub async fn up_with(pool: &PgPool, migrator: &Migrator) -> Result<Vec<String>> {
    let mut conn = dedicated(pool).await?;
    conn.lock().await?;
    let applied = async {
        let before = applied_versions(&mut conn).await?;
        // `run(&mut conn)` would do, but its future is not `Send` (sqlx's
        // "`Acquire` is not general enough"), so a server could not call this
        // from a spawned task; `run` itself calls `run_direct`, public for
        // this reason though hidden from the docs.
        migrator.run_direct(None, &mut conn, false).await?;
        let after = applied_versions(&mut conn).await?;
        Ok::<_, Error>(
            revisions(migrator, &after)
                .into_iter()
                .filter(|r| r.applied && !before.contains(&r.version))
                .map(|r| r.name)
                .collect(),
        )
    }
    .await;
    // Closing the session releases every lock it still holds, whatever
    // happened above.
    let _ = conn.close().await;
    applied
}

/// A connection of the pool's, taken out of it for a migration run and
/// closed afterwards. sqlx's migrator takes a session advisory lock and,
/// when a migration fails, returns before releasing it; on a pooled
/// connection that lock would outlive the run, and the next `up` in this
/// process, on another connection, would wait for it forever (a test of
/// ours hung that way). A closed session holds nothing.
async fn dedicated(pool: &PgPool) -> Result<PgConnection> {
    Ok(pool.acquire().await?.detach())
}

/// `alembic upgrade head --sql`: the pending revisions and the SQL `up`
/// would send for each (the file as written: sqlx sends it as one simple
/// query), without running anything. A file whose first line is
/// `-- no-transaction` runs outside a transaction. `all`: every revision,
/// applied or not.
pub async fn plan(pool: &PgPool, all: bool) -> Result<Vec<support::app::PlannedMigration>> {
    let applied = if all {
        Vec::new()
    } else {
        applied_versions(&mut *pool.acquire().await?).await?
    };
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| support::app::PlannedMigration {
            name: format!("{}_{}", m.version, m.description.replace(' ', "_")),
            in_transaction: !m.no_tx,
            sql: m.sql.as_str().to_owned(),
        })
        .collect())
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
    // What `MIGRATOR.undo` does, through the `Migrate` trait on one
    // connection (undo's own future is not `Send`; see `up_with`): under the
    // migrator's lock, each down file newer than `target`, newest first, each
    // in its own transaction.
    let mut conn = dedicated(pool).await?;
    let undone = async {
        conn.lock().await?;
        let applied = applied_versions(&mut conn).await?;
        for migration in MIGRATOR.iter().rev().filter(|m| {
            m.migration_type.is_down_migration()
                && m.version > target
                && applied.contains(&m.version)
        }) {
            conn.revert(TABLE, migration).await?;
        }
        Ok::<_, Error>(())
    }
    .await;
    let _ = conn.close().await;
    undone?;
    Ok(applied.into_iter().take(steps).map(|r| r.name).collect())
}
