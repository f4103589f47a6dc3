//! sqlx-raw: the study's query idioms as plain SQL, checked at compile time
//! by sqlx. No arguments: the tour. `serve`: the same queries over HTTP.
//! Run: `cargo run -p sqlx-raw [-- serve | migrate history | load --count N |
//! --help]`, `ECHO=1` to print every SQL statement.

use std::process::ExitCode;

use clap::Parser as _;
use sqlx_raw::cli::{self, Cli};
use sqlx_raw::engine::{self, EngineOptions};

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> sqlx_raw::Result<()> {
    dotenvy::dotenv().ok(); // DATABASE_URL from the environment or `.env`
    // This crate's database on that server, created when missing; when nothing
    // answers on localhost, devdb starts the local cluster. Two URLs: queries
    // go to DATABASE_URL (perhaps a PgBouncer), migrations to the server
    // itself (MIGRATION_DATABASE_URL; docs/SCALING.md).
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log, before any connection
    // `create_async_engine(url)`: a sqlx `PgPool` (src/engine.rs).
    let pool = engine::engine(&db.url, EngineOptions::default()).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection to the server, closed once migrating is done.
    let migrations = engine::engine(&db.migration_url, EngineOptions::one_connection()).await?;
    let result = cli::run(cli, &pool, migrations).await;
    pool.close().await;
    result
}
