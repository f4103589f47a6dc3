//! sync-diesel: the study's psycopg2 section in synchronous Diesel.
//!
//! Run with `cargo run -p sync-diesel` (the tour); `-- serve` serves the
//! heroes API, `-- migrate up|down|history|redo|plan|check` runs the Alembic
//! verbs, `-- --help` lists the rest; `ECHO=1` prints every SQL statement.
//!
//! Read this file, then `tour.rs`, which runs the study's queries
//! (`queries.rs`) in its order on the pool of `db.rs`.

use std::process::ExitCode;

use sync_diesel::cli::{self, Cli, Command};
use sync_diesel::db::{self, Settings};
use sync_diesel::tour;

// No async runtime: Diesel here is blocking, like psycopg2 (`serve` starts
// one for its HTTP server only).
fn main() -> ExitCode {
    let cli = cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli))
}

fn run(cli: &Cli) -> sync_diesel::Result<()> {
    // This crate's own database on the DATABASE_URL server (or `.env`'s),
    // created when missing; a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1, before any connection
    let (None | Some(Command::Tour)) = &cli.command else {
        return cli::run(cli, &db); // serve, migrate: cli.rs
    };
    // `create_engine(url)`: the pool every query of the tour runs on.
    let pool = db::pool(&db.url, &Settings::default())?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // the tour: one connection, straight to the server, never a pooler.
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection())?;
    tour::run(&pool, &migration_pool, cli.database())
}
