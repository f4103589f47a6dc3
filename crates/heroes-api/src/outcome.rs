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
//! asks on another connection of the pool's until the answer is known, for
//! [`SETTLE_WITHIN`] at most. SQLAlchemy has no counterpart: its `commit()`
//! raises, and the application is left not knowing.
//!
//! An id is only worth asking about on the history it was handed out on.
//! A standby promoted after a failover (book/src/high-availability.md)
//! never saw the ids of transactions whose WAL did not reach it, and hands
//! them out again: asked there, `txid_status` can answer for another
//! transaction. So the session also reads the WAL timeline (the first eight
//! digits of the current WAL file's name, which a promotion increments),
//! and the answer counts only on the same timeline; on another, an id the
//! server has not handed out yet proves the write never reached it (503),
//! and anything else is unknown (500).

use std::time::Duration;

use crate::{HeroStore, StoreError, StoreResult};

/// How long a lost commit's outcome is looked for before the request gives up.
pub(crate) const SETTLE_WITHIN: Duration = Duration::from_secs(5);

/// Between two looks, while the database is back up or the backend is still
/// finishing the commit.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// The WAL timeline the server writes on now: the first eight hex digits of
/// the current WAL file's name.
const TIMELINE: &str = "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";

/// A write transaction: its id, and the timeline it was handed out on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    xid: i64,
    timeline: u32,
}

/// The open transaction's id and timeline (the id is assigned now if the
/// transaction has not written yet; a write would assign it anyway).
pub(crate) async fn transaction_id<S: HeroStore>(tx: &mut S::Tx) -> StoreResult<Written> {
    let text = S::sql_value(tx, format!("txid_current() || ' ' || {TIMELINE}")).await?;
    text.as_deref()
        .and_then(|t| t.split_once(' '))
        .and_then(|(xid, timeline)| {
            Some(Written {
                xid: xid.parse().ok()?,
                timeline: u32::from_str_radix(timeline, 16).ok()?,
            })
        })
        .ok_or_else(|| StoreError::Internal(format!("txid_current() gave {text:?}")))
}

// ANCHOR: settle
/// Finds out whether transaction `written`, whose commit failed with
/// `cause`, committed: `Ok` if it did; the 503 it would have been if it did
/// not; a 500 that says so when that cannot be known within
/// [`SETTLE_WITHIN`], or because the database failed over meanwhile.
pub(crate) async fn settle<S: HeroStore>(
    store: &S,
    written: Written,
    cause: String,
) -> StoreResult<()> {
    let deadline = tokio::time::Instant::now() + SETTLE_WITHIN;
    loop {
        let waited_out = tokio::time::Instant::now() >= deadline;
        // Bounded too: a pool can wait longer than that for a connection.
        let answer = tokio::time::timeout_at(deadline, status(store, written.xid))
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("no connection in time".into())));
        match answer.map(|answer| verdict(written, answer)) {
            Ok(Verdict::Committed) => return Ok(()),
            Ok(Verdict::NotSaved) => return Err(StoreError::Unavailable(cause)),
            Ok(Verdict::FailedOver(timeline)) => {
                return Err(StoreError::Internal(format!(
                    "the commit's answer was lost ({cause}) and the database failed over meanwhile (timeline {:X} to {timeline:X}), so whether it took effect was still unknown; look before you retry",
                    written.timeline
                )));
            }
            // Still in progress, or the database not reachable yet.
            Ok(Verdict::Unknown) | Err(StoreError::Unavailable(_)) if !waited_out => {
                tokio::time::sleep(LOOK_EVERY).await;
            }
            Ok(Verdict::Unknown) | Err(StoreError::Unavailable(_)) => {
                return Err(StoreError::Internal(format!(
                    "the commit's answer was lost ({cause}) and whether it took effect was still unknown {} s later; look before you retry",
                    SETTLE_WITHIN.as_secs()
                )));
            }
            Err(other) => return Err(other),
        }
    }
}

/// What one answer of [`status`] says about transaction `written`.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Committed,
    NotSaved,
    /// Another timeline: the id may belong to another transaction there.
    FailedOver(u32),
    /// In progress, too old to know, or no answer yet.
    Unknown,
}

fn verdict(written: Written, answer: Option<(String, u32)>) -> Verdict {
    match answer {
        // Never handed out on this server's history: the write is not there.
        Some((state, _)) if state == "future" => Verdict::NotSaved,
        Some((_, timeline)) if timeline != written.timeline => Verdict::FailedOver(timeline),
        Some((state, _)) if state == "committed" => Verdict::Committed,
        Some((state, _)) if state == "aborted" => Verdict::NotSaved,
        _ => Verdict::Unknown,
    }
}
// ANCHOR_END: settle

/// `txid_status(xid)` (`future` for an id the server has not handed out
/// yet, where `txid_status` would fail; `forgotten` for one too old to
/// know) and the timeline, on a connection of the pool's (`None` while
/// there is no answer to give).
async fn status<S: HeroStore>(store: &S, xid: i64) -> StoreResult<Option<(String, u32)>> {
    let mut tx = store.begin().await?;
    // NULL on a standby (a demoted leader HAProxy still routed to for a
    // moment), whose WAL file name cannot be asked: asked again.
    let expression = format!(
        "CASE WHEN pg_is_in_recovery() THEN NULL ELSE {TIMELINE} || ' ' || \
         CASE WHEN {xid} >= txid_snapshot_xmax(txid_current_snapshot()) \
         THEN 'future' ELSE coalesce(txid_status({xid}), 'forgotten') END END"
    );
    match S::sql_value(&mut tx, expression).await {
        Ok(value) => {
            S::commit(tx).await?;
            Ok(value.as_deref().and_then(|v| {
                let (timeline, state) = v.split_once(' ')?;
                Some((state.to_owned(), u32::from_str_radix(timeline, 16).ok()?))
            }))
        }
        Err(err) => {
            S::rollback(tx);
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Verdict, Written, verdict};

    #[test]
    fn an_answer_counts_only_on_the_timeline_the_id_was_handed_out_on() {
        let written = Written {
            xid: 1234,
            timeline: 6,
        };
        let answer = |state: &str, timeline| verdict(written, Some((state.to_owned(), timeline)));
        assert_eq!(answer("committed", 6), Verdict::Committed);
        assert_eq!(answer("aborted", 6), Verdict::NotSaved);
        assert_eq!(answer("in progress", 6), Verdict::Unknown);
        assert_eq!(answer("forgotten", 6), Verdict::Unknown);
        assert_eq!(verdict(written, None), Verdict::Unknown);
        // After a failover the id may have been handed out again.
        assert_eq!(answer("committed", 7), Verdict::FailedOver(7));
        assert_eq!(answer("aborted", 7), Verdict::FailedOver(7));
        // Unless the new leader has not handed it out at all.
        assert_eq!(answer("future", 7), Verdict::NotSaved);
        assert_eq!(answer("future", 6), Verdict::NotSaved);
    }
}
