//! seaorm-migrate: the seed's "Utilização do Async Alembic" section
//! (`src/migrate_db.py`) in Rust, with SeaORM and sea-orm-migration.
//!
//! Reading order: `main.rs` (`#[tokio::main]`, `DATABASE_URL`, the engine), [`migrate`] (the Alembic verbs over the migrations in
//! `migration/`), [`drift`] (`alembic check`: entities vs database),
//! [`create_all`] (`Base.metadata.create_all` beside migrations), [`engine`],
//! [`heroes`] (every query idiom through SeaORM's API), [`tour`], [`cli`].

/// The heroes API (`serve`): this crate's unit of work and queries behind
/// the shared routes of `heroes-api`.
pub mod api;
/// The command line: the subcommands and what each runs.
pub mod cli;
/// Tables straight from the entities, without migrations.
pub mod create_all;
/// Entities vs the migrated database.
pub mod drift;
/// The connection (engine) and echo.
pub mod engine;
/// Errors, each one readable line with an exit code.
pub mod error;
/// Every query idiom of the study through SeaORM.
pub mod heroes;
/// The Alembic verbs over sea-orm-migration.
pub mod migrate;
/// Reads from a streaming replica that see your own writes.
pub mod replica;
/// The tour, step by step.
pub mod tour;

pub use error::{Error, Result};

/// The `app_src` stamped on every row the tour writes.
pub const APP_SRC: &str = "seaorm-migrate";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "seaorm_migrate";
