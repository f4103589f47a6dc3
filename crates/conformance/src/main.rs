//! conformance: asks all four example crates the same questions and writes
//! the answers as `book/src/behaviour.md`. The same scenarios run as tests in
//! `cargo test --workspace`.
//!
//! Run with:
//! ```text
//! just conformance                                        # writes book/src/behaviour.md
//! cargo run -p conformance -- report --out book/src/behaviour.md
//! cargo run -p conformance -- cli sqlx-raw migrate history   # a crate's own command line
//! ```

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use conformance::report::{self, STACKS};

/// The conformance suite's command line.
#[derive(Debug, Parser)]
#[command(name = "conformance", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every scenario against every crate and write the behaviour table.
    Report {
        /// Where to write it.
        #[arg(long, default_value = "book/src/behaviour.md")]
        out: PathBuf,
    },
    /// Run one crate's command line in-process (what its binary runs).
    Cli {
        /// The crate: sync-diesel, async-diesel, sqlx-raw or seaorm-migrate.
        stack: String,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
}

fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    match Cli::parse().command {
        Command::Cli { stack, args } => {
            let Some(entry) = STACKS.iter().find(|e| e.name == stack) else {
                let names: Vec<&str> = STACKS.iter().map(|e| e.name).collect();
                eprintln!("no crate called '{stack}'; one of: {}", names.join(", "));
                return ExitCode::from(2);
            };
            let mut argv = vec![OsString::from(entry.name)];
            argv.extend(args);
            (entry.cli)(argv)
        }
        Command::Report { out } => write_report(&out),
    }
}

fn write_report(out: &std::path::Path) -> ExitCode {
    let cli = match std::env::current_exe() {
        Ok(path) => path,
        Err(err) => {
            eprintln!("cannot find this program's own path: {err}");
            return ExitCode::from(1);
        }
    };
    // No server, no report: one line and the right exit code, instead of
    // every scenario failing in turn.
    if let Err(err) = devdb::database_url("postgres") {
        eprintln!("error: {err}");
        return ExitCode::from(support::app::Failure::exit_code(&err));
    }
    let server = server_version();
    let cells = report::run_all(&cli);
    let context = format!(
        "Last run {} on PostgreSQL {server}, {} build, {} CPUs.",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    let markdown = report::render(&cells, &context);
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(err) = std::fs::create_dir_all(parent)
    {
        eprintln!("cannot create {}: {err}", parent.display());
        return ExitCode::from(1);
    }
    if let Err(err) = std::fs::write(out, markdown) {
        eprintln!("cannot write {}: {err}", out.display());
        return ExitCode::from(1);
    }
    let failed = cells.iter().filter(|c| c.verdict.is_err()).count();
    eprintln!(
        "wrote {} ({} cells, {failed} failed)",
        out.display(),
        cells.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The server's version, for the table's header.
fn server_version() -> String {
    let version = || -> Result<String, String> {
        let url = devdb::database_url("postgres").map_err(|e| e.to_string())?;
        let mut client =
            postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        let row = client
            .query_one("SHOW server_version", &[])
            .map_err(|e| e.to_string())?;
        Ok(row.get(0))
    };
    version().unwrap_or_else(|e| format!("(unknown: {e})"))
}
