//! The command line: the tour by default, and the Alembic verbs under `migrate`.
//!
//! Each example crate declares its own command line (the verbs differ with
//! what the library offers); the options every binary shares, the `migrate`
//! verbs that mean the same everywhere, and exit codes come from `support`.

use std::time::Duration;

use clap::{Parser, Subcommand};
use support::app::MigrateVerb;

use crate::db::{self, Pool, Settings};
use crate::error::Result;
use crate::production::migrations;
use crate::{DATABASE, migrate, tour};

/// Async Diesel (diesel-async on tokio-postgres) against PostgreSQL: the seed's
/// asyncpg section in Rust. With no command, runs the tour.
#[derive(Debug, Parser)]
#[command(name = "async-diesel", version)]
pub struct Cli {
    /// `--database`, `--echo`.
    #[command(flatten)]
    pub common: support::app::CommonArgs,

    /// Most connections in the pool.
    #[arg(long, global = true, env = "POOL_SIZE", default_value_t = 8)]
    pub pool_size: usize,

    /// How long a task waits for a free connection before failing, in milliseconds.
    #[arg(long, global = true, env = "POOL_TIMEOUT_MS", default_value_t = 5000)]
    pub pool_timeout_ms: u64,

    /// What to do (default: the tour).
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The database to work in: `--database`, or this crate's own.
    pub fn database(&self) -> &str {
        self.common.database_or(DATABASE)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate to head, show every query idiom, then concurrency and pipelining.
    Tour,
    /// Apply, revert and list migrations (the Alembic verbs).
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Serve the heroes API over HTTP (migrates to head first).
    Serve(heroes_api::ServeArgs),
}

/// `migrate` actions, named after their Alembic counterparts.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// up, down [-n N], history: the verbs every crate shares.
    #[command(flatten)]
    Common(MigrateVerb),
    /// Revert the latest migration and apply it again.
    Redo,
}

impl Cli {
    /// The pool limits from the flags (or POOL_SIZE / POOL_TIMEOUT_MS).
    pub fn settings(&self) -> Settings {
        Settings {
            max_size: self.pool_size,
            wait_timeout: Duration::from_millis(self.pool_timeout_ms),
            ..Settings::default()
        }
    }
}

/// What the program prints besides its results, set up before the engine
/// exists (echo applies to the connections opened after it): `ECHO=1` prints
/// every SQL statement, and `serve` logs one line per request.
pub fn set_up_output(cli: &Cli) {
    if cli.common.echo {
        db::enable_echo();
    }
    if let Some(Command::Serve(_)) = &cli.command {
        heroes_api::serve::init_logging(false);
    }
}

/// Runs a parsed command line on `pool`, the pool `main.rs` built, with
/// `migration_pool`, the one-connection pool migrations run on (straight to
/// the server when `pool` goes through PgBouncer).
pub async fn run(cli: &Cli, pool: &Pool, migration_pool: Pool) -> Result<()> {
    let database = cli.database();
    match &cli.command {
        None | Some(Command::Tour) => tour::run(pool, &migration_pool, database).await,
        Some(Command::Migrate { action }) => migrate_command(&migration_pool, action).await,
        Some(Command::Serve(args)) => {
            migrate::up(migration_pool.get().await?)?;
            drop(migration_pool); // its connection is not needed while serving
            heroes_api::serve(crate::api::Store::new(pool.clone()), args)
                .await
                .map_err(|e| {
                    crate::Error::Usage(format!("{e}; choose another with --addr or ADDR"))
                })
        }
    }
}

async fn migrate_command(pool: &Pool, action: &MigrateAction) -> Result<()> {
    let conn = pool.get().await?;
    match action {
        MigrateAction::Common(MigrateVerb::Up) => {
            support::app::print_migrations("applied", &migrate::up(conn)?);
        }
        MigrateAction::Common(MigrateVerb::Down { steps }) => {
            support::app::print_migrations("reverted", &migrate::down(conn, *steps)?);
        }
        MigrateAction::Redo => println!("redone   {}", migrate::redo(conn)?),
        MigrateAction::Common(MigrateVerb::Plan { all }) => {
            support::app::print_plan(&migrations::plan(conn, *all)?);
        }
        MigrateAction::Common(MigrateVerb::History) => {
            support::app::print_history(
                migrate::history(conn)?
                    .into_iter()
                    .map(|r| (r.applied, r.name)),
            );
        }
    }
    Ok(())
}
