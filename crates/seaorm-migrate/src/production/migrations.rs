//! Migrations in production, for sea-orm-migration.
//!
//! - **A lock.** sea-orm-migration takes none: two deploys running `up` at
//!   once both apply the same migration and the second fails
//!   (`without_a_lock_the_second_of_two_racing_deploys_fails_and_ours_waits_instead`).
//!   [`locked`] holds a session advisory lock around `up` and `down`, on a
//!   connection of its own.
//! - **Straight to the server.** A session lock belongs to one server
//!   connection, which PgBouncer's transaction mode does not keep: the
//!   binaries migrate on `MIGRATION_DATABASE_URL` (or the server behind
//!   devdb's PgBouncer), never through the pooler.
//! - **`migrate plan`**, `alembic upgrade head --sql`: the SQL `up` would
//!   run, for review and for the migration lint in CI.

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, MockDatabase, MockExecResult,
    RuntimeErr, SqlxPostgresConnector,
};
use sea_orm_migration::{MigratorTrait, SchemaManager};
use sqlx::postgres::PgPoolOptions;

use crate::error::{Error, Result};

/// The key of the PostgreSQL advisory lock `migrate::up` and `down` hold
/// while they migrate: any number the database's other users do not lock.
pub const LOCK_KEY: i64 = 0x6865_726f_6573_0002;

/// Runs `run` on a one-connection engine of its own (the same URL and
/// options as `db`) while that connection holds the session advisory lock
/// [`LOCK_KEY`]: two processes migrating one database take turns. A
/// one-connection pool because `db`'s pool may hand each statement to a
/// different connection, and a session lock belongs to one.
pub async fn locked<T>(
    db: &DatabaseConnection,
    run: impl AsyncFnOnce(&DatabaseConnection) -> Result<T>,
) -> Result<T> {
    let options = db.get_postgres_connection_pool().connect_options();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .map_err(|e| Error::Database(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))))?;
    let single = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    single
        .execute_unprepared(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .await?;
    let result = run(&single).await;
    let unlocked = single
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .await;
    // Closing also ends the session, which would release the lock anyway.
    let _ = single.close().await;
    let value = result?;
    unlocked?;
    Ok(value)
}

/// `alembic upgrade head --sql`: the pending migrations and the SQL `up`
/// would send for each, without running anything. The migrations are Rust
/// code, so each one's `up` runs against SeaORM's mock connection, which
/// records the statements the schema builder renders instead of sending them.
/// A migration that reads the database while it runs cannot be planned.
/// `all`: every migration, applied or not (the CI lint renders them all).
pub async fn plan(
    db: &DatabaseConnection,
    all: bool,
) -> Result<Vec<support::app::PlannedMigration>> {
    plan_of::<migration::Migrator>(db, all).await
}

/// [`plan`] for any migrator.
pub async fn plan_of<M: MigratorTrait>(
    db: &DatabaseConnection,
    all: bool,
) -> Result<Vec<support::app::PlannedMigration>> {
    let pending: Vec<String> = if all {
        M::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    } else {
        M::get_pending_migrations_read_only(db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    };
    let mut plan = Vec::new();
    for migration in M::migrations() {
        let name = migration.name().to_owned();
        if !pending.contains(&name) {
            continue;
        }
        let mock = MockDatabase::new(DbBackend::Postgres)
            .append_exec_results((0..256).map(|_| MockExecResult::default()))
            .into_connection();
        migration
            .up(&SchemaManager::new(&mock))
            .await
            .map_err(|source| Error::Migration {
                name: name.clone(),
                source,
            })?;
        let sql: Vec<String> = mock
            .into_transaction_log()
            .iter()
            .flat_map(|t| t.statements().iter().map(|s| format!("{};", s.sql)))
            .collect();
        plan.push(support::app::PlannedMigration {
            in_transaction: migration.use_transaction().unwrap_or(true),
            name,
            sql: sql.join("\n"),
        });
    }
    Ok(plan)
}
