//! async-diesel: diesel-async against PostgreSQL, the seed's asyncpg section
//! in Rust (no libpq). With no arguments it runs the tour: migrate to head,
//! insert the seed heroes, every query idiom awaited, a join, an update, a
//! delete, a failing batch, then many tasks on one small pool and two queries
//! pipelined on one connection. `serve` puts the same queries behind the heroes
//! HTTP API.
//!
//! Run with:
//! ```text
//! cargo run -p async-diesel                       # the tour
//! POOL_SIZE=2 cargo run -p async-diesel           # the tour on a pool of 2
//! ECHO=1 cargo run -p async-diesel                # the tour, printing every SQL statement
//! cargo run -p async-diesel -- serve              # the heroes API on http://127.0.0.1:8000
//! cargo run -p async-diesel -- migrate history    # also: migrate up | down [-n N] | redo
//! cargo run -p async-diesel -- --help
//! ```

use std::process::ExitCode;

use async_diesel::cli::{self, Cli};
use async_diesel::engine::Engine;
use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // Errors end here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> async_diesel::Result<()> {
    // DATABASE_URL, from the environment or `.env`, names the PostgreSQL
    // server (default: the local-dev one of `.env.example`).
    dotenvy::dotenv().ok();
    // This crate works in a database of its own on that server, created when
    // missing; when nothing answers on localhost, devdb starts a local cluster.
    let url = devdb::database_url(cli.database())?;
    // ECHO=1 (SQLAlchemy's `echo=True`) and, for `serve`, the request log.
    cli::set_up_output(cli);
    // `create_async_engine(url)`: a deadpool pool of AsyncPgConnection, sized
    // by POOL_SIZE and shared by every command (src/engine.rs).
    let engine = Engine::connect(&url, cli.engine_options()).await?;
    cli::run(cli, &engine).await
}
