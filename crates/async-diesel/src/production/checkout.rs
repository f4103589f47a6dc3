//! Handing out a connection without a round trip, and without handing out a
//! dead one.
//!
//! diesel-async's default check (`RecyclingMethod::Verified`) sends
//! `SELECT 1` as each connection leaves the pool: one more round trip per
//! use (the measured comparison's "(before)" rows). `Fast` sends nothing:
//! diesel-async then asks tokio-postgres' `Client::is_closed()`, which turns
//! true as soon as the connection's background task reads the server's
//! goodbye (a killed backend, a restart). A connection killed just before
//! checkout, whose goodbye was not read yet, is caught when `BEGIN` fails on
//! it: nothing has run, so [`crate::production::session`] begins once more
//! ([`lost_before_begin`]). Conformance scenarios 5, 7 and 12 kill backends
//! under the pool.

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
use support::diesel::{Trouble, trouble};

use super::{Settings, pooler};

/// The pool manager's configuration: how connections are checked on their
/// way out, and how new ones are set up.
pub fn manager_config(settings: &Settings) -> ManagerConfig<AsyncPgConnection> {
    let mut config = ManagerConfig::default();
    config.recycling_method = if settings.ping_every_checkout {
        RecyclingMethod::Verified
    } else {
        RecyclingMethod::Fast
    };
    if !settings.statement_cache {
        pooler::without_statement_cache(&mut config);
    }
    config
}

/// Whether `BEGIN` failed because the connection was already gone (closed,
/// or the server ending sessions).
pub fn lost_before_begin(err: &diesel::result::Error) -> bool {
    trouble(err) == Trouble::Unavailable
}
