//! SeaORM's own migration command line over this crate's migrations: the
//! `src/main.rs` that `sea-orm-cli migrate init` writes (Alembic's `alembic`
//! command), with SeaORM's verbs and output (`-n/--num` is sea-orm-cli's
//! spelling). Two changes: the database is found as everywhere in this
//! project (on the DATABASE_URL server, or the local cluster devdb starts;
//! seaorm-migrate's database by default, created when missing), reached
//! straight, never through a pooler; and a failure is one line and an exit
//! code, not a panic. Unlike `cargo run -p seaorm-migrate -- migrate ...`, it
//! takes no migration lock (sea-orm-migration takes none): run one at a time.
//!
//! Run with:
//! ```text
//! cargo run -p migration -- status       # alembic history
//! cargo run -p migration -- up           # alembic upgrade head (also: up -n 1)
//! cargo run -p migration -- down         # alembic downgrade -1 (also: down -n 2)
//! cargo run -p migration -- fresh        # drop every table, then up
//! cargo run -p migration -- --help
//! ```
//! `cargo run -p seaorm-migrate -- migrate ...` runs the same migrations
//! through the project's own verbs (and `generate` into this crate).

use std::process::ExitCode;

use clap::Parser;
use sea_orm_cli::MigrateSubcommands;
use sea_orm_migration::cli::run_migrate;
use sea_orm_migration::sea_orm::Database;

/// SeaORM's migration commands over the heroes migrations.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The database on the DATABASE_URL server, created when missing.
    #[arg(long, global = true, default_value = "seaorm_migrate")]
    database: String,

    /// Show SeaORM's debug messages (each statement it runs).
    #[arg(short, long, global = true)]
    verbose: bool,

    /// What to do (default: `up`).
    #[command(subcommand)]
    command: Option<MigrateSubcommands>,
}

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    dotenvy::dotenv().ok();
    // The server itself, never a pooler (MIGRATION_DATABASE_URL, or the
    // cluster behind devdb's PgBouncer), as the project's own verbs migrate.
    let url = match devdb::database(&cli.database) {
        Ok(db) => db.migration_url,
        Err(err) => return support::app::exit(Err(err)),
    };
    let db = match Database::connect(&url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!(
                "error: cannot connect to database '{}': {err}",
                cli.database
            );
            return ExitCode::from(1);
        }
    };
    match run_migrate(migration::Migrator, &db, cli.command, cli.verbose).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}
