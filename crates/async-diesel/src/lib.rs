//! async-diesel: the seed's "Driver Assíncrono - asyncpg" section
//! (`src/async_db.py`) in Rust, with diesel-async on tokio-postgres. No libpq:
//! this is the pure-Rust path.
//!
//! Reading order: `main.rs` (`#[tokio::main]`, `DATABASE_URL`), [`engine`]
//! (the async engine and `async with get_session()`), [`migrate`] (the Alembic
//! verbs through diesel-async's `AsyncConnectionWrapper`), [`heroes`] (one async function per
//! query idiom), [`concurrency`] (many tasks on one pool, pipelining),
//! [`tour`], [`api`] (the same queries behind an HTTP server), [`cli`].
//!
//! The query values and the migrations are sync-diesel's own files, compiled
//! into this crate as well ([`queries`], [`migrations`]): one query, two
//! executors.

/// The heroes API (`serve`): this crate's unit of work and queries behind
/// the shared routes of `heroes-api`.
pub mod api;
/// The command line: the subcommands and what each runs.
pub mod cli;
/// Tasks sharing the pool; two queries in flight on one connection.
pub mod concurrency;
/// `create_async_engine` and the session: a deadpool pool and a transaction scope.
pub mod engine;
/// Errors, each one readable line with an exit code.
pub mod error;
/// Every query idiom of the study, one async function each.
pub mod heroes;
/// The shared migrations, run through `AsyncConnectionWrapper`.
pub mod migrate;
/// sync-diesel's `migrations/` and Alembic verbs (`crates/sync-diesel/src/migrate.rs`),
/// compiled here too: [`migrate`] drives them through diesel-async's harness.
#[path = "../../sync-diesel/src/migrate.rs"]
pub mod migrations;
/// The study's read queries as Diesel query values: sync-diesel's file
/// (`crates/sync-diesel/src/queries.rs`) compiled here too, so both crates run
/// the very same values, one with `.first(conn)`, this one with `.first(conn).await`.
#[path = "../../sync-diesel/src/queries.rs"]
pub mod queries;
/// Reads from a streaming replica that see your own writes.
pub mod replica;
/// The tour, step by step.
pub mod tour;

pub use error::{Error, Result};

/// The `app_src` stamped on every row this crate writes.
pub const APP_SRC: &str = "async-diesel";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "async_diesel";
