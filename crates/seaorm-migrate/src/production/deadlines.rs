//! Nothing waits without a bound: a login deadline, and `statement_timeout`.
//!
//! SeaORM's `connect_timeout` only sets sqlx's acquire timeout, which bounds
//! the wait for a pooled connection, not a connection being opened: a server
//! that accepts TCP and never answers would hold `Database::connect` for as
//! long as the OS keeps the socket. [`within_connect_deadline`] bounds the
//! first connection by `PGCONNECT_TIMEOUT` (conformance scenario 10).
//! `STATEMENT_TIMEOUT_MS` is sent at login ([`super::sqlx_options`]), so the
//! server cancels any statement running longer (scenario 11).

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
