//! sqlx-raw: the study's queries as plain SQL, checked at compile time by sqlx.
//!
//! Run with `cargo run -p sqlx-raw` (the tour); `-- serve` serves the heroes
//! API, `-- migrate up|down|history|plan` runs the Alembic verbs, `-- --help`
//! lists the rest; `ECHO=1` prints every SQL statement.
//!
//! Read this file, then `tour.rs`, which runs the study's queries
//! (`queries.rs`) in its order on the pool of `db.rs`.

use std::process::ExitCode;

use sqlx_raw::cli::{self, Cli, Command};
use sqlx_raw::db::{self, Settings};
use sqlx_raw::tour;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> sqlx_raw::Result<()> {
    // This crate's own database on the DATABASE_URL server (or `.env`'s),
    // created when missing; a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log
    let (None | Some(Command::Tour)) = &cli.command else {
        return cli::run(cli, &db).await; // serve, migrate, load: cli.rs
    };
    // `create_async_engine(url)`: the pool every query of the tour runs on.
    let pool = db::pool(&db.url, &Settings::default()).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // the tour: one connection, straight to the server, never a pooler.
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection()).await?;
    let result = tour::run(&pool, &migration_pool, cli.database()).await;
    pool.close().await;
    result
}
