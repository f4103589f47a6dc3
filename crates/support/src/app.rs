//! What every example binary does around its own work: the options they all
//! take, a tokio runtime for the async ones, and ending with one readable line
//! and the right exit code (0 success, 2 configuration or usage, 1 the rest).

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

/// The options every example binary takes, flattened into its clap `Parser`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct CommonArgs {
    /// The database to use on the DATABASE_URL server, created when missing
    /// (default: the crate's own, e.g. sync_diesel).
    #[arg(long, global = true, value_name = "NAME")]
    pub database: Option<String>,

    /// Print every SQL statement sent (SQLAlchemy's echo=True). Also ECHO=1.
    #[arg(
        long,
        global = true,
        env = "ECHO",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub echo: bool,
}

impl CommonArgs {
    /// `--database`, or `default` when it was not given.
    pub fn database_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.database.as_deref().unwrap_or(default)
    }
}

/// An error a binary can end with: it prints as one line and knows its exit code.
pub trait Failure: Display {
    /// 2 for configuration and usage problems, 1 for everything else.
    fn exit_code(&self) -> u8;
}

/// The exit code for usage and configuration problems (a bad `DATABASE_URL`,
/// an unknown option); everything else that fails exits with 1.
pub const EXIT_USAGE: u8 = 2;

/// Makes the program end quietly, like other command-line tools, when its
/// output is piped into something that stops reading (`cargo run | head`).
/// Rust ignores SIGPIPE, so without this a full pipe makes `println!` panic in
/// front of the user. Call it first thing in `main`, before any thread starts.
#[allow(unsafe_code)]
pub fn exit_quietly_on_broken_pipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: restoring the default disposition installs no handler code, and
    // it runs at the start of main, before other threads exist.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// Makes a write to a socket whose peer has gone fail with `EPIPE` instead of
/// ending the process, undoing [`exit_quietly_on_broken_pipe`] for a server.
/// hyper writes responses with `writev`, which (unlike `send`) raises SIGPIPE:
/// with the default disposition, one client hanging up in the middle of a
/// long response (an export) would kill the server and every request in it.
#[allow(unsafe_code)]
pub fn survive_broken_pipes() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: ignoring a signal installs no handler code; a disposition
    // change is atomic for every thread of the process.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
}

/// Parses `args` (the first is the program name) without ending the process:
/// `--help` and `--version` print and give exit code 0, a usage error prints
/// clap's message and gives 2. For in-process callers (the conformance suite,
/// the benchmark) as much as for `main`.
pub fn parse<C: clap::Parser, I, T>(args: I) -> Result<C, ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    C::try_parse_from(args).map_err(|err| {
        let _ = err.print();
        if err.use_stderr() {
            ExitCode::from(EXIT_USAGE)
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// The `migrate` verbs that mean the same in every crate with a version
/// table, named after their Alembic counterparts; a crate flattens them into
/// its own `migrate` subcommand and adds the verbs only it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::Subcommand)]
pub enum MigrateVerb {
    /// Apply every pending migration (`alembic upgrade head`).
    Up,
    /// Revert the latest migrations (`alembic downgrade -N`).
    Down {
        /// How many to revert.
        #[arg(short = 'n', long = "steps", default_value_t = 1)]
        steps: usize,
    },
    /// List every migration and whether it is applied (`alembic history`).
    History,
    /// Print the SQL `migrate up` would run, without running it
    /// (`alembic upgrade head --sql`).
    Plan {
        /// Every migration, applied or not (what a migration linter reads).
        #[arg(long)]
        all: bool,
    },
}

/// One pending migration as `migrate plan` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedMigration {
    /// The migration's name, as `migrate history` prints it.
    pub name: String,
    /// Whether the tool runs it inside a transaction of its own.
    pub in_transaction: bool,
    /// The SQL it sends, as written in the migration (or, for SeaORM, as its
    /// schema builder renders it).
    pub sql: String,
}

/// Prints `migrate plan`: each pending migration's SQL, oldest first, in a
/// `BEGIN;` … `COMMIT;` block when the tool runs it in a transaction, under a
/// `-- <name>` comment line; or one comment saying there is nothing to apply.
/// The output is a SQL script: `psql` could run it, and a linter can read it.
pub fn print_plan(plan: &[PlannedMigration]) {
    if plan.is_empty() {
        println!("-- already at head: `migrate up` would run nothing");
    }
    for step in plan {
        let how = if step.in_transaction {
            "in a transaction"
        } else {
            "outside any transaction"
        };
        println!("-- {} ({how})", step.name);
        if step.in_transaction {
            println!("BEGIN;");
        }
        let sql = step.sql.trim_end();
        if sql.ends_with(';') {
            println!("{sql}");
        } else {
            println!("{sql};");
        }
        if step.in_transaction {
            println!("COMMIT;");
        }
        println!();
    }
}

/// Prints what a `migrate` verb did, the same way in every crate: one
/// `applied  <name>` or `reverted <name>` line per migration, or one line
/// saying there was nothing to do.
pub fn print_migrations(verb: &str, names: &[String]) {
    if names.is_empty() {
        println!(
            "{}",
            if verb == "applied" {
                "already at head"
            } else {
                "nothing to do"
            }
        );
    }
    for name in names {
        println!("{verb:<8} {name}");
    }
}

/// Prints `migrate history`: `applied  <name>` or `pending  <name>`, oldest first.
pub fn print_history(revisions: impl IntoIterator<Item = (bool, String)>) {
    for (applied, name) in revisions {
        let state = if applied { "applied" } else { "pending" };
        println!("{state:<8} {name}");
    }
}

/// Ends the program: `Ok` is exit code 0; an error is printed as
/// `error: <one line>` on stderr and ends with its exit code.
pub fn exit<E: Failure>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Runs `work` to completion on a new multi-threaded tokio runtime (the
/// migration harnesses need one), then ends the program as [`exit`] does.
pub fn run_async<E: Failure>(work: impl Future<Output = Result<(), E>>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => exit(runtime.block_on(work)),
        Err(err) => {
            eprintln!("error: cannot start the tokio runtime: {err}");
            ExitCode::from(1)
        }
    }
}
