//! The command line: the tour by default; the Alembic verbs under `migrate`
//! (sea-orm-migration's own set: up, down, status, fresh, refresh, reset,
//! generate, plus down-to); `check` (drift) and `create-all`.
//!
//! Each example crate declares its own command line (the verbs differ with
//! what the library offers); the options every binary shares, the `migrate`
//! verbs that mean the same everywhere, and exit codes come from `support`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;

use crate::error::{Error, Result};
use crate::production::{self, migrations};
use crate::{DATABASE, create_all, db, drift, migrate, tour};

/// SeaORM with sea-orm-migration against PostgreSQL: the seed's async Alembic
/// section in Rust. With no command, runs the tour.
#[derive(Debug, Parser)]
#[command(name = "seaorm-migrate", version)]
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
    /// Migrate to head, then show every query idiom, the drift check, create_all,
    /// related rows, filters and a stream.
    Tour,
    /// Serve the heroes API over HTTP (migrates to head first).
    Serve(heroes_api::ServeArgs),
    /// The Alembic verbs (sea-orm-migration's commands).
    Migrate {
        /// The migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Compare the entities with the migrated database (`alembic check`);
    /// exits 1 when they differ.
    Check,
    /// Create the tables straight from the entities, without migrations
    /// (`Base.metadata.create_all`), in an empty database.
    CreateAll,
}

/// `migrate` actions; see the crate README for the Alembic equivalents.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (`alembic upgrade head`, or `+N` with -n).
    Up {
        /// How many to apply (default: all).
        #[arg(short = 'n', long = "num")]
        num: Option<u32>,
    },
    /// Revert the latest migrations (`alembic downgrade -N`).
    Down {
        /// How many to revert (`-n`/`--steps`, as in every crate).
        #[arg(short = 'n', long = "steps", default_value_t = 1)]
        num: u32,
    },
    /// Revert every migration applied after REVISION (`alembic downgrade REVISION`; `base` for all).
    DownTo {
        /// A migration name from `migrate status`, or `base`.
        revision: String,
    },
    /// List every migration and whether it is applied (`alembic history`).
    Status,
    /// Print the SQL `up` would run, without running it (`alembic upgrade head --sql`).
    Plan {
        /// Every migration, applied or not (what a migration linter reads).
        #[arg(long)]
        all: bool,
    },
    /// Drop every table, then apply all migrations.
    Fresh,
    /// Revert all applied migrations, then apply them all again.
    Refresh,
    /// Revert all applied migrations (`alembic downgrade base`).
    Reset,
    /// Write a new, empty migration and register it (`alembic revision -m NAME`).
    Generate {
        /// The migration's name (letters, digits, _).
        name: String,
        /// The SeaORM migration crate to write into (default: the project's,
        /// found from the current directory).
        #[arg(long)]
        migration_dir: Option<PathBuf>,
    },
}

/// `migrate generate`, the one command that needs no database (it only writes
/// a file); `None` for every other command.
pub fn generate(cli: &Cli) -> Option<Result<()>> {
    let Some(Command::Migrate {
        action: MigrateAction::Generate {
            name,
            migration_dir,
        },
    }) = &cli.command
    else {
        return None;
    };
    Some((|| {
        let dir = match migration_dir {
            Some(dir) => dir.clone(),
            None => migrate::migration_dir()?,
        };
        let file = migrate::generate(&dir, name)?;
        println!("created  {}", file.display());
        println!("fill in its up() and down(), then run `migrate up`");
        Ok(())
    })())
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

/// Runs a parsed command line against `db`, building the engines it needs:
/// the lesson's [`db::pool`], or [`production::pool`] for `serve`; the
/// migrations run on an engine of one connection to `db.migration_url`,
/// straight to the server (production/migrations.rs).
pub async fn run(cli: &Cli, db: &devdb::Database) -> Result<()> {
    let (settings, one) = (db::Settings::default(), db::Settings::one_connection());
    let (pool, migration_pool) = if let Some(Command::Serve(_)) = &cli.command {
        let deployment = production::Settings::from_env();
        let settings = db::Settings {
            max_connections: deployment.pool_size.unwrap_or(settings.max_connections),
            ..settings
        };
        let pool = production::pool(&db.url, &settings, &deployment).await?;
        (
            pool,
            production::pool(&db.migration_url, &one, &deployment).await?,
        )
    } else {
        let pool = db::pool(&db.url, &settings).await?;
        (pool, db::pool(&db.migration_url, &one).await?)
    };
    let result = run_with(cli, &pool, &migration_pool).await;
    let closed = migration_pool.close_by_ref().await;
    pool.close_by_ref().await?;
    result?;
    Ok(closed?)
}

async fn run_with(
    cli: &Cli,
    pool: &DatabaseConnection,
    migration_pool: &DatabaseConnection,
) -> Result<()> {
    let database = cli.database();
    let Some(command) = &cli.command else {
        return tour::run(pool, migration_pool, database).await;
    };
    match command {
        Command::Tour => tour::run(pool, migration_pool, database).await?,
        Command::Serve(args) => {
            migrate::up(migration_pool, None).await?;
            // Its connection is not needed while serving.
            migration_pool.close_by_ref().await?;
            heroes_api::serve(crate::api::Store::new(pool.clone()), args)
                .await
                .map_err(|e| Error::Usage(format!("{e}; choose another with --addr or ADDR")))?;
        }
        Command::Check => {
            let differences = drift::check(pool).await?;
            if differences.is_empty() {
                println!("no drift: the entities and the database agree");
            }
            for difference in &differences {
                println!("drift: {difference}");
            }
            if !differences.is_empty() {
                return Err(Error::Drift(differences.len()));
            }
        }
        Command::CreateAll => {
            for statement in create_all::create_all(pool).await? {
                println!("{statement};");
            }
        }
        Command::Migrate { action } => {
            // Migrations go to the server itself, on their own pool.
            match action {
                MigrateAction::Up { num } => {
                    support::app::print_migrations(
                        "applied",
                        &migrate::up(migration_pool, *num).await?,
                    );
                }
                MigrateAction::Down { num } => {
                    support::app::print_migrations(
                        "reverted",
                        &migrate::down(migration_pool, *num).await?,
                    );
                }
                MigrateAction::DownTo { revision } => {
                    support::app::print_migrations(
                        "reverted",
                        &migrate::down_to(migration_pool, revision).await?,
                    );
                }
                MigrateAction::Fresh => {
                    support::app::print_migrations(
                        "applied",
                        &migrate::fresh(migration_pool).await?,
                    );
                }
                MigrateAction::Refresh => {
                    support::app::print_migrations(
                        "applied",
                        &migrate::refresh(migration_pool).await?,
                    );
                }
                MigrateAction::Reset => {
                    support::app::print_migrations(
                        "reverted",
                        &migrate::reset(migration_pool).await?,
                    );
                }
                MigrateAction::Plan { all } => {
                    support::app::print_plan(&migrations::plan(migration_pool, *all).await?);
                }
                MigrateAction::Status => support::app::print_history(
                    migrate::status(migration_pool)
                        .await?
                        .into_iter()
                        .map(|r| (r.applied, r.name)),
                ),
                MigrateAction::Generate { .. } => {
                    if let Some(generated) = generate(cli) {
                        generated?;
                    }
                }
            }
        }
    }
    Ok(())
}
