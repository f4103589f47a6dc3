//! `GET /heroes/export` on [`beyond::stream`]: the
//! lesson's stream, on a connection of its own, with what a server adds.
//!
//! The one hardening is for an export nobody reads to the end (the client
//! left, or the deadline passed). sqlx would put that connection back in the
//! pool with the rest of the result still on its way, and its next user
//! would first wait for every unread row. So an abandoned export *detaches*
//! its connection from the pool and drops it: the socket closes, PostgreSQL
//! stops the query when it next writes, and the pool opens a fresh
//! connection when it needs one. `STATEMENT_TIMEOUT_MS`, when set, bounds an
//! export too: it counts the time PostgreSQL spends sending rows.

use heroes_api::StoreError;
use heroes_api::export::{Ended, Rows, forward};
use heroes_model::HeroSearch;
use sqlx::PgPool;

use crate::beyond;

/// Streams every hero `search` matches into `out` (see the module docs).
pub async fn heroes(pool: &PgPool, search: &HeroSearch, out: &Rows) {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(err) => {
            let _ = out
                .send(Err(StoreError::from(crate::Error::from(err))))
                .await;
            return;
        }
    };
    let ended = forward(beyond::stream(&mut conn, search), out).await;
    if ended == Ended::Abandoned {
        drop(conn.detach());
    }
}
