//! What a deployment adds to the lesson: [`pool`](crate::production::pool) and [`begin`](crate::production::begin) are the
//! lesson's `db::pool` and `pool.begin()` with it, and `serve` runs on them.
//! Each piece:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (a ping after an idle spell, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): the login deadline, reported as such, and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): migrating on a connection of its own, `migrate plan`;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`bulk`](crate::production::bulk): loading many rows (UNNEST, COPY);
//! - [`export`](crate::production::export): streaming an export to a client that may leave.

pub mod bulk;
pub mod checkout;
pub mod deadlines;
pub mod export;
pub mod migrations;
pub mod pooler;
pub mod replica;

use std::str::FromStr as _;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use crate::db;
use crate::error::Result;

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

// ANCHOR: pool
/// [`crate::db::pool`] with what a deployment adds: the checkout check
/// ([`checkout::checks`]), the statement deadline and the statement cache
/// setting on every connection, and the first connection opened within the
/// login deadline, reported as such ([`deadlines::open_first_connection`]).
/// `serve` runs on this pool.
pub async fn pool(url: &str, settings: &db::Settings, production: &Settings) -> Result<PgPool> {
    let options = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout);
    let connect = PgConnectOptions::from_str(url)?;
    let connect = pooler::statement_cache(
        deadlines::statement_timeout(connect, production),
        production,
    );
    let pool = checkout::checks(options, production).connect_lazy_with(connect);
    deadlines::open_first_connection(&pool, production).await?;
    Ok(pool)
}
// ANCHOR_END: pool

// ANCHOR: begin
/// `pool.begin()`, once more when `BEGIN` finds its connection closed by the
/// server while it sat in the pool: nothing has run yet, so nothing can run
/// twice ([`checkout::lost_before_begin`]). Nothing after `BEGIN` is retried.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    match pool.begin().await {
        Err(err) if checkout::lost_before_begin(&err) => Ok(pool.begin().await?),
        other => Ok(other?),
    }
}
// ANCHOR_END: begin
