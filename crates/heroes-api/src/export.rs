//! `GET /heroes/export`: every matching hero as NDJSON, streamed.
//!
//! The store runs the query on a task of its own and sends rows into a
//! bounded channel ([`Rows`](crate::export::Rows)); the response body takes them out as the
//! client reads. The channel's capacity is the only buffer, so memory stays
//! bounded whatever the row count: when the client reads slowly, the
//! channel fills, the store stops reading from its connection, and
//! PostgreSQL waits on its socket. When the client goes away or the export's
//! deadline passes, the body is dropped, the channel closes, and the store
//! stops and gives its connection back clean ([`forward`](crate::export::forward)).
//!
//! Exports hold a connection for as long as they stream, so at most a
//! quarter of the pool ([`ExportSlots`](crate::export::ExportSlots)) may stream at once; the others get a
//! 503 at once, and the rest of the pool stays for every other request.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};
use heroes_model::Hero;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use crate::types::HeroBrief;
use crate::{StoreError, StoreResult};

/// Rows in flight between the store and the response body.
pub const BUFFER_ROWS: usize = 512;

/// Where a store sends an export's rows.
pub type Rows = mpsc::Sender<StoreResult<Hero>>;

/// How an export's reading ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every row was read (or a failure was sent): the connection is clean.
    Finished,
    /// The receiver went away first: rows are left unread on the connection,
    /// which the store must cancel or close rather than hand to someone else.
    Abandoned,
}

/// Moves rows from `rows` into `out` until either ends, noticing a closed
/// `out` even while waiting for PostgreSQL.
pub async fn forward<E>(rows: impl Stream<Item = Result<Hero, E>>, out: &Rows) -> Ended
where
    StoreError: From<E>,
{
    let mut rows = std::pin::pin!(rows);
    loop {
        let row = tokio::select! {
            biased;
            () = out.closed() => return Ended::Abandoned,
            row = rows.next() => row,
        };
        let Some(row) = row else {
            return Ended::Finished;
        };
        let failed = row.is_err();
        if out.send(row.map_err(StoreError::from)).await.is_err() {
            return Ended::Abandoned;
        }
        if failed {
            return Ended::Finished;
        }
    }
}

/// The exports allowed to stream at once.
#[derive(Clone, Debug)]
pub struct ExportSlots {
    slots: Arc<Semaphore>,
    count: usize,
}

impl ExportSlots {
    /// A quarter of `max_connections`, at least one.
    pub fn for_pool(max_connections: u32) -> Self {
        let count = usize::try_from(max_connections / 4).unwrap_or(1).max(1);
        Self {
            slots: Arc::new(Semaphore::new(count)),
            count,
        }
    }

    /// A slot, or `None` when every one is taken.
    pub fn try_take(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// How many exports may stream at once.
    pub fn count(&self) -> usize {
        self.count
    }
}

/// Bytes gathered into one chunk of the body before it is sent.
const CHUNK_BYTES: usize = 60 * 1024;

/// The response body: `first` (already received), then the channel's rows,
/// one JSON object per line, many rows per chunk. A failure, or the deadline
/// passing, ends the body with an error, so that the client sees a cut
/// transfer and never mistakes a partial export for a whole one.
pub fn body(
    first: Option<StoreResult<Hero>>,
    rows: mpsc::Receiver<StoreResult<Hero>>,
    deadline: Duration,
) -> Body {
    let until = Instant::now() + deadline;
    // The state: a row already taken from the channel, the channel, and
    // whether the body has ended with an error.
    let chunks = futures_util::stream::unfold(
        (first, rows, false),
        move |(pending, mut rows, ended)| async move {
            if ended {
                return None;
            }
            let mut next = match pending {
                Some(row) => Some(row),
                None => match tokio::time::timeout_at(until, rows.recv()).await {
                    Ok(row) => Some(row?),
                    Err(_) => {
                        let cut = format!(
                            "the export did not finish within its deadline of {} s",
                            deadline.as_secs()
                        );
                        tracing::warn!("{cut}; cutting the response");
                        return Some((Err(std::io::Error::other(cut)), (None, rows, true)));
                    }
                },
            };
            let mut buf = Vec::with_capacity(CHUNK_BYTES + 1024);
            while let Some(row) = next.take() {
                let line_start = buf.len();
                let written = row.map_err(|e| e.to_string()).and_then(|hero| {
                    serde_json::to_writer(&mut buf, &HeroBrief::from(hero))
                        .map_err(|e| e.to_string())
                });
                match written {
                    Ok(()) => buf.push(b'\n'),
                    // Send the whole lines before it; the error ends the body next.
                    Err(e) if line_start > 0 => {
                        buf.truncate(line_start);
                        let failed = Some(Err(StoreError::Internal(e)));
                        return Some((Ok(Bytes::from(buf)), (failed, rows, false)));
                    }
                    Err(e) => {
                        tracing::error!("export failed after it began: {e}; cutting the response");
                        return Some((Err(std::io::Error::other(e)), (None, rows, true)));
                    }
                }
                if buf.len() < CHUNK_BYTES {
                    next = rows.try_recv().ok();
                }
            }
            Some((Ok(Bytes::from(buf)), (None, rows, false)))
        },
    );
    Body::from_stream(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hero(id: i64) -> Hero {
        Hero {
            id,
            name: format!("hero {id}"),
            secret_name: None,
            age: None,
            app_src: "test".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            team_id: None,
        }
    }

    /// The body's pieces: the text of each chunk, or the error that ended it.
    async fn pieces(body: Body) -> Vec<Result<String, String>> {
        body.into_data_stream()
            .map(|chunk| {
                chunk
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .map_err(|e| e.to_string())
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn rows_become_lines_and_a_failure_cuts_the_body_after_them() {
        let (out, rows) = mpsc::channel(8);
        for id in 2..=3 {
            out.send(Ok(hero(id))).await.unwrap_or_default();
        }
        out.send(Err(StoreError::Internal("lost".into())))
            .await
            .unwrap_or_default();
        drop(out);
        let got = pieces(body(Some(Ok(hero(1))), rows, Duration::from_secs(5))).await;
        assert_eq!(got.len(), 2, "{got:?}");
        let lines: Vec<&str> = got[0].as_deref().unwrap_or_default().lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].contains("\"hero 3\""), "{lines:?}");
        assert!(
            got[1].as_ref().is_err_and(|e| e.contains("lost")),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn a_whole_export_ends_cleanly_and_a_late_one_is_cut() {
        let (out, rows) = mpsc::channel(8);
        drop(out);
        let got = pieces(body(Some(Ok(hero(1))), rows, Duration::from_secs(5))).await;
        assert!(got.iter().all(Result::is_ok), "{got:?}");

        let (out, rows) = mpsc::channel(8);
        let got = pieces(body(Some(Ok(hero(1))), rows, Duration::from_millis(50))).await;
        drop(out);
        assert!(
            got.last()
                .is_some_and(|last| last.as_ref().is_err_and(|e| e.contains("deadline"))),
            "{got:?}"
        );
    }
}
