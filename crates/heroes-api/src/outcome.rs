//! A commit whose answer is lost. When the connection breaks after `COMMIT`
//! was sent (the backend ended, the server restarted, PgBouncer stopped), the
//! client cannot tell whether the transaction committed: PostgreSQL may have
//! made it durable a moment before the connection went. Answering 503 then
//! would tell the caller that nothing was saved when it may have been (a
//! *phantom* write, which `just faults` counts); answering 201 would be a
//! guess the other way.
//!
//! PostgreSQL keeps every transaction's fate, and `txid_status(id)` reads it
//! from any connection: `committed`, `aborted` or `in progress`. So a session
//! that writes reads its transaction's id first (`txid_current()`, one round
//! trip per write request), and when the commit fails with the connection,
//! asks on a fresh one until the answer is known, for [`SETTLE_WITHIN`] at
//! most. SQLAlchemy has no counterpart: its `commit()` raises, and the
//! application is left not knowing.

use std::time::Duration;

use crate::{HeroStore, StoreError, StoreResult};

/// How long a lost commit's outcome is looked for before the request gives up.
pub(crate) const SETTLE_WITHIN: Duration = Duration::from_secs(5);

/// Between two looks, while the database is back up or the backend is still
/// finishing the commit.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// The open transaction's id (it is assigned now if the transaction has not
/// written yet; a write would assign it anyway).
pub(crate) async fn transaction_id<S: HeroStore>(tx: &mut S::Tx) -> StoreResult<i64> {
    let text = S::sql_value(tx, "txid_current()".to_owned()).await?;
    text.as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| StoreError::Internal(format!("txid_current() gave {text:?}")))
}

// ANCHOR: settle
/// Finds out whether transaction `xid`, whose commit failed with `cause`,
/// committed: `Ok` if it did; the 503 it would have been if it did not;
/// a 500 that says so when that cannot be known within [`SETTLE_WITHIN`].
pub(crate) async fn settle<S: HeroStore>(store: &S, xid: i64, cause: String) -> StoreResult<()> {
    let deadline = tokio::time::Instant::now() + SETTLE_WITHIN;
    loop {
        match status(store, xid).await {
            Ok(Some(state)) if state == "committed" => return Ok(()),
            Ok(Some(state)) if state == "aborted" => return Err(StoreError::Unavailable(cause)),
            // Still in progress, or the database not reachable yet.
            Ok(_) | Err(StoreError::Unavailable(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(LOOK_EVERY).await;
            }
            Ok(_) | Err(StoreError::Unavailable(_)) => {
                return Err(StoreError::Internal(format!(
                    "the commit's answer was lost ({cause}) and whether it took effect was still unknown {} s later; look before you retry",
                    SETTLE_WITHIN.as_secs()
                )));
            }
            Err(other) => return Err(other),
        }
    }
}
// ANCHOR_END: settle

/// `txid_status(xid)` on a connection of the pool's.
async fn status<S: HeroStore>(store: &S, xid: i64) -> StoreResult<Option<String>> {
    let mut tx = store.begin().await?;
    match S::sql_value(&mut tx, format!("txid_status({xid})")).await {
        Ok(value) => {
            S::commit(tx).await?;
            Ok(value)
        }
        Err(err) => {
            S::rollback(tx);
            Err(err)
        }
    }
}
