//! Diesel behind PgBouncer.
//!
//! Diesel prepares each query as a named statement (`__diesel_stmt_N`) and
//! caches it on the connection. PgBouncer's transaction mode gives each
//! transaction whatever server connection is free, so a name prepared on one
//! is doubled or missing on the next (`prepared statement "__diesel_stmt_1"
//! already exists`). `STATEMENT_CACHE=off` turns the cache off
//! (`CacheSize::Disabled`, set in [`super::checkout::Manager`]): diesel then
//! sends every query as an unnamed statement in one round trip, which
//! transaction mode carries; `serve`, on [`super::pool`], runs that way
//! (`the_tour_runs_through_pgbouncer_in_session_mode_and_serve_in_transaction_mode`;
//! the tour, on Diesel's own pool, keeps the cache and needs session mode). Migrations
//! still go straight to the server: their lock is a session lock. The book's
//! Scaling chapter has the whole table.

/// What to do when the database reports a prepared statement missing or
/// doubled: the hint the crate's errors carry ([`support::pooler_hint`]).
pub const CURE: &str = "set STATEMENT_CACHE=off for `serve`, or use session mode";
