//! What a deployment adds to the lesson: [`pool`](crate::production::pool) and [`begin`](crate::production::begin) are the
//! lesson's `db::pool` and `db.begin()` with it, and `serve` runs on them.
//! Each piece:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (a ping after an idle spell, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): the login deadline, reported as such, and
//!   `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): the migration lock SeaORM does not take, `migrate plan`;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`export`](crate::production::export): streaming an export to a client that may leave.

pub mod checkout;
pub mod deadlines;
pub mod export;
pub mod migrations;
pub mod pooler;
pub mod replica;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, TransactionTrait,
};

use crate::db;
use crate::error::Result;

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

// ANCHOR: pool
/// [`crate::db::pool`] with what a deployment adds: the checkout check
/// ([`checkout::checks`]), the statement deadline and the statement cache
/// setting ([`sqlx_options`]), and the connection made within the login
/// deadline, reported as such ([`deadlines::within_connect_deadline`]).
/// `serve` runs on this engine.
pub async fn pool(
    url: &str,
    settings: &db::Settings,
    production: &Settings,
) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Info);
    if let Some(limit) = production.deadlines.statement {
        options.statement_timeout(limit); // sent at login as `statement_timeout`
    }
    checkout::checks(&mut options, production);
    sqlx_options(&mut options, production);
    deadlines::within_connect_deadline(Database::connect(options), production).await
}
// ANCHOR_END: pool

// ANCHOR: begin
/// `db.begin()`, once more when `BEGIN` finds its connection closed by the
/// server while it sat in the pool: nothing has run yet, so nothing can run
/// twice ([`checkout::lost_before_begin`]). Nothing after `BEGIN` is retried.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    match db.begin().await {
        Err(err) if checkout::lost_before_begin(&err) => Ok(db.begin().await?),
        other => Ok(other?),
    }
}
// ANCHOR_END: begin

/// The setting SeaORM's `ConnectOptions` has no method for, passed on to
/// sqlx's connect options: the statement cache, off behind a pooler that
/// cannot keep prepared statements.
pub fn sqlx_options(options: &mut ConnectOptions, settings: &Settings) {
    if !settings.statement_cache {
        options.map_sqlx_postgres_opts(|pg| pg.statement_cache_capacity(0));
    }
}
