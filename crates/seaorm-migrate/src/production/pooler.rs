//! SeaORM behind PgBouncer: sqlx's rules, since SeaORM runs on sqlx.
//!
//! sqlx names every prepared statement (`sqlx_s_N`) and, with its statement
//! cache, keeps it on the connection for reuse. PgBouncer's transaction mode
//! gives each transaction whatever server connection is free, so a statement
//! prepared on one is missing on the next. `STATEMENT_CACHE=off`
//! (`statement_cache_capacity(0)`, set by [`super::sqlx_options`]) does not
//! cure it: sqlx 0.9.0 still prepares by name (sqlx #3850). So this crate
//! runs behind PgBouncer in session mode, and migrates on a direct
//! connection. The book's Scaling chapter has the tests behind each case.

/// What to do when the database reports a prepared statement missing or
/// doubled: the hint the crate's errors carry ([`support::pooler_hint`]).
pub const CURE: &str =
    "SeaORM (on sqlx) needs PgBouncer's session mode (devdb url --via pgbouncer-session)";
