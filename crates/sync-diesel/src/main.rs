//! sync-diesel: the study's psycopg2 section in synchronous Diesel.
//!
//! Run with `cargo run -p sync-diesel` (the tour); `-- serve` serves the
//! heroes API, `-- migrate up|down|history|redo|plan|check` runs the Alembic
//! verbs, `-- --help` lists the rest; `ECHO=1` prints every SQL statement.
//!
//! Read this file, then `queries.rs` (the study's queries), `db.rs` (the pool
//! and the session), `migrate.rs` over the workspace's `migrations/`, and
//! `api.rs`; `tour.rs` runs them in the study's order. What a deployment adds
//! stands apart in `production/`.

use std::process::ExitCode;

use clap::Parser as _;
use sync_diesel::cli::{self, Cli};
use sync_diesel::db::{self, Settings};

// No async runtime: Diesel here is blocking, like psycopg2 (`serve` starts
// one for its HTTP server only).
fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli))
}

fn run(cli: &Cli) -> sync_diesel::Result<()> {
    dotenvy::dotenv().ok(); // DATABASE_URL may come from `.env`
    // This crate's own database on the DATABASE_URL server, created when
    // missing; devdb starts a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1, before any connection
    // `create_engine(url)`: the pool every query runs on (db.rs).
    let pool = db::pool(&db.url, &Settings::default())?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection, straight to the server (production/migrations.rs).
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection())?;
    cli::run(cli, &pool, migration_pool)
}
