//! Reads from a streaming replica that see your own writes.
//!
//! A replica replays the primary's WAL a moment after each commit, so a read
//! sent there right after a write can miss it. Two ways to read your writes:
//! read from the primary within the unit of work, or note where the
//! primary's WAL ends after the commit ([`wal_position`]) and let the read
//! wait, with a bound, until the replica has replayed that far
//! ([`wait_for_replay`]). A pool on the replica's URL is an ordinary
//! pool; writes sent to it fail with SQLSTATE 25006 (read-only transaction).
//!
//! The same two queries as sync-diesel's `replica.rs`, on purpose: one crate
//! read alone shows the whole of it; only the execution (`.await`) differs.

use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;

use crate::error::{Error, Result};
use crate::production::Pool;

#[derive(QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    lsn: String,
}

#[derive(QueryableByName)]
struct Replayed {
    #[diesel(sql_type = Bool)]
    replayed: bool,
}

/// Where the primary has written its WAL to (`pg_current_wal_lsn()`): call
/// it after a commit, on the primary. A synchronous commit (PostgreSQL's
/// default) has written its record by then; an asynchronous one
/// (`synchronous_commit = off`) may not have, and the wait could return
/// before the write is on the replica.
pub async fn wal_position(primary: &Pool) -> Result<String> {
    let row: Lsn = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result(&mut primary.get().await?)
        .await?;
    Ok(row.lsn)
}

/// Waits until the server behind `replica` has replayed the WAL up to `lsn`
/// (`pg_last_wal_replay_lsn()`), polling every 2 ms for at most `deadline`.
/// A primary has nothing to replay and answers at once.
pub async fn wait_for_replay(replica: &Pool, lsn: &str, deadline: Duration) -> Result<()> {
    let mut conn = replica.get().await?;
    let began = Instant::now();
    loop {
        let row: Replayed = diesel::sql_query(
            "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) AS replayed",
        )
        .bind::<Text, _>(lsn)
        .get_result(&mut conn)
        .await?;
        if row.replayed {
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
