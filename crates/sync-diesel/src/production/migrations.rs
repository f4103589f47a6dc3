//! Migrations in production, for diesel_migrations.
//!
//! - **A lock.** diesel takes none; every verb of [`crate::migrate`] that
//!   writes runs under `support::diesel::migrate::locked`, a session advisory
//!   lock, so two deploys take turns.
//! - **Straight to the server.** A session lock belongs to one server
//!   connection, which PgBouncer's transaction mode does not keep: the
//!   binaries migrate on `MIGRATION_DATABASE_URL` (or the server behind
//!   devdb's PgBouncer), never through the pooler.
//! - **`migrate plan`**, `alembic upgrade head --sql`: the SQL `up` would
//!   run, for review and for the migration lint in CI.
//! - **Other sources**: [`up_from`] runs a folder read at run time (the
//!   tests add migrations that fail halfway, or cannot run in a transaction).

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::pg::PgConnection;
use support::diesel::migrate as verbs;

use crate::error::Result;
use crate::migrate::MIGRATIONS;

/// `alembic upgrade head --sql`: the SQL `migrate up` would run (every
/// migration's when `all`), without running or writing anything.
pub fn plan(conn: &mut PgConnection, all: bool) -> Result<Vec<support::app::PlannedMigration>> {
    Ok(verbs::plan(conn, &MIGRATIONS, all)?)
}

/// `migrate up` from another migration source, under the same lock.
pub fn up_from<S: MigrationSource<Pg>>(conn: &mut PgConnection, source: &S) -> Result<Vec<String>> {
    Ok(verbs::up(conn, source)?)
}
