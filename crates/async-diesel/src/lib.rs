//! async-diesel: the study's "Driver Assíncrono - asyncpg" section
//! (`src/async_db.py`) in Rust, with diesel-async on tokio-postgres. No libpq:
//! this is the pure-Rust path.
//!
//! The lesson, in reading order after `main.rs`: [`tour`] (the study in its
//! order, on the pool of [`db`]), [`queries`], [`types`],
//! [`migrate`] (the Alembic verbs through diesel-async's connection wrapper),
//! [`concurrency`] (what only async gives), [`api`], then [`beyond`]
//! (relations, filters, large results). What a deployment adds is in [`production`], with the pool `serve` runs on; [`cli`] and
//! [`error`] are plumbing.

/// The study's queries in Diesel's query builder, awaited.
pub mod queries;

/// PostgreSQL's own types: an enum, an array, jsonb, a uuid and numeric.
pub mod types;

/// Beyond the study: relations, dynamic filters and streaming large results.
pub mod beyond;

/// The async engine (a deadpool pool) and the session.
pub mod db;

/// The workspace's `migrations/`, embedded, and the Alembic verbs.
pub mod migrate;

/// Many tasks on one small pool; two queries in flight on one connection.
pub mod concurrency;

/// The heroes API (`serve`): this crate's unit of work and queries behind
/// the shared routes of `heroes-api`.
pub mod api;

/// The tour: every idiom in the study's order, printed beside its Python.
pub mod tour;

/// What a deployment adds: checkout checks, deadlines, PgBouncer, migration
/// plans, replica reads.
pub mod production;

/// The command line: the subcommands and what each runs.
pub mod cli;

/// Errors, each one readable line with an exit code.
pub mod error;

pub use error::{Error, Result};

/// The `app_src` stamped on every row this crate writes.
pub const APP_SRC: &str = "async-diesel";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "async_diesel";
