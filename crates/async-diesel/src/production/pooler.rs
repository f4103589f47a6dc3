//! diesel-async behind PgBouncer.
//!
//! diesel-async prepares each statement by name through tokio-postgres
//! (`prepare_typed`, names like `s9`), cache or no cache, and a new
//! connection's setup runs statements of its own. PgBouncer's transaction
//! mode gives each transaction whatever server connection is free, so a name
//! prepared on one is missing on the next: this crate cannot run through
//! transaction mode, and runs behind PgBouncer in session mode
//! (`the_tour_and_serve_run_through_pgbouncer_in_session_mode`). Migrations go
//! straight to the server. The book's Scaling chapter has the whole table.

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::ManagerConfig;

/// What to do when the database reports a prepared statement missing or
/// doubled: the hint the crate's errors carry ([`support::pooler_hint`]).
pub const CURE: &str =
    "diesel-async needs PgBouncer's session mode (devdb url --via pgbouncer-session)";

/// New connections without the prepared-statement cache (`STATEMENT_CACHE=off`).
pub fn without_statement_cache(config: &mut ManagerConfig<AsyncPgConnection>) {
    config.custom_setup = Box::new(|url| {
        Box::pin(async move {
            use diesel_async::AsyncConnection as _;
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
            Ok(conn)
        })
    });
}
