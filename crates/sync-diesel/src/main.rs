//! sync-diesel: synchronous Diesel against PostgreSQL, the seed's psycopg2
//! section in Rust. With no arguments it runs the tour: migrate to head, insert
//! the seed heroes in one transaction, then every query idiom of the study, a
//! join, an update, a delete and a failing batch that rolls back. `serve` puts
//! the same queries behind the heroes HTTP API (Diesel stays blocking; the
//! server hands each call to a blocking thread).
//!
//! Run with:
//! ```text
//! cargo run -p sync-diesel                       # the tour
//! ECHO=1 cargo run -p sync-diesel                # the tour, printing every SQL statement
//! cargo run -p sync-diesel -- serve              # the heroes API on http://127.0.0.1:8000
//! cargo run -p sync-diesel -- migrate history    # also: migrate up | down [-n N] | redo | check
//! cargo run -p sync-diesel -- --help
//! ```

use std::process::ExitCode;

use clap::Parser as _;
use sync_diesel::cli::{self, Cli};
use sync_diesel::engine::{self, EngineOptions};

// No async runtime: Diesel here is blocking, like psycopg2. (Only `serve`
// starts one, for the HTTP server.)
fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // Errors end here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli))
}

fn run(cli: &Cli) -> sync_diesel::Result<()> {
    // DATABASE_URL, from the environment or `.env`, names the PostgreSQL
    // server (default: the local-dev one of `.env.example`).
    dotenvy::dotenv().ok();
    // This crate works in a database of its own on that server, created when
    // missing; when nothing answers on localhost, devdb starts a local cluster.
    let url = devdb::database_url(cli.database())?;
    // ECHO=1 (SQLAlchemy's `echo=True`) and, for `serve`, the request log.
    cli::set_up_output(cli);
    // `create_engine(url)`: an r2d2 pool of PgConnection, shared by every
    // command (src/engine.rs sets its size and timeouts, and says why).
    let pool = engine::engine(&url, EngineOptions::default())?;
    cli::run(cli, &pool)
}
