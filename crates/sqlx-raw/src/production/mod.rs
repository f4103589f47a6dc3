//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (a ping after an idle spell, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): a login deadline sqlx lacks, and `statement_timeout`;
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

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::error::Result;

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

/// What `options.connect(url)` does, with what a deployment adds: the
/// checkout check ([`checkout::checks`]), the statement deadline and the
/// statement cache setting on every connection, and the first connection
/// opened within the login deadline ([`deadlines::open_first_connection`]),
/// so that a wrong URL or a server that is down is reported at start-up.
pub async fn connect(options: PgPoolOptions, url: &str, settings: &Settings) -> Result<PgPool> {
    let connect = PgConnectOptions::from_str(url)?;
    let connect =
        pooler::statement_cache(deadlines::statement_timeout(connect, settings), settings);
    let pool = checkout::checks(options, settings).connect_lazy_with(connect);
    deadlines::open_first_connection(&pool, settings).await?;
    Ok(pool)
}
