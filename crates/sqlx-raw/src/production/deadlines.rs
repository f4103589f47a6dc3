//! Nothing waits without a bound: a login deadline, and `statement_timeout`.
//!
//! sqlx 0.9 bounds a whole acquire by `acquire_timeout`, opening a
//! connection and its login included, so a server that accepts TCP and never
//! answers fails the first caller after it, but as a bare "pool timed out".
//! [`open_first_connection`] opens the pool's first connection under
//! `PGCONNECT_TIMEOUT` instead and says so: the server did not answer within
//! it (conformance scenario 10).
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
