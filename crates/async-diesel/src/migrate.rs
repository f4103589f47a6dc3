//! The Alembic verbs for the async stack: sync-diesel's `migrations/` and
//! verbs ([`crate::migrations`]) run through diesel-async's `AsyncMigrationHarness`.
//!
//! Diesel's migration runner is synchronous. The harness wraps an async
//! connection so the sync runner can drive it, blocking the current tokio
//! worker thread while it runs (`block_in_place`). That is fine at start-up,
//! and it is why this crate runs on tokio's multi-threaded runtime.

use crate::migrations::{self, Revision};
use diesel_async::AsyncMigrationHarness;

use crate::engine::PooledConnection;
use crate::error::Result;

/// Runs `action` with a migration harness around `conn`. Call it from tokio's
/// multi-threaded runtime (the harness uses `block_in_place`).
fn with_harness<T>(
    conn: PooledConnection,
    action: impl FnOnce(&mut AsyncMigrationHarness<PooledConnection>) -> Result<T>,
) -> Result<T> {
    let mut harness = AsyncMigrationHarness::new(conn);
    action(&mut harness)
}

/// `alembic upgrade head`; returns the names applied.
pub fn up(conn: PooledConnection) -> Result<Vec<String>> {
    with_harness(conn, |h| Ok(migrations::up(h)?))
}

/// `alembic downgrade -N`; returns the names reverted, newest first.
pub fn down(conn: PooledConnection, steps: usize) -> Result<Vec<String>> {
    with_harness(conn, |h| Ok(migrations::down(h, steps)?))
}

/// Reverts and re-applies the latest migration; returns its name.
pub fn redo(conn: PooledConnection) -> Result<String> {
    with_harness(conn, |h| Ok(migrations::redo(h)?))
}

/// `alembic history`: every migration with its state.
pub fn history(conn: PooledConnection) -> Result<Vec<Revision>> {
    with_harness(conn, |h| Ok(migrations::history(h)?))
}
