//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (tokio-postgres' `is_closed`, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): the login deadline and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): `migrate plan`, and migrations from other sources;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica.

pub mod checkout;
pub mod deadlines;
pub mod migrations;
pub mod pooler;
pub mod replica;

/// The settings a deployment adds to [`crate::db::Settings`].
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (`STATEMENT_CACHE`,
    /// default on); see [`pooler`].
    pub statement_cache: bool,
    /// Run `SELECT 1` on each connection as it leaves the pool (deadpool's
    /// `RecyclingMethod::Verified`, diesel-async's default): one round trip
    /// per checkout. Off here (see [`checkout`]); the benchmark turns it on to
    /// measure what it costs.
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
