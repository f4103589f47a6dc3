//! seaorm-migrate: the study's "Utilização do Async Alembic" section
//! (`src/migrate_db.py`) in Rust, with SeaORM and sea-orm-migration.
//!
//! The lesson, in reading order after `main.rs`: [`tour`] (the study in its
//! order, on the pool of [`db`]), [`queries`], [`types`],
//! [`migrate`] (every Alembic verb over the `migration` crate), [`drift`]
//! (`alembic check`), [`create_all`] (`Base.metadata.create_all`), [`api`],
//! then [`beyond`] (relations, filters, large results). What a deployment adds is in
//! [`production`]; [`cli`] and [`error`] are plumbing.

/// The study's queries through SeaORM's entity API.
pub mod queries;

/// PostgreSQL's own types: an enum, an array, jsonb, a uuid and numeric.
pub mod types;

/// Beyond the study: relations, dynamic filters and streaming large results.
pub mod beyond;

/// The engine (`DatabaseConnection`) and the session (`DatabaseTransaction`).
pub mod db;

/// The Alembic verbs over sea-orm-migration.
pub mod migrate;

/// `alembic check`: the entities against the migrated database.
pub mod drift;

/// `Base.metadata.create_all`: tables straight from the entities.
pub mod create_all;

/// The heroes API (`serve`): this crate's unit of work and queries behind
/// the shared routes of `heroes-api`.
pub mod api;

/// The tour: every idiom in the study's order, printed beside its Python.
pub mod tour;

/// What a deployment adds: checkout checks, deadlines, PgBouncer, the
/// migration lock, replica reads.
pub mod production;

/// The command line: the subcommands and what each runs.
pub mod cli;

/// Errors, each one readable line with an exit code.
pub mod error;

pub use error::{Error, Result};

/// The `app_src` stamped on every row this crate writes.
pub const APP_SRC: &str = "seaorm-migrate";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "seaorm_migrate";
