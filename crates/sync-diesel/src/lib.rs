//! sync-diesel: the study's "Driver Síncrono - psycopg2" section
//! (`src/db.py`) in Rust, with synchronous Diesel.
//!
//! The lesson, in reading order after `main.rs`: [`tour`] (the study in its
//! order, on the pool of [`db`]), [`queries`], [`types`],
//! [`migrate`] (the Alembic verbs over the workspace's `migrations/`),
//! [`drift`] (`alembic check`), [`api`], then [`beyond`] (relations, filters,
//! large results). What a deployment adds is in [`production`], with the pool `serve` runs on; [`cli`] and [`error`]
//! are plumbing.

/// The study's queries in Diesel's query builder, on a blocking connection.
pub mod queries;

/// PostgreSQL's own types: an enum, an array, jsonb, a uuid and numeric.
pub mod types;

/// Beyond the study: relations, dynamic filters and streaming large results.
pub mod beyond;

/// The engine (an r2d2 pool) and the session (`conn.transaction`).
pub mod db;

/// The workspace's `migrations/`, embedded, and the Alembic verbs.
pub mod migrate;

/// `alembic check`: diesel's `table!` schema against the database.
pub mod drift;

/// The heroes API (`serve`): a blocking driver behind the shared routes of
/// `heroes-api`.
pub mod api;

/// The tour: every idiom in the study's order, printed beside its Python.
pub mod tour;

/// What a deployment adds: checkout checks, deadlines, PgBouncer, migration
/// plans, blocking calls from async, replica reads.
pub mod production;

/// The command line: the subcommands and what each runs.
pub mod cli;

/// Errors, each one readable line with an exit code.
pub mod error;

pub use error::{Error, Result};

/// The `app_src` stamped on every row this crate writes.
pub const APP_SRC: &str = "sync-diesel";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "sync_diesel";
