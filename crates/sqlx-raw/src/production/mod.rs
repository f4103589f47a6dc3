//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (a ping after an idle spell, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): a login deadline sqlx lacks, and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): migrating on a connection of its own, `migrate plan`;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica;
//! - [`bulk`](crate::production::bulk): loading many rows (UNNEST, COPY).

pub mod bulk;
pub mod checkout;
pub mod deadlines;
pub mod migrations;
pub mod pooler;
pub mod replica;

use std::str::FromStr as _;

use sqlx::postgres::PgConnectOptions;

use crate::error::Result;

/// The settings a deployment adds to [`crate::db::Settings`].
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (`STATEMENT_CACHE`,
    /// default on); see [`pooler`].
    pub statement_cache: bool,
    /// Ping every connection as it leaves the pool, sqlx's own default: one
    /// round trip per checkout. Off here (see [`checkout`]); the benchmark
    /// turns it on to measure what it costs.
    pub ping_every_checkout: bool,
}

impl Settings {
    /// The deadlines and statement cache from the environment, no ping on
    /// checkout. A bad value was refused earlier, with its own error, by
    /// `devdb::database`.
    pub fn from_env() -> Self {
        Self {
            deadlines: support::deadlines::Deadlines::from_env_or_default(),
            statement_cache: support::statement_cache_from_env().unwrap_or(true),
            ping_every_checkout: false,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_env()
    }
}

/// `url` as sqlx's connect options, with the statement deadline and the
/// statement cache setting applied.
pub fn connect_options(url: &str, settings: &Settings) -> Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url)?;
    let options = deadlines::statement_timeout(options, settings);
    Ok(pooler::statement_cache(options, settings))
}
