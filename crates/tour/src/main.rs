//! The tour: the README's first command. It makes sure PostgreSQL is there
//! (starting the local development cluster if needed), shows the seed data every
//! example inserts, then runs each example crate's own tour in turn (sync
//! Diesel, async Diesel, sqlx, SeaORM), each in a database of its own.
//!
//! Run with:
//! ```text
//! cargo run            # the workspace's default member is this crate
//! cargo run -p tour    # the same, explicitly
//! cargo run -- --help
//! ```

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use devdb::{DevDb, ServerState};
use heroes_model::seed;

/// The tour across every example crate: the same seed heroes and the same
/// query idioms, done by each Rust stack in turn.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Print every SQL statement each crate sends (SQLAlchemy's echo=True). Also ECHO=1.
    #[arg(
        long,
        env = "ECHO",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    echo: bool,

    /// Prefix for each crate's database name (default: none, so the tour uses
    /// the same databases as `cargo run -p <crate>`).
    #[arg(long, default_value = "")]
    db_prefix: String,
}

/// Why the tour stopped: a crate's own error (each knows its exit code).
type Failure = Box<dyn support::app::Failure>;

/// Keeps a crate's error, with its message and exit code.
fn failure<E: support::app::Failure + 'static>(err: E) -> Failure {
    Box::new(err)
}

/// The example crates, in reading order.
#[derive(Clone, Copy)]
enum Example {
    SyncDiesel,
    AsyncDiesel,
    SqlxRaw,
    SeaOrm,
}

/// One example crate on the tour.
struct Stop {
    /// Which crate.
    example: Example,
    /// The crate (`cargo run -p <name>` runs it alone).
    name: &'static str,
    /// The seed section it mirrors.
    mirrors: &'static str,
    /// Its database (before the prefix).
    database: &'static str,
}

/// The four ways of the study, in reading order.
const STOPS: [Stop; 4] = [
    Stop {
        example: Example::SyncDiesel,
        name: "sync-diesel",
        mirrors: "\"Driver Síncrono - psycopg2\" (src/db.py)",
        database: sync_diesel::DATABASE,
    },
    Stop {
        example: Example::AsyncDiesel,
        name: "async-diesel",
        mirrors: "\"Driver Assíncrono - asyncpg\" (src/async_db.py)",
        database: async_diesel::DATABASE,
    },
    Stop {
        example: Example::SqlxRaw,
        name: "sqlx-raw",
        mirrors: "the asyncpg section, written SQL-first",
        database: sqlx_raw::DATABASE,
    },
    Stop {
        example: Example::SeaOrm,
        name: "seaorm-migrate",
        mirrors: "\"Utilização do Async Alembic\" (src/migrate_db.py)",
        database: seaorm_migrate::DATABASE,
    },
];

/// Runs one crate's own tour in `database` (queries at `urls.url`,
/// migrations at `urls.migration_url`), on the pools its own `main.rs` builds.
async fn tour(example: Example, urls: devdb::Database, database: String) -> Result<(), Failure> {
    let devdb::Database { url, migration_url } = urls;
    match example {
        // Blocking Diesel on a thread made for blocking, as its `serve` does.
        Example::SyncDiesel => tokio::task::spawn_blocking(move || {
            use sync_diesel::db::{self, Settings};
            let pool = db::pool(&url, &Settings::default())?;
            let migration_pool = db::pool(&migration_url, &Settings::one_connection())?;
            sync_diesel::tour::run(&pool, &migration_pool, &database)
        })
        .await
        .unwrap_or_else(|e| {
            Err(sync_diesel::Error::Internal(format!(
                "the tour's thread failed: {e}"
            )))
        })
        .map_err(failure),
        Example::AsyncDiesel => async {
            use async_diesel::db::{self, Settings};
            let pool = db::pool(&url, &Settings::default()).await?;
            let migration_pool = db::pool(&migration_url, &Settings::one_connection()).await?;
            async_diesel::tour::run(&pool, &migration_pool, &database).await
        }
        .await
        .map_err(failure),
        Example::SqlxRaw => async {
            use sqlx_raw::db::{self, Settings};
            let pool = db::pool(&url, &Settings::default()).await?;
            let migration_pool = db::pool(&migration_url, &Settings::one_connection()).await?;
            let result = sqlx_raw::tour::run(&pool, &migration_pool, &database).await;
            migration_pool.close().await;
            pool.close().await;
            result
        }
        .await
        .map_err(failure),
        Example::SeaOrm => async {
            use seaorm_migrate::db::{self, Settings};
            let pool = db::pool(&url, &Settings::default()).await?;
            let migration_pool = db::pool(&migration_url, &Settings::one_connection()).await?;
            let result = seaorm_migrate::tour::run(&pool, &migration_pool, &database).await;
            migration_pool.close_by_ref().await?;
            pool.close_by_ref().await?;
            result
        }
        .await
        .map_err(failure),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    if cli.echo {
        // Diesel (both crates) reports statements through its instrumentation,
        // sqlx and SeaORM through `tracing`: turn both on.
        sync_diesel::db::enable_echo();
        support::narrate::echo_sqlx_statements();
    }
    println!("Rust PostgreSQL Driver Exploration: the tour\n");

    let devdb = DevDb::from_env().map_err(failure)?;
    let began = Instant::now();
    let state = devdb.ensure_server().map_err(failure)?;
    let target = devdb.settings().redacted();
    match state {
        ServerState::AlreadyRunning => println!(
            "Database: PostgreSQL at {target} is running (checked in {} ms).",
            began.elapsed().as_millis()
        ),
        ServerState::Started {
            initialised,
            elapsed,
        } => println!(
            "Database: nothing answered at {target}, so the local cluster in {} was {} in {:.2} s.",
            devdb.cluster().dir().display(),
            if initialised {
                "created and started"
            } else {
                "started"
            },
            elapsed.as_secs_f64()
        ),
    }
    println!("Each example crate works in a database of its own on that server.\n");

    println!("The seed data every example inserts (heroes-model::seed):");
    for team in seed::TEAMS {
        println!(
            "  team {:<18} meets at {}",
            team.name,
            team.headquarters.unwrap_or("?")
        );
    }
    for hero in seed::HEROES {
        println!(
            "  hero {:<14} secret name {:<24} age {:<4} team {}",
            hero.name,
            hero.secret_name.unwrap_or("-"),
            hero.age.map_or_else(|| "-".to_owned(), |a| a.to_string()),
            hero.team.unwrap_or("-")
        );
    }

    for (i, stop) in STOPS.iter().enumerate() {
        let database = format!("{}{}", cli.db_prefix, stop.database);
        println!(
            "\n\n#### {}. {} — mirrors {}\n",
            i + 1,
            stop.name,
            stop.mirrors
        );
        let db = devdb.database(&database).map_err(failure)?;
        tour(stop.example, db, database).await?;
    }
    println!("\n\nTour finished.");
    println!(
        "Run `cargo test --workspace` for every test, or `cargo run -p <crate>` for one tour."
    );
    Ok(())
}
