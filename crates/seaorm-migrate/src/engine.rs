//! The engine and the session, the SeaORM way: `Database::connect` returns a
//! `DatabaseConnection` (a sqlx pool inside), and `db.begin()` returns a
//! `DatabaseTransaction`, the session: `commit()` keeps its work, dropping it
//! rolls back.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr,
    TransactionTrait as _,
};

use crate::error::Result;

/// The default pool size (`max_connections`).
pub const MAX_CONNECTIONS: u32 = 8;

/// A connection idle in the pool at least this long is pinged before it is
/// handed out (HikariCP's `aliveBypassWindowMs` is the same idea, at 500 ms):
/// connections in steady use skip the round trip; [`begin`] covers the rest.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// How the pool is sized, how long callers wait, and how it checks its
/// connections.
#[derive(Clone, Copy, Debug)]
pub struct EngineOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a caller waits for a free connection before it gets a
    /// `ConnectionAcquire(Timeout)` error instead of hanging.
    pub acquire_timeout: Duration,
    /// Ping every connection as it leaves the pool (SeaORM's own default):
    /// one round trip per checkout. Off here: only connections idle for
    /// [`PING_IF_IDLE_FOR`] are pinged, and [`begin`] covers the rest.
    pub ping_every_checkout: bool,
    /// Connect-and-login and statement deadlines (`PGCONNECT_TIMEOUT`,
    /// `STATEMENT_TIMEOUT_MS`).
    pub deadlines: support::deadlines::Deadlines,
    /// Keep a prepared-statement cache on each connection (sqlx's default under
    /// SeaORM). Off (`statement_cache_capacity(0)`), sqlx 0.9.0 still prepares
    /// each statement by name and never closes it (sqlx #3850), which
    /// PgBouncer's transaction mode cannot carry
    /// (docs/SCALING.md).
    pub statement_cache: bool,
}

impl EngineOptions {
    /// One connection: the engine migrations run on (they hold a session
    /// lock, so they need one connection straight to the server).
    pub fn one_connection() -> Self {
        Self {
            max_connections: 1,
            ..Self::default()
        }
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_connections: MAX_CONNECTIONS,
            acquire_timeout: Duration::from_secs(5),
            ping_every_checkout: false,
            deadlines: support::deadlines::Deadlines::from_env_or_default(),
            // STATEMENT_CACHE=off; a bad value stopped the program earlier (devdb).
            statement_cache: support::statement_cache_from_env().unwrap_or(true),
        }
    }
}

/// `create_async_engine(url, echo=...)`: connects (opening the first
/// connection, so a bad server is reported here) with a bounded pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection> {
    connect_with(url, EngineOptions::default()).await
}

/// [`connect`] with the pool `engine` describes.
pub async fn connect_with(url: &str, engine: EngineOptions) -> Result<DatabaseConnection> {
    let EngineOptions {
        max_connections,
        acquire_timeout,
        ping_every_checkout,
        deadlines,
        statement_cache,
    } = engine;
    let mut options = ConnectOptions::new(url);
    // SeaORM's `connect_timeout` would only set sqlx's acquire timeout, which
    // `acquire_timeout` replaces: no login deadline. The first connection is
    // opened under the connect deadline at the end instead.
    options
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        // Statement logging goes through sqlx's `tracing` events; they are
        // printed only when `ECHO=1` installed a subscriber (enable_echo).
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Info);
    // One function for every change to sqlx's options: SeaORM keeps the last one set.
    let statement_timeout = deadlines
        .statement
        .map(|limit| limit.as_millis().to_string());
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
    if ping_every_checkout {
        options.test_before_acquire(true);
    } else {
        // sqlx already pings each connection as it comes back to the pool;
        // this pings one again only if it then sat idle (and turns off the
        // ping on every checkout).
        options.test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    }
    match tokio::time::timeout(deadlines.connect, Database::connect(options)).await {
        Ok(db) => Ok(db?),
        Err(_) => Err(crate::error::Error::NoAnswer(deadlines.connect)),
    }
}

/// `session.begin()`: `db.begin()`, once more on a fresh connection if the
/// first one turns out closed (the server ended it while it sat in the pool
/// for less than [`PING_IF_IDLE_FOR`]). Nothing of the transaction has run
/// when `BEGIN` fails, so the retry cannot do anything twice; a connection
/// lost after `BEGIN` fails the transaction whole, and is not retried.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    match db.begin().await {
        Err(err) if connection_lost(&err) => Ok(db.begin().await?),
        other => Ok(other?),
    }
}

/// Whether `err` means the connection itself is gone: a socket error, or the
/// server saying it ended the session (SQLSTATE class 08, 57P01, 57P02).
pub fn connection_lost(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(sqlx))
    | DbErr::Exec(RuntimeErr::SqlxError(sqlx))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = err
    else {
        return false;
    };
    support::sqlx_connection_lost(sqlx)
}

/// `echo=True`: print every statement SeaORM runs, as `SQL> ...`.
pub use support::narrate::echo_sqlx_statements as enable_echo;
