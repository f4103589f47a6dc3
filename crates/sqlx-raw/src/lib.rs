//! sqlx-raw: the seed's query idioms written as plain SQL with sqlx, checked
//! against the database at compile time (or against the committed `.sqlx/` data).
//!
//! Reading order: `main.rs` (`#[tokio::main]`, `DATABASE_URL`, the pool), [`engine`] (the pool and transactions), [`migrate`] (the
//! Alembic verbs over reversible sqlx migrations), [`heroes`] (one SQL
//! statement per idiom), [`bulk`] (UNNEST and COPY), [`tour`], [`cli`].

/// The heroes API (`serve`): this crate's unit of work and queries behind
/// the shared routes of `heroes-api`.
pub mod api;
/// Bulk loads: UNNEST arrays and COPY FROM STDIN.
pub mod bulk;
/// The command line: the subcommands and what each runs.
pub mod cli;
/// `PgPool` (the engine), transactions (the session) and echo.
pub mod engine;
/// Errors, each one readable line with an exit code.
pub mod error;
/// Every query idiom of the study, as compile-time-checked SQL.
pub mod heroes;
/// Reversible sqlx migrations and the Alembic verbs.
pub mod migrate;
/// Reads from a streaming replica that see your own writes.
pub mod replica;
/// The tour, step by step.
pub mod tour;

pub use error::{Error, Result};

/// The `app_src` stamped on every row the tour writes.
pub const APP_SRC: &str = "sqlx-raw";

/// The database this crate uses on the DATABASE_URL server by default.
pub const DATABASE: &str = "sqlx_raw";
