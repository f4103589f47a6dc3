//! What a deployment adds to the lesson, each piece named once from the
//! lesson where it matters:
//!
//! - [`checkout`](crate::production::checkout): no ping on every checkout, yet no dead connection handed
//!   out (a ping after an idle spell, `BEGIN` retried once);
//! - [`deadlines`](crate::production::deadlines): a login deadline SeaORM and sqlx lack, and
//!   `statement_timeout`;
//! - [`pooler`](crate::production::pooler): the statement cache, and what PgBouncer allows;
//! - [`migrations`](crate::production::migrations): the migration lock SeaORM does not take, `migrate plan`;
//! - [`replica`](crate::production::replica): reading your own writes on a streaming replica.

pub mod checkout;
pub mod deadlines;
pub mod migrations;
pub mod pooler;
pub mod replica;

use sea_orm::ConnectOptions;

/// The settings a deployment adds to [`crate::db::Settings`].
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (`STATEMENT_CACHE`,
    /// default on); see [`pooler`].
    pub statement_cache: bool,
    /// Ping every connection as it leaves the pool, SeaORM's own default:
    /// one round trip per checkout. Off here (see [`checkout`]); the
    /// benchmark turns it on to measure what it costs.
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
