//! Migrations in production, for sqlx's migrator.
//!
//! - **A connection of its own.** sqlx's migrator takes a session advisory
//!   lock and, when a migration fails, returns before releasing it. On a
//!   pooled connection that lock would outlive the run, and the next `up` in
//!   the same process, on another connection, would wait for it forever. So
//!   [`detached`] takes a connection out of the pool and the verbs close it
//!   when done: a closed session holds no lock
//!   (`a_migration_that_fails_halfway_leaves_nothing_and_the_error_names_it`).
//! - **Straight to the server.** Through PgBouncer's transaction mode the
//!   lock and the unlock can land on different server connections: `unlock()`
//!   returns Ok and the lock stays with a backend no client owns
//!   (`through_transaction_mode_the_migrators_unlock_misses_its_lock`). The
//!   binaries migrate on `MIGRATION_DATABASE_URL` (or the server behind
//!   devdb's PgBouncer), never through the pooler.
//! - **`migrate plan`**, `alembic upgrade head --sql`: the SQL `up` would run,
//!   for review and for the migration lint in CI.

use sqlx::migrate::Migrate as _;
use sqlx::{PgConnection, PgPool};

use crate::error::Result;
use crate::migrate::{MIGRATOR, name};

/// sqlx's bookkeeping table.
pub(crate) const TABLE: &str = "_sqlx_migrations";

/// A connection of the pool's, taken out of it for a migration run; the
/// caller closes it.
pub async fn detached(pool: &PgPool) -> Result<PgConnection> {
    Ok(pool.acquire().await?.detach())
}

/// The versions applied in this database, read without writing: a database
/// sqlx has never migrated has no `_sqlx_migrations` yet, and reading its
/// history must not create one.
pub async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>> {
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

/// `alembic upgrade head --sql`: the pending revisions and the SQL `up`
/// would send for each (the file as written: sqlx sends it as one simple
/// query), without running anything. A file whose first line is `--
/// no-transaction` runs outside a transaction. `all`: every revision,
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
            name: name(m),
            in_transaction: !m.no_tx,
            sql: m.sql.as_str().to_owned(),
        })
        .collect())
}
