//! seaorm-migrate: SeaORM and sea-orm-migration against PostgreSQL, the seed's
//! async Alembic section in Rust. With no arguments it runs the tour: migrate
//! to head, every query idiom through SeaORM's API, the drift check and
//! `create_all` beside migrations. `serve` puts the same queries behind the
//! heroes HTTP API; `migrate` has every Alembic verb.
//!
//! Run with:
//! ```text
//! cargo run -p seaorm-migrate                          # the tour
//! ECHO=1 cargo run -p seaorm-migrate                   # the tour, printing every SQL statement
//! cargo run -p seaorm-migrate -- serve                 # the heroes API on http://127.0.0.1:8000
//! cargo run -p seaorm-migrate -- migrate status        # also: up | down | down-to REV | fresh | refresh | reset | generate NAME
//! cargo run -p seaorm-migrate -- check                 # entities vs database (alembic check)
//! cargo run -p seaorm-migrate -- --help
//! ```

use std::process::ExitCode;

use clap::Parser as _;
use seaorm_migrate::cli::{self, Cli};
use seaorm_migrate::engine;

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // Errors end here: one line on stderr, exit code 2 (configuration) or 1.
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> seaorm_migrate::Result<()> {
    // `migrate generate` only writes a file: no database needed.
    if let Some(generated) = cli::generate(cli) {
        return generated;
    }
    // DATABASE_URL, from the environment or `.env`, names the PostgreSQL
    // server (default: the local-dev one of `.env.example`).
    dotenvy::dotenv().ok();
    // This crate works in a database of its own on that server, created when
    // missing; when nothing answers on localhost, devdb starts a local cluster.
    let url = devdb::database_url(cli.database())?;
    // ECHO=1 (SQLAlchemy's `echo=True`) and, for `serve`, the request log.
    cli::set_up_output(cli);
    // `create_async_engine(url)`: `Database::connect`, a sqlx pool inside,
    // shared by every command (src/engine.rs sets its size and timeouts).
    let db = engine::connect(&url).await?;
    let result = cli::run(cli, &db).await;
    db.close_by_ref().await?;
    result
}
