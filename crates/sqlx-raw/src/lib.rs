//! sqlx-raw: the study's queries as plain SQL with sqlx, checked against the
//! database at compile time (or against the committed `.sqlx/` data).
//!
//! The lesson, in reading order after `main.rs`: [`tour`] (the study in its
//! order, on the pool of [`db`]), [`queries`], [`types`],
//! [`migrate`], [`api`], then [`beyond`] (relations, filters, large results). What a
//! deployment adds is in [`production`], with the pool `serve` runs on; [`cli`] and [`error`] are plumbing.

/// The study's queries, one compile-time-checked SQL statement each.
pub mod queries;

/// PostgreSQL's own types: an enum, an array, jsonb, a uuid and numeric.
pub mod types;

/// Beyond the study: relations, dynamic filters and streaming large results.
pub mod beyond;

/// The engine (`PgPool`) and the session (a transaction).
pub mod db;

/// sqlx's reversible migrations and the Alembic verbs.
pub mod migrate;

/// The heroes API (`serve`): this crate's unit of work and queries behind
/// the shared routes of `heroes-api`.
pub mod api;

/// The tour: every idiom in the study's order, printed beside its Python.
pub mod tour;

/// What a deployment adds: checkout checks, deadlines, PgBouncer, the
/// migration connection, replica reads, bulk loads.
pub mod production;

/// The command line: the subcommands and what each runs.
pub mod cli;

/// Errors, each one readable line with an exit code.
pub mod error;

pub use error::{Error, Result};

/// The `app_src` stamped on every row this crate writes.
pub const APP_SRC: &str = "sqlx-raw";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "sqlx_raw";
