//! `GET /heroes/export` on [`beyond::stream`]: the
//! lesson's stream, in a transaction of its own, with what a server adds.
//!
//! The one hardening is for an export nobody reads to the end (the client
//! left, or the deadline passed). Dropping the stream leaves the rest of the
//! result on its way, and sqlx, under SeaORM, would make the connection's
//! next user wait for every unread row. SeaORM offers no way to close or
//! cancel one pooled connection, so the export runs in a transaction (which
//! pins one connection), notes that connection's backend, and when abandoned
//! cancels its query with `pg_cancel_backend` on another pooled connection;
//! the unread rest then ends at once, and the transaction rolls back.

use heroes_api::StoreError;
use heroes_api::export::{Ended, Rows, forward};
use heroes_model::HeroSearch;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use crate::{Result, beyond};

/// Streams every hero `search` matches into `out` (see the module docs).
pub async fn heroes(db: &DatabaseConnection, search: &HeroSearch, out: &Rows) {
    if let Err(err) = read(db, search, out).await {
        let _ = out.send(Err(StoreError::from(err))).await;
    }
}

async fn read(db: &DatabaseConnection, search: &HeroSearch, out: &Rows) -> Result<()> {
    let txn = db.begin().await?;
    let pid: i32 = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_backend_pid() AS pid",
        ))
        .await?
        .map(|row| row.try_get("", "pid"))
        .transpose()?
        .unwrap_or_default();
    let rows = beyond::stream(&txn, search).await?;
    if forward(rows, out).await == Ended::Abandoned {
        let cancel = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_cancel_backend($1)",
            [pid.into()],
        );
        if let Err(err) = db.execute_raw(cancel).await {
            tracing::warn!("could not cancel an abandoned export ({err}); its rest will be read");
        }
    }
    Ok(())
}
