//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (a ping after an idle spell, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): a login deadline SeaORM and sqlx lack, and
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

use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::Result;

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

/// What `Database::connect(options)` does, with what a deployment adds: the
/// checkout check ([`checkout::checks`]), the statement deadline and the
/// statement cache setting ([`sqlx_options`]), and the connection made within
/// the login deadline ([`deadlines::within_connect_deadline`]), so that a
/// wrong URL or a server that is down is reported at start-up.
pub async fn connect(
    mut options: ConnectOptions,
    settings: &Settings,
) -> Result<DatabaseConnection> {
    checkout::checks(&mut options, settings);
    sqlx_options(&mut options, settings);
    deadlines::within_connect_deadline(Database::connect(options), settings).await
}

/// The settings SeaORM passes on to sqlx's connect options: the statement
/// deadline and the statement cache. One function for both, because SeaORM
/// keeps only the last `map_sqlx_postgres_opts` it is given.
pub fn sqlx_options(options: &mut ConnectOptions, settings: &Settings) {
    let statement_timeout = settings
        .deadlines
        .statement
        .map(|limit| limit.as_millis().to_string());
    let statement_cache = settings.statement_cache;
    options.map_sqlx_postgres_opts(move |mut pg| {
        if let Some(limit) = &statement_timeout {
            // Sent at login: the server cancels any statement running longer.
            pg = pg.options([("statement_timeout", limit.clone())]);
        }
        if !statement_cache {
            pg = pg.statement_cache_capacity(0);
        }
        pg
    });
}
