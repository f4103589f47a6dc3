//! The Alembic verbs over sqlx's reversible migrations.
//!
//! `migrations/` holds one `<version>_<name>.up.sql` and `.down.sql` pair per
//! revision (`sqlx migrate add -r <name>` makes them). `sqlx::migrate!`
//! embeds them at compile time; sqlx records each applied version, with a
//! checksum of its file, in `_sqlx_migrations`, runs each migration in its
//! own transaction, and holds an advisory lock while it migrates.

use sqlx::migrate::{Migrate as _, Migrator};
use sqlx::{PgConnection, PgPool};

use crate::error::{Error, Result};
use crate::production::migrations::{TABLE, applied_versions, detached};

// ANCHOR: migrator
/// The migrations of `crates/sqlx-raw/migrations/`, embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");
// ANCHOR_END: migrator

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

/// `alembic upgrade head`: applies every pending revision of [`MIGRATOR`];
/// returns the names of those it applied (empty when already at head).
pub async fn up(pool: &PgPool) -> Result<Vec<String>> {
    up_with(pool, &MIGRATOR).await
}

// ANCHOR: up
/// [`up`] with any migrator (the tests read one from a folder). The idiom
/// is `MIGRATOR.run(&pool)`; this runs it on a connection taken out of the
/// pool and closed afterwards (production::migrations says why), and takes
/// sqlx's lock before it reads what is applied, so that "what this call
/// applied" is exact even when another process migrates at the same time.
/// `run_direct` is what `run` calls once it has a connection; sqlx hides it
/// from its docs, and keeps it for this case: `run`'s future is refused in a
/// spawned task ("implementation of `Acquire` is not general enough"). It
/// takes the same lock again inside; PostgreSQL's advisory locks nest, and
/// closing the connection releases both.
pub async fn up_with(pool: &PgPool, migrator: &Migrator) -> Result<Vec<String>> {
    let mut conn = detached(pool).await?;
    let applied = async {
        conn.lock().await?;
        let before = applied_versions(&mut conn).await?;
        migrator.run_direct(None, &mut conn, false).await?; // `run(&mut conn)`, `Send`
        let after = applied_versions(&mut conn).await?;
        Ok(newly_applied(migrator, &before, &after))
    }
    .await;
    close(conn).await; // releases the lock, whatever happened
    applied
}
// ANCHOR_END: up

/// `alembic history`: every embedded revision, oldest first, with its state.
pub async fn history(pool: &PgPool) -> Result<Vec<Revision>> {
    let mut conn = pool.acquire().await?;
    Ok(revisions(&MIGRATOR, &applied_versions(&mut conn).await?))
}

// ANCHOR: down
/// `alembic downgrade -N`: reverts the `steps` most recent revisions, newest
/// first, each `.down.sql` in its own transaction, under sqlx's lock; asking
/// for more than are applied reverts nothing. What `MIGRATOR.undo(&pool,
/// target)` does, written out through the `Migrate` trait because `undo`'s
/// future is not `Send` (a server could not call it from a spawned task).
pub async fn down(pool: &PgPool, steps: usize) -> Result<Vec<String>> {
    let mut conn = detached(pool).await?;
    let reverted = async {
        conn.lock().await?; // before reading what is applied, so no one changes it
        let in_database = applied_versions(&mut conn).await?;
        let mut applied: Vec<Revision> = revisions(&MIGRATOR, &in_database)
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
        let target = applied.get(steps).map_or(0, |r| r.version); // the newest revision kept
        for migration in MIGRATOR.iter().rev().filter(|m| {
            m.migration_type.is_down_migration()
                && m.version > target
                && in_database.contains(&m.version)
        }) {
            conn.revert(TABLE, migration).await?;
        }
        Ok(applied.into_iter().take(steps).map(|r| r.name).collect())
    }
    .await;
    close(conn).await; // releases the lock, whatever happened
    reverted
}
// ANCHOR_END: down

/// Every revision of `migrator`, oldest first, marked applied when in `applied`.
pub(crate) fn revisions(migrator: &Migrator, applied: &[i64]) -> Vec<Revision> {
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| Revision {
            version: m.version,
            name: name(m),
            applied: applied.contains(&m.version),
        })
        .collect()
}

/// A migration's name as `migrate history` prints it.
pub(crate) fn name(migration: &sqlx::migrate::Migration) -> String {
    format!(
        "{}_{}",
        migration.version,
        migration.description.replace(' ', "_")
    )
}

fn newly_applied(migrator: &Migrator, before: &[i64], after: &[i64]) -> Vec<String> {
    revisions(migrator, after)
        .into_iter()
        .filter(|r| r.applied && !before.contains(&r.version))
        .map(|r| r.name)
        .collect()
}

async fn close(conn: PgConnection) {
    use sqlx::Connection as _;
    let _ = conn.close().await; // a closed session holds no lock
}
