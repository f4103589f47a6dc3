//! The engine and the session, the SeaORM way: `Database::connect` returns a
//! `DatabaseConnection` (a sqlx pool inside), and `db.begin()` returns a
//! `DatabaseTransaction`, the session: `commit()` keeps its work, dropping it
//! rolls back.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::Result;

/// The default pool size (`max_connections`).
pub const MAX_CONNECTIONS: u32 = 8;

/// How long a caller waits for a free connection by default.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// `create_async_engine(url, echo=...)`: connects (opening the first
/// connection, so a bad server is reported here) with a bounded pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection> {
    connect_with(url, MAX_CONNECTIONS, ACQUIRE_TIMEOUT, true).await
}

/// [`connect`] with a pool of at most `max_connections`, where a caller waits
/// at most `acquire_timeout` for a free connection before it gets a
/// `ConnectionAcquire(Timeout)` error instead of hanging. With
/// `test_before_acquire` (the default) each connection is pinged as it leaves
/// the pool, so one the server closed is replaced: one round trip per checkout.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    test_before_acquire: bool,
) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(test_before_acquire)
        // Statement logging goes through sqlx's `tracing` events; they are
        // printed only when `ECHO=1` installed a subscriber (enable_echo).
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Info);
    Ok(Database::connect(options).await?)
}

/// `echo=True`: print every statement SeaORM runs, as `SQL> ...`.
pub use support::narrate::echo_sqlx_statements as enable_echo;
