//! async-diesel: the study's asyncpg section in diesel-async (no libpq).
//!
//! Run with `cargo run -p async-diesel` (the tour); `-- serve` serves the
//! heroes API, `-- migrate up|down|history|redo|plan` runs the Alembic verbs,
//! `-- --help` lists the rest; `ECHO=1` prints every SQL statement,
//! `POOL_SIZE=2` shrinks the pool.
//!
//! Read this file, then `tour.rs`, which runs the study's queries
//! (`queries.rs`) in its order on the pool of `db.rs`, then what only async
//! gives (`concurrency.rs`).

use std::process::ExitCode;

use async_diesel::cli::{self, Cli, Command};
use async_diesel::db::{self, Settings};
use async_diesel::tour;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> async_diesel::Result<()> {
    // This crate's own database on the DATABASE_URL server (or `.env`'s),
    // created when missing; a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log
    let (None | Some(Command::Tour)) = &cli.command else {
        return cli::run(cli, &db).await; // serve, migrate: cli.rs
    };
    // `create_async_engine(url)`: the pool every query of the tour runs on,
    // sized by POOL_SIZE.
    let pool = db::pool(&db.url, &cli.settings()?).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // the tour: one connection, straight to the server, never a pooler.
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection()).await?;
    tour::run(&pool, &migration_pool, cli.database()).await
}
