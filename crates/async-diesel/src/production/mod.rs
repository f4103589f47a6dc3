//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (tokio-postgres' `is_closed`, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): the login deadline and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): `migrate plan`, and migrations from other sources;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`export`](crate::production::export): streaming an export to a client that may leave.

pub mod checkout;
pub mod deadlines;
pub mod export;
pub mod migrations;
pub mod pooler;
pub mod replica;

use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::PoolBuilder;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;

use crate::error::{Error, Result};

/// The pool's manager: how it opens and checks connections.
pub type Manager = AsyncDieselConnectionManager<AsyncPgConnection>;

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

/// `AsyncDieselConnectionManager::new(url)`, with the deadlines in the URL
/// ([`deadlines::in_url`]) and the checkout check and statement cache
/// setting ([`checkout::manager_config`]).
pub fn manager(url: &str, settings: &Settings) -> Result<Manager> {
    let url = deadlines::in_url(url, settings)?;
    Ok(Manager::new_with_config(
        url,
        checkout::manager_config(settings),
    ))
}

/// `builder.build()`, with the deadlines deadpool applies: opening a
/// connection, login included, within the connect deadline, and a bounded
/// check on the way out of the pool.
pub fn build(
    builder: PoolBuilder<Manager>,
    settings: &Settings,
) -> Result<deadpool::managed::Pool<Manager>> {
    builder
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(settings.deadlines.connect))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| Error::Pool(e.to_string()))
}
