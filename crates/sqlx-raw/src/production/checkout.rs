//! Handing out a connection without a round trip, and without handing out a
//! dead one.
//!
//! sqlx's default (`test_before_acquire(true)`) pings every connection as it
//! leaves the pool: one more round trip per use, which cost a large part of
//! the throughput in the measured comparison's "(before)" rows. sqlx 0.9
//! also pings every connection as it comes *back* to the pool (always, not
//! configurable), so a connection in steady use was checked moments ago.
//! What is left is a connection that then sat idle, which the server or a
//! firewall may have dropped meanwhile: [`checks`] pings only one idle for
//! [`PING_IF_IDLE_FOR`] (HikariCP's `aliveBypassWindowMs`, same value). A
//! connection killed within that window is caught when `BEGIN` fails on it:
//! nothing of the transaction has run, so [`crate::production::begin`] begins once
//! more on a fresh one ([`lost_before_begin`]). Nothing after `BEGIN` is
//! retried. Conformance scenarios 5, 7 and 12 (the book's behaviour table)
//! kill backends under the pool to hold this.

use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::PgPoolOptions;

use super::Settings;

/// A connection idle in the pool at least this long is pinged before it is
/// handed out.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

// ANCHOR: checks
/// `options` with this project's checkout check: a ping only after an idle
/// spell, or on every checkout when `settings.ping_every_checkout`.
pub fn checks(options: PgPoolOptions, settings: &Settings) -> PgPoolOptions {
    let options = options.test_before_acquire(settings.ping_every_checkout);
    if settings.ping_every_checkout {
        return options;
    }
    options.before_acquire(|conn, meta| {
        Box::pin(async move {
            if meta.idle_for >= PING_IF_IDLE_FOR {
                conn.ping().await?; // an error: sqlx drops it and opens another
            }
            Ok(true)
        })
    })
}
// ANCHOR_END: checks

/// Whether `BEGIN` failed because its connection was already gone: a socket
/// or protocol error, SQLSTATE class 08, 57P01 or 57P02.
pub fn lost_before_begin(err: &sqlx::Error) -> bool {
    support::sqlx_connection_lost(err)
}
