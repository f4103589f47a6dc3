//! `GET /heroes/export` on [`beyond::stream`]: the
//! lesson's stream, on a pooled connection of its own, with what a server
//! adds.
//!
//! The one hardening is for an export nobody reads to the end (the client
//! left, or the deadline passed). Dropping the stream does not stop
//! PostgreSQL: it goes on sending the rest, which tokio-postgres reads and
//! throws away, and the connection's next user would wait behind them. So an
//! abandoned export cancels its query the way PostgreSQL means it to be
//! cancelled (a CancelRequest on a separate socket, through diesel-async's
//! `cancel_token`), and only then gives the connection back, clean.

use heroes_api::StoreError;
use heroes_api::export::{Ended, Rows, forward};
use heroes_model::HeroSearch;

use crate::beyond;
use crate::production::Pool;

/// Streams every hero `search` matches into `out` (see the module docs).
pub async fn heroes(pool: &Pool, search: &HeroSearch, out: &Rows) {
    let mut conn = match pool.get().await {
        Ok(conn) => conn,
        Err(err) => {
            let _ = out.send(Err(StoreError::from(err))).await;
            return;
        }
    };
    let cancel = conn.cancel_token();
    let ended = match beyond::stream(&mut conn, search).await {
        Ok(rows) => forward(rows, out).await,
        Err(err) => {
            let _ = out.send(Err(StoreError::from(err))).await;
            Ended::Finished
        }
    };
    if ended == Ended::Abandoned
        && let Err(err) = cancel.cancel_query(tokio_postgres::NoTls).await
    {
        // Without the cancel, the connection must not be reused.
        tracing::warn!("could not cancel an abandoned export ({err}); closing its connection");
        drop(deadpool::managed::Object::take(conn));
    }
}
