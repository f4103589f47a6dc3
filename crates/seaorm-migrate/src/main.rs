//! seaorm-migrate: the study's async Alembic section in SeaORM. No arguments:
//! the tour. `serve`: the same queries over HTTP; `migrate`: every Alembic verb.
//! Run: `cargo run -p seaorm-migrate [-- serve | migrate status | check |
//! --help]`, `ECHO=1` to print every SQL statement.

use std::process::ExitCode;

use clap::Parser as _;
use seaorm_migrate::cli::{self, Cli};
use seaorm_migrate::engine;

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> seaorm_migrate::Result<()> {
    if let Some(generated) = cli::generate(cli) {
        return generated; // `migrate generate` only writes a file
    }
    dotenvy::dotenv().ok(); // DATABASE_URL from the environment or `.env`
    // This crate's database on that server, created when missing; when nothing
    // answers on localhost, devdb starts the local cluster. Two URLs: queries
    // go to DATABASE_URL (perhaps a PgBouncer), migrations to the server
    // itself (MIGRATION_DATABASE_URL; docs/SCALING.md).
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log, before any connection
    // `create_async_engine(url)`: `Database::connect` (src/engine.rs).
    let pool = engine::connect(&db.url).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection to the server, closed once migrating is done.
    let migrations =
        engine::connect_with(&db.migration_url, engine::EngineOptions::one_connection()).await?;
    let result = cli::run(cli, &pool, migrations).await;
    pool.close_by_ref().await?;
    result
}
