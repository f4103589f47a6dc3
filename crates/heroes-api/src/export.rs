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

use crate::types::HeroOut;
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

/// The response body: `first` (already received), then the channel's rows,
/// one JSON object per line, many rows per chunk. A failure, or the deadline
/// passing, ends the body with an error, so that the client sees a cut
/// transfer and never mistakes a partial export for a whole one.
pub fn body(
    first: Option<StoreResult<Hero>>,
    rows: mpsc::Receiver<StoreResult<Hero>>,
    deadline: Duration,
) -> Body {
    struct State {
        first: Option<StoreResult<Hero>>,
        rows: mpsc::Receiver<StoreResult<Hero>>,
        until: Instant,
        done: bool,
    }
    let state = State {
        first,
        rows,
        until: Instant::now() + deadline,
        done: false,
    };
    let chunks = futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        let next = match state.first.take() {
            Some(row) => Some(row),
            None => match tokio::time::timeout_at(state.until, state.rows.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    state.done = true;
                    let cut = format!(
                        "the export did not finish within its deadline of {} s",
                        deadline.as_secs()
                    );
                    tracing::warn!("{cut}; cutting the response");
                    return Some((Err(std::io::Error::other(cut)), state));
                }
            },
        };
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut next = next?;
        loop {
            match next {
                Ok(hero) => {
                    if let Err(e) = serde_json::to_writer(&mut buf, &HeroOut::from(hero)) {
                        state.done = true;
                        return Some((Err(std::io::Error::other(e)), state));
                    }
                    buf.push(b'\n');
                }
                Err(e) => {
                    state.done = true;
                    tracing::error!("export failed after it began: {e}; cutting the response");
                    if buf.is_empty() {
                        return Some((Err(std::io::Error::other(e.to_string())), state));
                    }
                    // Send what was read; the error ends the body next time.
                    state.first = Some(Err(e));
                    state.done = false;
                    return Some((Ok(Bytes::from(buf)), state));
                }
            }
            if buf.len() >= 60 * 1024 {
                break;
            }
            match state.rows.try_recv() {
                Ok(row) => next = row,
                Err(_) => break,
            }
        }
        Some((Ok(Bytes::from(buf)), state))
    });
    Body::from_stream(chunks)
}
