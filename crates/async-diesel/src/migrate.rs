//! The Alembic verbs for the async stack: sync-diesel's `migrations/` and
//! verbs ([`crate::migrations`]) run through diesel-async's
//! `AsyncConnectionWrapper`, which gives an async connection diesel's blocking
//! `Connection` interface.
//!
//! Diesel's migration runner is synchronous. The wrapper drives the async
//! connection from it, blocking the current tokio worker thread while it runs
//! (`block_in_place`), as diesel-async's own `AsyncMigrationHarness` does; the
//! wrapper is used here because the verbs also run SQL of their own (the
//! migration lock, [`crate::migrations::locked`]). That is fine at start-up,
//! and it is why this crate runs on tokio's multi-threaded runtime.

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

use crate::engine::PooledConnection;
use crate::error::Result;
use crate::migrations::{self, Revision};

/// A pooled async connection behind diesel's blocking `Connection` interface.
pub type BlockingConnection = AsyncConnectionWrapper<PooledConnection>;

/// Runs `action` on `conn` seen as a blocking connection. Call it from
/// tokio's multi-threaded runtime (it uses `block_in_place`).
fn with_harness<T>(
    conn: PooledConnection,
    action: impl FnOnce(&mut BlockingConnection) -> Result<T>,
) -> Result<T> {
    let mut conn = BlockingConnection::from(conn);
    tokio::task::block_in_place(|| action(&mut conn))
}

/// `alembic upgrade head` under the migration lock; returns the names applied.
pub fn up(conn: PooledConnection) -> Result<Vec<String>> {
    with_harness(conn, |c| Ok(migrations::up(c)?))
}

/// [`up`] from another migration source (the tests pass a folder).
pub fn up_from<S>(conn: PooledConnection, source: S) -> Result<Vec<String>>
where
    S: diesel::migration::MigrationSource<diesel::pg::Pg>,
{
    with_harness(conn, |c| Ok(migrations::up_from(c, source)?))
}

/// `alembic upgrade head --sql`: the SQL `up` would run (every
/// migration's when `all`), not run.
pub fn plan(conn: PooledConnection, all: bool) -> Result<Vec<support::app::PlannedMigration>> {
    with_harness(conn, |c| Ok(migrations::plan(c, all)?))
}

/// `alembic downgrade -N`; returns the names reverted, newest first.
pub fn down(conn: PooledConnection, steps: usize) -> Result<Vec<String>> {
    with_harness(conn, |c| Ok(migrations::down(c, steps)?))
}

/// Reverts and re-applies the latest migration; returns its name.
pub fn redo(conn: PooledConnection) -> Result<String> {
    with_harness(conn, |c| Ok(migrations::redo(c)?))
}

/// `alembic history`: every migration with its state.
pub fn history(conn: PooledConnection) -> Result<Vec<Revision>> {
    with_harness(conn, |c| Ok(migrations::history(c)?))
}
