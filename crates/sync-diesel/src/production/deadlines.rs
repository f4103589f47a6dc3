//! Nothing waits without a bound: libpq's login deadline, and
//! `statement_timeout`.
//!
//! libpq reads `connect_timeout` (TCP connect and login), `keepalives` and
//! `options=-c statement_timeout=N` from the URL, so [`in_url`] adds
//! `PGCONNECT_TIMEOUT` and `STATEMENT_TIMEOUT_MS` there (conformance
//! scenarios 10 and 11). r2d2 would retry a silent server until its own
//! timeout; [`open_first_connection`] waits for the first connection just
//! past the connect deadline.

use std::time::Duration;

use super::Settings;
use crate::error::{Error, Result};
use crate::production::Pool;

/// `url` with the deadlines as libpq connection parameters (those already in
/// `url` are kept).
pub fn in_url(url: &str, settings: &Settings) -> Result<String> {
    settings.deadlines.in_url(url).map_err(Error::Usage)
}

/// Opens `pool`'s first connection, so that a server that refuses us is
/// reported at start-up; it stays in the pool for the first query.
pub fn open_first_connection(pool: &Pool, settings: &Settings) -> Result<()> {
    let wait = settings.deadlines.connect + Duration::from_millis(500);
    drop(pool.get_timeout(wait)?);
    Ok(())
}
