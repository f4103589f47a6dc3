//! A blocking database call from an async server, cancelled safely.
//!
//! [`run`] moves the call to tokio's blocking thread pool (`spawn_blocking`)
//! and waits for it without blocking an async worker. A request cancelled by
//! its client or its deadline leaves the call running on its thread; its
//! result then has nobody to go to, and whatever connection it holds must go
//! back to the pool clean, not in the middle of a transaction: the call's
//! `abandon` does that ([`roll_back`]). The HTTP contract's cancelled
//! requests and deadlines (`crates/http-contract`) hold it.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use heroes_api::{StoreError, StoreResult};
use tokio::sync::oneshot;

use crate::production::PooledConnection;

/// Whether the request that asked for a blocking call still waits for it.
pub struct Waiting<'a>(&'a dyn Fn() -> bool);

impl Waiting<'_> {
    /// The request is gone: its result would be dropped.
    pub fn gone(&self) -> bool {
        (self.0)()
    }
}

// ANCHOR: run
/// Runs `work` on tokio's blocking thread pool and waits for it; when nobody
/// waits any more by the time it ends, `abandon` gets its result instead.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce(&Waiting<'_>) -> T + Send + 'static,
    abandon: impl FnOnce(T) + Send + 'static,
) -> StoreResult<T> {
    let (sender, receiver) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let is_closed = || sender.is_closed();
        let value = work(&Waiting(&is_closed));
        if let Err(unwanted) = sender.send(value) {
            abandon(unwanted);
        }
    });
    receiver
        .await
        .map_err(|_| StoreError::Internal("a blocking database call panicked".into()))
}
// ANCHOR_END: run

/// Rolls back what an abandoned call left open, so that the connection
/// returns to the pool ready for the next request.
pub fn roll_back(conn: &mut PooledConnection) {
    let _ = AnsiTransactionManager::rollback_transaction(&mut **conn);
}

/// Rolls back on a blocking thread without waiting (for `Drop`, which cannot
/// wait). With no runtime left, dropping is still safe: r2d2 sees the open
/// transaction and discards the connection instead of reusing it.
pub fn roll_back_later(conn: PooledConnection) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let mut conn = conn;
        runtime.spawn_blocking(move || roll_back(&mut conn));
    }
}
