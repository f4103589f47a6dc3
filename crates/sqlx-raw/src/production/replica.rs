//! Reads from a streaming replica that see your own writes.
//!
//! A replica replays the primary's WAL a moment after each commit, so a read
//! sent there right after a write can miss it. Two ways to read your writes:
//! read from the primary within the unit of work, or note where the
//! primary's WAL ends after the commit ([`wal_position`]) and let the read
//! wait, with a bound, until the replica has replayed that far
//! ([`wait_for_replay`]). A pool on the replica's URL is an ordinary pool;
//! writes sent to it fail with SQLSTATE 25006 (read-only transaction).

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::error::{Error, Result};

// ANCHOR: read_your_writes
/// Where the primary has written its WAL to (`pg_current_wal_lsn()`): call
/// it after a commit, on the primary. A synchronous commit (PostgreSQL's
/// default) has written its record by then; an asynchronous one
/// (`synchronous_commit = off`) may not have, and the wait could return
/// before the write is on the replica.
pub async fn wal_position(primary: &PgPool) -> Result<String> {
    Ok(sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(primary)
        .await?)
}

/// Waits until the server behind `replica` has replayed the WAL up to `lsn`
/// (`pg_last_wal_replay_lsn()`), polling every 2 ms for at most `deadline`.
/// A primary has nothing to replay and answers at once.
pub async fn wait_for_replay(replica: &PgPool, lsn: &str, deadline: Duration) -> Result<()> {
    let mut conn = replica.acquire().await?;
    let began = Instant::now();
    loop {
        let replayed: bool =
            sqlx::query_scalar("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)")
                .bind(lsn)
                .fetch_one(&mut *conn)
                .await?;
        if replayed {
            return Ok(());
        }
        if began.elapsed() >= deadline {
            return Err(Error::Internal(support::deadlines::replica_behind(
                lsn, deadline,
            )));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
// ANCHOR_END: read_your_writes
