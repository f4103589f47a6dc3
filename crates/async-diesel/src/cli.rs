//! The command line: the tour by default, and the Alembic verbs under `migrate`.
//!
//! Each example crate declares its own command line (the verbs differ with
//! what the library offers); the options every binary shares, the `migrate`
//! verbs that mean the same everywhere, and exit codes come from `support`.

use std::time::Duration;

use clap::{Parser, Subcommand};
use support::app::MigrateVerb;

use crate::db::{self, Pool, Settings};
use crate::error::{Error, Result};
use crate::production::{self, migrations};
use crate::{DATABASE, migrate, tour};

/// Async Diesel (diesel-async on tokio-postgres) against PostgreSQL: the seed's
/// asyncpg section in Rust. With no command, runs the tour.
#[derive(Debug, Parser)]
#[command(name = "async-diesel", version)]
pub struct Cli {
    /// `--database`, `--echo`.
    #[command(flatten)]
    pub common: support::app::CommonArgs,

    /// Most connections in the pool (at least 1).
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
    /// The pool limits from the flags (or POOL_SIZE / POOL_TIMEOUT_MS); a
    /// usage error for a pool of no connections.
    pub fn settings(&self) -> Result<Settings> {
        if self.pool_size == 0 {
            return Err(Error::Usage("POOL_SIZE must be at least 1".to_owned()));
        }
        Ok(Settings {
            max_size: self.pool_size,
            wait_timeout: Duration::from_millis(self.pool_timeout_ms),
        })
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

/// The command line, parsed; before that, `.env` is read (POOL_SIZE and
/// DATABASE_URL may come from it) and a closed pipe (`| head`) is made to end
/// the program quietly.
pub fn parse() -> Cli {
    support::app::exit_quietly_on_broken_pipe();
    dotenvy::dotenv().ok();
    Cli::parse()
}

/// Runs a parsed command line against `db`, building the pools it needs: the
/// lesson's [`db::pool`] for the tour and `migrate`, [`production::pool`]
/// for `serve`. Migrations run on a pool of one connection to
/// `db.migration_url`, straight to the server (production/migrations.rs).
pub async fn run(cli: &Cli, db: &devdb::Database) -> Result<()> {
    let one = Settings::one_connection();
    match &cli.command {
        None | Some(Command::Tour) => {
            let pool = db::pool(&db.url, &cli.settings()?).await?;
            let migration_pool = db::pool(&db.migration_url, &one).await?;
            tour::run(&pool, &migration_pool, cli.database()).await
        }
        Some(Command::Migrate { action }) => {
            migrate_command(&db::pool(&db.migration_url, &one).await?, action).await
        }
        Some(Command::Serve(args)) => {
            let deployment = production::Settings::from_env();
            let pool = production::pool(&db.url, &cli.settings()?, &deployment).await?;
            let migration_pool = production::pool(&db.migration_url, &one, &deployment).await?;
            migrate::up(migration_pool.get().await?)?;
            drop(migration_pool); // its connection is not needed while serving
            heroes_api::serve(crate::api::Store::new(pool), args)
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
