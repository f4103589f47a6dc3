//! The Alembic verbs for the async stack, over the workspace's
//! `migrations/` (the same SQL as sync-diesel, embedded here too).
//!
//! Diesel's migration runner is synchronous. diesel-async's
//! `AsyncConnectionWrapper` gives an async connection diesel's blocking
//! `Connection` interface, driving it from the current tokio worker thread
//! while it runs (`block_in_place`), as diesel-async's own
//! `AsyncMigrationHarness` does; the wrapper is used here because the verbs
//! also run SQL of their own (the migration lock). Fine at start-up, and the
//! reason this crate runs on tokio's multi-threaded runtime. The verbs are
//! the ones both diesel crates share (`support::diesel::migrate`).

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use support::diesel::migrate as verbs;

use crate::db::PooledConnection;
use crate::error::Result;

pub use verbs::Revision;

// ANCHOR: embed
/// The workspace's `migrations/`, embedded at compile time (the path is
/// relative to this crate's folder).
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");
// ANCHOR_END: embed

/// A pooled async connection behind diesel's blocking `Connection` interface.
pub type BlockingConnection = AsyncConnectionWrapper<PooledConnection>;

// ANCHOR: blocking
/// Runs `verb` on `conn` seen as a blocking connection. Call it from tokio's
/// multi-threaded runtime (it uses `block_in_place`).
pub fn blocking<T>(
    conn: PooledConnection,
    verb: impl FnOnce(&mut BlockingConnection) -> Result<T>,
) -> Result<T> {
    let mut conn = BlockingConnection::from(conn);
    tokio::task::block_in_place(|| verb(&mut conn))
}
// ANCHOR_END: blocking

// ANCHOR: up
/// `alembic upgrade head`: applies every pending migration, oldest first,
/// each in its own transaction; returns the names applied.
pub fn up(conn: PooledConnection) -> Result<Vec<String>> {
    blocking(conn, |c| Ok(verbs::up(c, &MIGRATIONS)?))
}
// ANCHOR_END: up

/// `alembic downgrade -N`; returns the names reverted, newest first.
pub fn down(conn: PooledConnection, steps: usize) -> Result<Vec<String>> {
    blocking(conn, |c| Ok(verbs::down(c, &MIGRATIONS, steps)?))
}

/// Reverts and re-applies the latest migration; returns its name.
pub fn redo(conn: PooledConnection) -> Result<String> {
    blocking(conn, |c| Ok(verbs::redo(c, &MIGRATIONS)?))
}

/// `alembic history`: every migration with its state.
pub fn history(conn: PooledConnection) -> Result<Vec<Revision>> {
    blocking(conn, |c| Ok(verbs::history(c, &MIGRATIONS)?))
}
