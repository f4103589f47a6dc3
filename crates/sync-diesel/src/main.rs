//! sync-diesel: the study's psycopg2 section in synchronous Diesel. No
//! arguments: the tour. `serve`: the same queries behind the heroes HTTP API.
//! Run: `cargo run -p sync-diesel [-- serve | migrate history | --help]`,
//! `ECHO=1` to print every SQL statement.

use std::process::ExitCode;

use clap::Parser as _;
use sync_diesel::cli::{self, Cli};
use sync_diesel::engine::{self, EngineOptions};

// No async runtime: Diesel here is blocking, like psycopg2 (`serve` starts one
// for its HTTP server only).
fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli))
}

fn run(cli: &Cli) -> sync_diesel::Result<()> {
    dotenvy::dotenv().ok(); // DATABASE_URL from the environment or `.env`
    // This crate's database on that server, created when missing; when nothing
    // answers on localhost, devdb starts the local cluster. Two URLs: queries
    // go to DATABASE_URL (perhaps a PgBouncer), migrations to the server
    // itself (MIGRATION_DATABASE_URL; docs/SCALING.md).
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log, before any connection
    // `create_engine(url)`: an r2d2 pool of PgConnection (src/engine.rs).
    let pool = engine::engine(&db.url, EngineOptions::default())?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection to the server, dropped once migrating is done.
    let migrations = engine::engine(&db.migration_url, EngineOptions::one_connection())?;
    cli::run(cli, &pool, migrations)
}
