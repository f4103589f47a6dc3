//! sync-diesel: the seed's "Driver Síncrono - psycopg2" section (`src/db.py`)
//! in Rust, with synchronous Diesel.
//!
//! Reading order: `main.rs` (runtime-free start, `DATABASE_URL`), [`engine`]
//! (the engine and the session), [`migrate`] (the Alembic verbs over
//! `migrations/`), [`queries`] (the study's queries as Diesel values),
//! [`heroes`] (one function per query idiom), [`tour`] (all of it in the order
//! of the study), [`api`] (the same queries behind an HTTP server), [`cli`]
//! (the command line).

/// The heroes API (`serve`): a blocking driver behind the shared routes of
/// `heroes-api`, through `spawn_blocking`.
pub mod api;
/// The command line: the subcommands and what each runs.
pub mod cli;
/// Compares diesel's `table!` schema with the migrated database.
pub mod drift;
/// `create_engine` and the session: an r2d2 pool and a transaction scope.
pub mod engine;
/// Errors, each one readable line with an exit code.
pub mod error;
/// Every query idiom of the study, one function each.
pub mod heroes;
/// This crate's `migrations/`, embedded, and the Alembic verbs over them.
pub mod migrate;
/// The study's read queries as Diesel query values (async-diesel runs them too).
pub mod queries;
/// Reads from a streaming replica that see your own writes.
pub mod replica;
/// The tour, step by step.
pub mod tour;

pub use error::{Error, Result};

/// The `app_src` stamped on every row this crate writes.
pub const APP_SRC: &str = "sync-diesel";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "sync_diesel";
