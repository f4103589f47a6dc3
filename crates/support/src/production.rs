//! The settings a deployment adds to every example crate's pool, read once
//! from the environment so that the four crates agree. Each crate's
//! `production` module says what its library does with them.

/// The settings a deployment adds to a crate's `db::Settings`.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: crate::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (`STATEMENT_CACHE`,
    /// default on); each crate's `production::pooler` says what turning it off
    /// does behind PgBouncer.
    pub statement_cache: bool,
    /// Ping every connection as it leaves the pool, each library's own
    /// default: one round trip per checkout. Off here (each crate's
    /// `production::checkout` says how it stays safe without); the benchmark
    /// turns it on to measure what it costs.
    pub ping_every_checkout: bool,
    /// The most connections `serve`'s pool opens (`POOL_SIZE`), when set;
    /// unset, the crate's `db::Settings` default (8).
    pub pool_size: Option<u32>,
}

impl Settings {
    /// The deadlines and statement cache from the environment, no ping on
    /// checkout. A bad value was refused earlier, with its own error, by
    /// `devdb::database`.
    pub fn from_env() -> Self {
        Self {
            deadlines: crate::deadlines::Deadlines::from_env_or_default(),
            statement_cache: crate::statement_cache_from_env().unwrap_or(true),
            ping_every_checkout: false,
            pool_size: crate::pool_size_from_env().unwrap_or(None),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_env()
    }
}
