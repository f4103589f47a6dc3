//! Nothing waits without a bound: the login deadline, and
//! `statement_timeout`.
//!
//! tokio-postgres reads `connect_timeout` (the TCP connect only),
//! `keepalives` and `options=-c statement_timeout=N` from the URL, so
//! [`in_url`] adds `PGCONNECT_TIMEOUT` and `STATEMENT_TIMEOUT_MS` there; the
//! pool's create timeout ([`crate::production::pool`]) bounds the login as well
//! (conformance scenarios 10 and 11).

use super::Settings;
use crate::error::{Error, Result};

/// `url` with the deadlines as connection parameters (those already in `url`
/// are kept).
pub fn in_url(url: &str, settings: &Settings) -> Result<String> {
    settings.deadlines.in_url(url).map_err(Error::Usage)
}
