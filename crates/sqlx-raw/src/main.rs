//! sqlx-raw: the seed's query idioms as plain SQL with sqlx, checked at compile
//! time. With no arguments it runs the tour: migrate to head, insert the seed
//! heroes in one transaction, every idiom as a `query!`/`query_as!`/
//! `query_scalar!`, a join, an update, a delete, and the three ways a
//! transaction ends (commit, rollback, rollback on drop). `serve` puts the
//! same queries behind the heroes HTTP API.
//!
//! Run with:
//! ```text
//! cargo run -p sqlx-raw                               # the tour
//! ECHO=1 cargo run -p sqlx-raw                        # the tour, printing every SQL statement
//! cargo run -p sqlx-raw -- serve                      # the heroes API on http://127.0.0.1:8000
//! cargo run -p sqlx-raw -- migrate history            # also: migrate up | down [-n N]
//! cargo run --release -p sqlx-raw -- load --count 100000   # UNNEST vs COPY, rows/s
//! cargo run -p sqlx-raw -- --help
//! ```

use std::process::ExitCode;

use clap::Parser as _;
use sqlx_raw::cli::{self, Cli};
use sqlx_raw::engine::{self, EngineOptions};

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // Errors end here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> sqlx_raw::Result<()> {
    // DATABASE_URL, from the environment or `.env`, names the PostgreSQL
    // server (default: the local-dev one of `.env.example`).
    dotenvy::dotenv().ok();
    // This crate works in a database of its own on that server, created when
    // missing; when nothing answers on localhost, devdb starts a local cluster.
    let url = devdb::database_url(cli.database())?;
    // ECHO=1 (SQLAlchemy's `echo=True`) and, for `serve`, the request log.
    cli::set_up_output(cli);
    // `create_async_engine(url)`: a `PgPool`, shared by every command
    // (src/engine.rs sets its size and timeouts).
    let pool = engine::engine(&url, EngineOptions::default()).await?;
    let result = cli::run(cli, &pool).await;
    pool.close().await;
    result
}
