//! seaorm-migrate: the study's async Alembic section in SeaORM.
//!
//! Run with `cargo run -p seaorm-migrate` (the tour); `-- serve` serves the
//! heroes API, `-- migrate up|down|status|plan|fresh|generate NAME|...` runs
//! every Alembic verb, `-- check` compares the entities with the database,
//! `-- --help` lists the rest; `ECHO=1` prints every SQL statement.
//!
//! Read this file, then `queries.rs` (the study's queries), `db.rs` (the
//! engine and the session), `migrate.rs` over `migration/`, and `api.rs`;
//! `tour.rs` runs them in the study's order. What a deployment adds stands
//! apart in `production/`.

use std::process::ExitCode;

use clap::Parser as _;
use seaorm_migrate::cli::{self, Cli};
use seaorm_migrate::db::{self, Settings};

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> seaorm_migrate::Result<()> {
    if let Some(generated) = cli::generate(cli) {
        return generated; // `migrate generate` only writes a file
    }
    dotenvy::dotenv().ok(); // DATABASE_URL may come from `.env`
    // This crate's own database on the DATABASE_URL server, created when
    // missing; devdb starts a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log, before any connection
    // `create_async_engine(url)`: the pool every query runs on (db.rs).
    let pool = db::pool(&db.url, &Settings::default()).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // this: one connection, straight to the server (production/migrations.rs).
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection()).await?;
    let result = cli::run(cli, &pool, migration_pool).await;
    pool.close_by_ref().await?;
    result
}
