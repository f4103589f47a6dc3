//! Handing out a connection without a round trip, and without handing out a
//! dead one.
//!
//! SeaORM's default (`test_before_acquire(true)`, sqlx's) pings every
//! connection as it leaves the pool: one more round trip per use, which cost
//! a large part of the throughput in the measured comparison's "(before)"
//! rows. sqlx 0.9, under SeaORM, also pings every connection as it comes
//! *back* to the pool, so a connection in steady use was checked moments
//! ago. What is left is one that then sat idle, which the server or a
//! firewall may have dropped meanwhile: [`checks`] pings only one idle for
//! [`PING_IF_IDLE_FOR`] (HikariCP's `aliveBypassWindowMs`, same value). A
//! connection killed within that window is caught when `BEGIN` fails on it:
//! nothing of the transaction has run, so [`crate::production::begin`] begins once
//! more ([`lost_before_begin`]). Conformance scenarios 5, 7 and 12 kill
//! backends under the pool to hold this.

use std::time::Duration;

use sea_orm::{ConnectOptions, DbErr, RuntimeErr};

use super::Settings;

/// A connection idle in the pool at least this long is pinged before it is
/// handed out.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// Sets this project's checkout check on `options`: a ping only after an
/// idle spell, or on every checkout when `settings.ping_every_checkout`.
pub fn checks(options: &mut ConnectOptions, settings: &Settings) {
    if settings.ping_every_checkout {
        options.test_before_acquire(true);
    } else {
        options.test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    }
}

/// Whether `BEGIN` failed because its connection was already gone: a socket
/// error, or the server saying it ended the session (SQLSTATE class 08,
/// 57P01, 57P02).
pub fn lost_before_begin(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(sqlx))
    | DbErr::Exec(RuntimeErr::SqlxError(sqlx))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = err
    else {
        return false;
    };
    support::sqlx_connection_lost(sqlx)
}
