//! Nothing waits without a bound: a login deadline, and `statement_timeout`.
//!
//! sqlx has no login deadline of its own: `acquire_timeout` bounds the wait
//! for a pooled connection, not a connection being opened, so a server that
//! accepts TCP and never answers would hold the first caller for as long as
//! the OS keeps the socket. [`open_first_connection`] opens the pool's first
//! connection under `PGCONNECT_TIMEOUT` (conformance scenario 10).
//! `STATEMENT_TIMEOUT_MS` is sent at login as PostgreSQL's
//! `statement_timeout`, so the server cancels any statement running longer
//! (scenario 11).

use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use super::Settings;
use crate::error::{Error, Result};

/// Opens `pool`'s first connection within the connect deadline, so that a
/// server that refuses us, or never answers, is reported at start-up.
pub async fn open_first_connection(pool: &PgPool, settings: &Settings) -> Result<()> {
    let deadline = settings.deadlines.connect;
    match tokio::time::timeout(deadline, pool.acquire()).await {
        Ok(first) => {
            drop(first?); // back to the pool, for the first query
            Ok(())
        }
        Err(_) => Err(Error::NoAnswer(deadline)),
    }
}

/// `options` with `statement_timeout` set at login, when there is one.
pub fn statement_timeout(options: PgConnectOptions, settings: &Settings) -> PgConnectOptions {
    match settings.deadlines.statement {
        Some(limit) => options.options([("statement_timeout", limit.as_millis().to_string())]),
        None => options,
    }
}
