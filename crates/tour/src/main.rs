//! The tour: the README's first command. It makes sure PostgreSQL is there
//! (starting the local development cluster if needed), shows the seed data every
//! example inserts, then runs each example crate's own tour in turn: sync Diesel,
//! async Diesel, sqlx and SeaORM, each in its own database.
//!
//! Run with:
//! ```text
//! cargo run            # the workspace's default member is this crate
//! cargo run -p tour    # the same, explicitly
//! ```

use std::process::ExitCode;
use std::time::Instant;

use devdb::{DevDb, Error, ServerState};
use heroes_model::seed;

/// One example crate on the tour.
struct Stop {
    /// The crate (`cargo run -p <name>` runs it alone).
    name: &'static str,
    /// The seed section it mirrors.
    mirrors: &'static str,
    /// The issue that builds it, while it is not built yet.
    issue: u32,
}

/// The four ways of the study, in reading order.
const STOPS: [Stop; 4] = [
    Stop {
        name: "sync-diesel",
        mirrors: "\"Driver Síncrono - psycopg2\" (src/db.py)",
        issue: 3,
    },
    Stop {
        name: "async-diesel",
        mirrors: "\"Driver Assíncrono - asyncpg\" (src/async_db.py)",
        issue: 4,
    },
    Stop {
        name: "sqlx-raw",
        mirrors: "the asyncpg section, written SQL-first",
        issue: 5,
    },
    Stop {
        name: "seaorm-migrate",
        mirrors: "\"Utilização do Async Alembic\" (src/migrate_db.py)",
        issue: 6,
    },
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(Error::EXIT_CODE)
        }
    }
}

fn run() -> Result<(), Error> {
    println!("Rust PostgreSQL Driver Exploration: the tour\n");

    let devdb = DevDb::from_env()?;
    let began = Instant::now();
    let state = devdb.ensure_server()?;
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

    println!();
    for (i, stop) in STOPS.iter().enumerate() {
        println!(
            "{}. {:<15} mirrors {}: not built yet (issue #{}).",
            i + 1,
            stop.name,
            stop.mirrors,
            stop.issue
        );
    }
    println!(
        "\nThe tour grows as each example crate lands; `cargo test --workspace` runs every test."
    );
    Ok(())
}
