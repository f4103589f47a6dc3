//! async-diesel: the study's asyncpg section in diesel-async (no libpq). No
//! arguments: the tour. `serve`: the same queries behind the heroes HTTP API.
//! Run: `cargo run -p async-diesel [-- serve | migrate history | --help]`,
//! `ECHO=1` to print every SQL statement, `POOL_SIZE=2` for a smaller pool.

use std::process::ExitCode;

use async_diesel::cli::{self, Cli};
use async_diesel::engine::{Engine, EngineOptions};
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> async_diesel::Result<()> {
    dotenvy::dotenv().ok(); // DATABASE_URL from the environment or `.env`
    // This crate's database on that server, created when missing; when nothing
    // answers on localhost, devdb starts the local cluster. Two URLs: queries
    // go to DATABASE_URL (perhaps a PgBouncer), migrations to the server
    // itself (MIGRATION_DATABASE_URL; docs/SCALING.md).
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log, before any connection
    // `create_async_engine(url)`: a deadpool pool of AsyncPgConnection sized by
    // POOL_SIZE (src/engine.rs).
    let engine = Engine::connect(&db.url, cli.engine_options()).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection to the server, dropped once migrating is done.
    let migrations = Engine::connect(&db.migration_url, EngineOptions::one_connection()).await?;
    cli::run(cli, &engine, migrations).await
}
