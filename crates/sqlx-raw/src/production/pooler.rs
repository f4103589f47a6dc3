//! sqlx behind PgBouncer.
//!
//! sqlx names every prepared statement (`sqlx_s_N`) and, with its statement
//! cache, keeps it on the connection for reuse. PgBouncer's transaction mode
//! gives each transaction whatever server connection is free, so a statement
//! prepared on one is missing on the next (`prepared statement "sqlx_s_1"
//! does not exist`). `STATEMENT_CACHE=off` (`statement_cache_capacity(0)`)
//! does not cure it: sqlx 0.9.0 still prepares by name, in one exchange, and
//! binds in another (sqlx #3850). So this crate runs behind PgBouncer in
//! session mode, and migrates on a direct connection ([`super::migrations`]).
//! The book's Scaling chapter has the tests behind each case.

use sqlx::postgres::PgConnectOptions;

use super::Settings;

/// What to do when the database reports a prepared statement missing or
/// doubled: the hint the crate's errors carry ([`support::pooler_hint`]).
pub const CURE: &str = "sqlx needs PgBouncer's session mode (devdb url --via pgbouncer-session)";

/// `options` without the prepared-statement cache when `STATEMENT_CACHE=off`.
pub fn statement_cache(options: PgConnectOptions, settings: &Settings) -> PgConnectOptions {
    if settings.statement_cache {
        options
    } else {
        options.statement_cache_capacity(0)
    }
}
