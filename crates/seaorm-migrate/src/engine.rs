//! The engine and the session, the SeaORM way: `Database::connect` returns a
//! `DatabaseConnection` (a sqlx pool inside), and `db.begin()` returns a
//! `DatabaseTransaction`, the session: `commit()` keeps its work, dropping it
//! rolls back.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::Result;

/// The pool size (`max_connections`).
pub const MAX_CONNECTIONS: u32 = 8;

/// `create_async_engine(url, echo=...)`: connects (opening the first
/// connection, so a bad server is reported here) with a bounded pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(MAX_CONNECTIONS)
        .connect_timeout(Duration::from_secs(5))
        // A caller waits at most this long for a free connection.
        .acquire_timeout(Duration::from_secs(5))
        // Statement logging goes through sqlx's `tracing` events; they are
        // printed only when `ECHO=1` installed a subscriber (enable_echo).
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Info);
    Ok(Database::connect(options).await?)
}

/// `echo=True`: print every statement SeaORM runs, as `SQL> ...`.
pub use heroes_model::narrate::echo_sqlx_statements as enable_echo;
