//! The command line: the tour by default, and the Alembic verbs under `migrate`.
//!
//! Each example crate declares its own command line (the verbs differ with
//! what the library offers); the options every binary shares, the `migrate`
//! verbs that mean the same everywhere, and exit codes come from `support`.

use clap::{Parser, Subcommand};
use support::app::MigrateVerb;

use crate::db::{self, Pool, Settings};
use crate::error::{Error, Result};
use crate::production;
use crate::production::migrations;
use crate::{DATABASE, drift, migrate, tour};

/// Synchronous Diesel against PostgreSQL: the seed's psycopg2 section in Rust.
/// With no command, runs the tour.
#[derive(Debug, Parser)]
#[command(name = "sync-diesel", version)]
pub struct Cli {
    /// `--database`, `--echo`.
    #[command(flatten)]
    pub common: support::app::CommonArgs,

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
    /// Migrate to head, then show every query idiom of the study.
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
    /// Compare diesel's `table!` schema with the database (`alembic check`);
    /// exits 1 when they differ.
    Check,
}

/// What the program prints besides its results, set up before the engine
/// exists (echo applies to the connections opened after it): `ECHO=1` prints
/// every SQL statement, and `serve` logs one line per request.
pub fn set_up_output(cli: &Cli) {
    if cli.common.echo {
        db::enable_echo();
    }
}

/// The command line, parsed; before that, `.env` is read (DATABASE_URL may
/// come from it) and a closed pipe (`| head`) is made to end the program
/// quietly.
pub fn parse() -> Cli {
    support::app::exit_quietly_on_broken_pipe();
    dotenvy::dotenv().ok();
    Cli::parse()
}

/// Runs a parsed command line against `db`, building the pools it needs: the
/// lesson's [`db::pool`] for the tour and `migrate`, [`production::pool`]
/// for `serve`. Migrations run on a pool of one connection to
/// `db.migration_url`, straight to the server (production/migrations.rs).
pub fn run(cli: &Cli, db: &devdb::Database) -> Result<()> {
    let one = Settings::one_connection();
    match &cli.command {
        None | Some(Command::Tour) => {
            let pool = db::pool(&db.url, &Settings::default())?;
            let migration_pool = db::pool(&db.migration_url, &one)?;
            tour::run(&pool, &migration_pool, cli.database())
        }
        Some(Command::Migrate { action }) => {
            migrate_command(&db::pool(&db.migration_url, &one)?, action)
        }
        Some(Command::Serve(args)) => {
            let deployment = production::Settings::from_env();
            let settings = Settings {
                max_size: deployment.pool_size.unwrap_or(Settings::default().max_size),
                ..Settings::default()
            };
            let pool = production::pool(&db.url, &settings, &deployment)?;
            let migration_pool = production::pool(&db.migration_url, &one, &deployment)?;
            serve(pool, migration_pool, args)
        }
    }
}

/// Migrates to head, then serves the API on a tokio runtime: the server is
/// async, the database calls are not (see [`crate::api`]).
fn serve(
    pool: production::Pool,
    migration_pool: production::Pool,
    args: &heroes_api::ServeArgs,
) -> Result<()> {
    heroes_api::serve::init_logging(false);
    migrate::up(&mut *migration_pool.get()?)?;
    drop(migration_pool); // its connection is not needed while serving
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the tokio runtime: {e}")))?;
    runtime
        .block_on(heroes_api::serve(crate::api::Store::new(pool), args))
        .map_err(|e| Error::Usage(format!("{e}; choose another with --addr or ADDR")))
}

fn migrate_command(pool: &Pool, action: &MigrateAction) -> Result<()> {
    let mut conn = pool.get()?;
    match action {
        MigrateAction::Common(MigrateVerb::Up) => {
            support::app::print_migrations("applied", &migrate::up(&mut conn)?);
        }
        MigrateAction::Common(MigrateVerb::Down { steps }) => {
            support::app::print_migrations("reverted", &migrate::down(&mut conn, *steps)?);
        }
        MigrateAction::Redo => println!("redone   {}", migrate::redo(&mut conn)?),
        MigrateAction::Check => {
            let drift = drift::check(&mut conn)?;
            if drift.is_empty() {
                println!("no drift: table! and the database agree");
            } else {
                for d in &drift {
                    println!("drift: {d}");
                }
                return Err(Error::Migration(format!(
                    "{} difference(s) between table! and the database",
                    drift.len()
                )));
            }
        }
        MigrateAction::Common(MigrateVerb::Plan { all }) => {
            support::app::print_plan(&migrations::plan(&mut conn, *all)?);
        }
        MigrateAction::Common(MigrateVerb::History) => {
            support::app::print_history(
                migrate::history(&mut conn)?
                    .into_iter()
                    .map(|r| (r.applied, r.name)),
            );
        }
    }
    Ok(())
}

impl From<clap::Error> for Error {
    fn from(err: clap::Error) -> Self {
        Self::Usage(err.to_string())
    }
}
