//! The command line: the tour by default, the Alembic verbs under `migrate`,
//! and `load` for bulk loads.
//!
//! Each example crate declares its own command line (the verbs differ with
//! what the library offers); the options every binary shares, the `migrate`
//! verbs that mean the same everywhere, and exit codes come from `support`.

use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::production::{bulk, migrations};
use crate::{DATABASE, db, migrate, production, tour};

/// sqlx against PostgreSQL: the seed's query idioms written as SQL, checked at
/// compile time. With no command, runs the tour.
#[derive(Debug, Parser)]
#[command(name = "sqlx-raw", version)]
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
    /// Migrate to head, then show every query idiom and transaction ending.
    Tour,
    /// Apply, revert and list migrations (the Alembic verbs).
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Serve the heroes API over HTTP (migrates to head first).
    Serve(heroes_api::ServeArgs),
    /// Load generated heroes in bulk and report rows per second. Rows from an
    /// earlier load are removed first.
    Load {
        /// How many heroes to load.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Which path to use.
        #[arg(long, value_enum, default_value_t = Method::Both)]
        method: Method,
    },
}

/// `migrate` actions: sqlx's migrator has exactly the verbs every crate shares.
pub use support::app::MigrateVerb as MigrateAction;

/// How `load` inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// INSERT ... SELECT * FROM UNNEST(arrays), in chunks, in one transaction.
    Unnest,
    /// COPY ... FROM STDIN (CSV), in one transaction.
    Copy,
    /// Both, one after the other, on the same data.
    Both,
}

/// What the program prints besides its results, set up before the engine
/// exists (echo applies to the connections opened after it): `ECHO=1` prints
/// every SQL statement, and `serve` logs one line per request.
pub fn set_up_output(cli: &Cli) {
    if let Some(Command::Serve(_)) = &cli.command {
        // The server logs requests through `tracing`, as sqlx reports its
        // statements: one subscriber for both.
        heroes_api::serve::init_logging(cli.common.echo);
    } else if cli.common.echo {
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
/// lesson's [`db::pool`] for the tour and `migrate`, and
/// [`production::pool`] for what runs as a deployment would (`serve`, `load`).
/// Migrations run on a pool of one connection to `db.migration_url`, straight
/// to the server (production/migrations.rs).
pub async fn run(cli: &Cli, db: &devdb::Database) -> Result<()> {
    let database = cli.database();
    let settings = db::Settings::default();
    let one = db::Settings::one_connection();
    let deployment = || production::Settings::from_env();
    match &cli.command {
        None | Some(Command::Tour) => {
            let pool = db::pool(&db.url, &settings).await?;
            let migration_pool = db::pool(&db.migration_url, &one).await?;
            let result = tour::run(&pool, &migration_pool, database).await;
            pool.close().await;
            result
        }
        Some(Command::Migrate { action }) => {
            let migration_pool = db::pool(&db.migration_url, &one).await?;
            let result = migrate_command(&migration_pool, action).await;
            migration_pool.close().await;
            result
        }
        Some(Command::Load { count, method }) => {
            let pool = production::pool(&db.url, &settings, &deployment()).await?;
            let migration_pool = production::pool(&db.migration_url, &one, &deployment()).await?;
            let result = load(&pool, &migration_pool, *count, *method).await;
            migration_pool.close().await;
            pool.close().await;
            result
        }
        Some(Command::Serve(args)) => {
            let deployment = deployment();
            let settings = db::Settings {
                max_connections: deployment.pool_size.unwrap_or(settings.max_connections),
                ..settings
            };
            let pool = production::pool(&db.url, &settings, &deployment).await?;
            let migration_pool = production::pool(&db.migration_url, &one, &deployment).await?;
            migrate::up(&migration_pool).await?;
            migration_pool.close().await; // its connection is not needed while serving
            heroes_api::serve(crate::api::Store::new(pool), args)
                .await
                .map_err(|e| Error::Usage(format!("{e}; choose another with --addr or ADDR")))
        }
    }
}

async fn migrate_command(migration_pool: &PgPool, action: &MigrateAction) -> Result<()> {
    match action {
        MigrateAction::Up => {
            support::app::print_migrations("applied", &migrate::up(migration_pool).await?);
        }
        MigrateAction::Down { steps } => {
            support::app::print_migrations(
                "reverted",
                &migrate::down(migration_pool, *steps).await?,
            );
        }
        MigrateAction::Plan { all } => {
            support::app::print_plan(&migrations::plan(migration_pool, *all).await?);
        }
        MigrateAction::History => {
            support::app::print_history(
                migrate::history(migration_pool)
                    .await?
                    .into_iter()
                    .map(|r| (r.applied, r.name)),
            );
        }
    }
    Ok(())
}

async fn load(pool: &PgPool, migration_pool: &PgPool, count: usize, method: Method) -> Result<()> {
    if count == 0 {
        return Err(Error::Usage("--count must be at least 1".to_owned()));
    }
    migrate::up(migration_pool).await?;
    let rows = bulk::generate(count, "load");
    let methods = match method {
        Method::Both => vec![Method::Unnest, Method::Copy],
        one => vec![one],
    };
    for method in methods {
        bulk::purge(pool).await?;
        let bar = ProgressBar::new(count as u64).with_style(
            ProgressStyle::with_template("{msg:>6} [{bar:40}] {pos}/{len} rows ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let label = if method == Method::Unnest {
            "UNNEST"
        } else {
            "COPY"
        };
        bar.set_message(label);
        let began = Instant::now();
        let loaded = if method == Method::Unnest {
            bulk::load_unnest(pool, &rows, |n| bar.set_position(n)).await?
        } else {
            bulk::load_copy(pool, &rows, |n| bar.set_position(n)).await?
        };
        let elapsed = began.elapsed();
        bar.finish_and_clear();
        println!(
            "{label:<6} loaded {loaded} heroes in {:.3} s: {:.0} rows/s",
            elapsed.as_secs_f64(),
            loaded as f64 / elapsed.as_secs_f64()
        );
    }
    Ok(())
}
