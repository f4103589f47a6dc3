//! `GET /heroes/export` on [`beyond::stream`]: the
//! lesson's row-by-row iterator, on a blocking thread and a pooled
//! connection of its own, with what a server adds.
//!
//! Each row is handed to the async side with `blocking_send`, which waits
//! while the client is slow, so the thread reads no faster than the client.
//! The one hardening is for an export nobody reads to the end (the client
//! left, or the deadline passed). Dropping diesel's row-by-row iterator
//! reads the rest of the result first (libpq requires it), which for a big
//! export means every unread row. So an abandoned export first cancels its
//! own query, `pg_cancel_backend` on the backend it noted when it began (sent
//! on another pooled connection; diesel does not expose libpq's cancel), and
//! then drops the iterator, which ends at once on the cancellation.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};
use heroes_api::StoreError;
use heroes_api::export::Rows;
use heroes_model::HeroSearch;

use crate::production::Pool;
use crate::{Result, beyond};

/// Streams every hero `search` matches into `out` (see the module docs).
pub async fn heroes(pool: Pool, search: HeroSearch, out: Rows) {
    let failed = out.clone();
    let done = tokio::task::spawn_blocking(move || read(&pool, &search, &out)).await;
    let err = match done {
        Ok(Ok(())) => return,
        Ok(Err(err)) => StoreError::from(err),
        Err(panicked) => StoreError::Internal(format!("the export's thread failed: {panicked}")),
    };
    let _ = failed.send(Err(err)).await;
}

fn read(pool: &Pool, search: &HeroSearch, out: &Rows) -> Result<()> {
    let mut conn = pool.get()?;
    let pid: i32 =
        diesel::select(diesel::dsl::sql::<Integer>("pg_backend_pid()")).get_result(&mut conn)?;
    let mut rows = beyond::stream(&mut conn, search)?;
    for row in rows.by_ref() {
        let failed = row.is_err();
        if out.blocking_send(row.map_err(StoreError::from)).is_err() {
            // Abandoned: cancel, then let the iterator's drop finish quickly.
            if let Err(err) = cancel(pool, pid) {
                tracing::warn!("could not cancel an abandoned export ({err}); reading its rest");
            }
            break;
        }
        if failed {
            break;
        }
    }
    Ok(())
}

fn cancel(pool: &Pool, pid: i32) -> Result<()> {
    diesel::select(
        diesel::dsl::sql::<Bool>("pg_cancel_backend(")
            .bind::<Integer, _>(pid)
            .sql(")"),
    )
    .get_result::<bool>(&mut pool.get()?)?;
    Ok(())
}
