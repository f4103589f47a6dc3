//! Nothing waits without a bound: a login deadline, and `statement_timeout`.
//!
//! SeaORM hands `acquire_timeout` to sqlx, and sqlx 0.9 bounds the whole
//! acquire by it, opening a connection and its login included, so a server
//! that accepts TCP and never answers fails `Database::connect` after it, but
//! as a bare "pool timed out". [`within_connect_deadline`] bounds the first
//! connection by `PGCONNECT_TIMEOUT` instead and says so: the server did not
//! answer within it (conformance scenario 10). `STATEMENT_TIMEOUT_MS` is
//! sent at login (`ConnectOptions::statement_timeout`, set by
//! [`super::pool`]), so the server cancels any statement running longer
//! (scenario 11).

use std::future::Future;

use sea_orm::{DatabaseConnection, DbErr};

use super::Settings;
use crate::error::{Error, Result};

/// Runs `connect` (SeaORM's `Database::connect`) within the connect deadline.
pub async fn within_connect_deadline(
    connect: impl Future<Output = std::result::Result<DatabaseConnection, DbErr>>,
    settings: &Settings,
) -> Result<DatabaseConnection> {
    let deadline = settings.deadlines.connect;
    match tokio::time::timeout(deadline, connect).await {
        Ok(db) => Ok(db?),
        Err(_) => Err(Error::NoAnswer(deadline)),
    }
}
