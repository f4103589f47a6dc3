//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out; connections opened on demand only;
//! - [`deadlines`](crate::production::deadlines): libpq's login deadline and `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): `migrate plan`, and migrations from other sources;
//! - [`blocking`](crate::production::blocking): a blocking call from an async server, cancelled safely;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica.

pub mod blocking;
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
    /// Ping every connection as it leaves the pool (r2d2's
    /// `test_on_check_out` with diesel's own check): one round trip per
    /// checkout. Off here (see [`checkout`]); the benchmark turns it on to
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
