//! seaorm-migrate: the study's async Alembic section in SeaORM.
//!
//! Run with `cargo run -p seaorm-migrate` (the tour); `-- serve` serves the
//! heroes API, `-- migrate up|down|status|plan|fresh|generate NAME|...` runs
//! every Alembic verb, `-- check` compares the entities with the database,
//! `-- --help` lists the rest; `ECHO=1` prints every SQL statement.
//!
//! Read this file, then `tour.rs`, which runs the study's queries
//! (`queries.rs`) in its order on the engine of `db.rs`, migrating with
//! `migrate.rs` over `migration/`.

use std::process::ExitCode;

use seaorm_migrate::cli::{self, Cli, Command};
use seaorm_migrate::db::{self, Settings};
use seaorm_migrate::tour;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::parse();
    // An error ends the program with one line on stderr and exit code 2
    // (configuration or usage) or 1 (anything else).
    support::app::exit(run(&cli).await)
}

async fn run(cli: &Cli) -> seaorm_migrate::Result<()> {
    if let Some(generated) = cli::generate(cli) {
        return generated; // `migrate generate` only writes a file
    }
    // This crate's own database on the DATABASE_URL server (or `.env`'s),
    // created when missing; a local cluster when nothing answers on localhost.
    let db = devdb::database(cli.database())?;
    cli::set_up_output(cli); // ECHO=1 and the request log
    let (None | Some(Command::Tour)) = &cli.command else {
        return cli::run(cli, &db).await; // serve, migrate, check: cli.rs
    };
    // `create_async_engine(url)`: the engine every query of the tour runs on.
    let pool = db::pool(&db.url, &Settings::default()).await?;
    // Alembic's env.py builds an engine of its own to migrate with; so does
    // the tour: one connection, straight to the server, never a pooler.
    let migration_pool = db::pool(&db.migration_url, &Settings::one_connection()).await?;
    let result = tour::run(&pool, &migration_pool, cli.database()).await;
    pool.close_by_ref().await?;
    result
}
