//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out; connections opened on demand only;
//! - [`deadlines`](crate::production::deadlines): libpq's login deadline and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): `migrate plan`, and migrations from other sources;
//! - [`blocking`](crate::production::blocking): a blocking call from an async server, cancelled safely;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`export`](crate::production::export): streaming an export to a client that may leave.

pub mod blocking;
pub mod checkout;
pub mod deadlines;
pub mod export;
pub mod migrations;
pub mod pooler;
pub mod replica;

use diesel::r2d2::Builder;

use crate::db::Pool;
use crate::error::{Error, Result};

/// The settings a deployment adds to [`crate::db::Settings`]: deadlines,
/// the statement cache, the checkout ping (the same in all four crates).
pub use support::production::Settings;

/// What `builder.build(ConnectionManager::new(url))` does, with what a
/// deployment adds: the deadlines in the URL libpq reads
/// ([`deadlines::in_url`]), connections opened on demand only and checked
/// without a round trip ([`checkout::Manager`]), and the first connection
/// opened at once ([`deadlines::open_first_connection`]), so that a wrong URL
/// or a server that is down is reported at start-up.
pub fn build(builder: Builder<checkout::Manager>, url: &str, settings: &Settings) -> Result<Pool> {
    let url = deadlines::in_url(url, settings)?;
    let pool = builder
        .min_idle(Some(0)) // opened by the caller that needs one: see checkout
        .test_on_check_out(true) // asks the manager, which pings only after an idle spell
        .build(checkout::Manager::new(&url, settings))
        .map_err(Error::Pool)?;
    deadlines::open_first_connection(&pool, settings)?;
    Ok(pool)
}
