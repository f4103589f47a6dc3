//! async-diesel: the study's asyncpg section in diesel-async (no libpq).
//!
//! Run with `cargo run -p async-diesel` (the tour); `-- serve` serves the
//! heroes API, `-- migrate up|down|history|redo|plan` runs the Alembic verbs,
//! `-- --help` lists the rest; `ECHO=1` prints every SQL statement,
//! `POOL_SIZE=2` shrinks the pool.
//!
//! Read this file, then `queries.rs` (the study's queries), `db.rs` (the pool
//! and the session), `migrate.rs` over the workspace's `migrations/`,
//! `concurrency.rs` (what only async gives) and `api.rs`; `tour.rs` runs them
//! in the study's order. What a deployment adds stands apart in `production/`.

use std::process::ExitCode;

use async_diesel::cli::{self, Cli};
use async_diesel::db::{self, Settings};
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> async_diesel::Result<()> {
    dotenvy::dotenv().ok(); // DATABASE_URL may come from `.env`
    // This crate's own database on the DATABASE_URL server, created when
    // missing; devdb starts a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log, before any connection
    // `create_async_engine(url)`: the pool every query runs on (db.rs),
    // sized by POOL_SIZE.
    let pool = db::pool(&db.url, &cli.settings()).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection, straight to the server (production/migrations.rs).
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection()).await?;
    cli::run(cli, &pool, migration_pool).await
}
