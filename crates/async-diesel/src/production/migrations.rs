//! Migrations in production, for diesel_migrations through diesel-async.
//!
//! The lock, the direct connection and `migrate plan` are sync-diesel's
//! rules, run through diesel-async's connection wrapper: every verb of
//! [`crate::migrate`] that writes runs under
//! `support::diesel::migrate::locked`, a session advisory lock, so two
//! deploys take turns; the binaries migrate on `MIGRATION_DATABASE_URL` (or
//! the server behind devdb's PgBouncer), never through the pooler, since
//! transaction mode does not keep a session lock. [`up_from`] runs a folder
//! read at run time (the tests add migrations that fail halfway, or cannot
//! run in a transaction).

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use support::diesel::migrate as verbs;

use crate::db::PooledConnection;
use crate::error::Result;
use crate::migrate::{MIGRATIONS, blocking};

/// `alembic upgrade head --sql`: the SQL `migrate up` would run (every
/// migration's when `all`), without running or writing anything.
pub fn plan(conn: PooledConnection, all: bool) -> Result<Vec<support::app::PlannedMigration>> {
    blocking(conn, |c| Ok(verbs::plan(c, &MIGRATIONS, all)?))
}

/// `migrate up` from another migration source, under the same lock.
pub fn up_from<S: MigrationSource<Pg>>(conn: PooledConnection, source: &S) -> Result<Vec<String>> {
    blocking(conn, |c| Ok(verbs::up(c, source)?))
}
