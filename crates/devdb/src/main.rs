//! `devdb`: start, stop and inspect the local development PostgreSQL, and print
//! the URL of a crate's database.
//!
//! Every crate in the workspace calls the same helper as a library; this command
//! line is for people and for the justfile (`just up`, `just down`, `just psql`).
//!
//! Run with:
//! ```text
//! cargo run -p devdb -- start        # start (or reuse) the server
//! cargo run -p devdb -- status       # where it is, whether it answers
//! cargo run -p devdb -- url heroes   # create database `heroes` if missing, print its URL
//! cargo run -p devdb -- url --via pgbouncer heroes          # …through PgBouncer, transaction mode
//! cargo run -p devdb -- url --via pgbouncer-session heroes  # …through PgBouncer, session mode
//! cargo run -p devdb -- url --replica heroes                # …on the streaming read replica
//! cargo run -p devdb -- stop         # stop the local cluster (and its PgBouncers, replica)
//!
//! cargo run -p devdb -- ha up         # etcd, three Patroni nodes, HAProxy (started if needed)
//! cargo run -p devdb -- ha status     # leader, synchronous standby, lag
//! cargo run -p devdb -- ha url heroes                      # every node, target_session_attrs=read-write
//! cargo run -p devdb -- ha url --via haproxy heroes        # HAProxy's port for the leader
//! cargo run -p devdb -- ha switchover # planned: the synchronous standby takes over
//! cargo run -p devdb -- ha failover   # the leader killed (SIGKILL); Patroni promotes the standby
//! cargo run -p devdb -- ha down       # stop it all
//! ```

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use devdb::ha::{self, HaCluster};
use devdb::scale::{PoolMode, Pooler, Replica};
use devdb::{DevDb, Error, ServerState};

/// The development database: a local PostgreSQL cluster started from the
/// installed server binaries when DATABASE_URL points at localhost and nothing
/// answers there.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make sure the server answers, starting the local cluster if needed.
    Start,
    /// Stop the local cluster (does nothing to a server we did not start).
    Stop,
    /// Show the server, whether it answers, and the local cluster's folder.
    Status,
    /// Create a database if missing and print its URL (with the password).
    Url {
        /// The database name (default: the one in DATABASE_URL).
        database: Option<String>,
        /// Reach it through the local cluster's PgBouncer (started if needed).
        #[arg(long, value_enum, default_value_t = Via::Direct, conflicts_with = "replica")]
        via: Via,
        /// Reach it on the local cluster's streaming read replica (started if needed).
        #[arg(long)]
        replica: bool,
    },
    /// Drop a database (and disconnect its sessions).
    Drop {
        /// The database to drop.
        database: String,
    },
    /// The highly available cluster: etcd, three Patroni nodes
    /// (synchronous replication) and HAProxy, on ports of its own.
    Ha {
        #[command(subcommand)]
        command: HaCommand,
    },
}

#[derive(Subcommand)]
enum HaCommand {
    /// Start whatever is not running and wait until a leader, its
    /// synchronous standby and HAProxy answer and every standby streams
    /// from the leader (a killed node rejoins).
    Up,
    /// Each node's role, state, timeline and lag.
    Status,
    /// Create a database if missing, wait until every node has it, and
    /// print its URL on the HA cluster.
    Url {
        /// The database name (default: the one in DATABASE_URL).
        database: Option<String>,
        /// How the URL reaches the leader.
        #[arg(long, value_enum, default_value_t = HaVia::MultiHost)]
        via: HaVia,
    },
    /// A planned switchover: the synchronous standby becomes the leader.
    Switchover,
    /// The leader dies as a machine would (Patroni and PostgreSQL killed
    /// with SIGKILL); waits for Patroni to promote the synchronous standby.
    /// `ha up` brings the dead node back as a standby.
    Failover,
    /// Stop HAProxy, the nodes and etcd.
    Down,
}

/// How `ha url` reaches the cluster.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HaVia {
    /// Every node, with target_session_attrs=read-write (libpq, tokio-postgres).
    MultiHost,
    /// HAProxy's primary port: one address, always the leader.
    Haproxy,
    /// HAProxy's replica port: the standbys.
    HaproxyReplica,
}

/// How `url` reaches the database.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Via {
    /// The server itself (behind devdb's PgBouncer when DATABASE_URL names
    /// one; MIGRATION_DATABASE_URL when set).
    Direct,
    /// PgBouncer in transaction mode (port + 1000).
    Pgbouncer,
    /// PgBouncer in session mode (port + 1001).
    PgbouncerSession,
    /// PgBouncer in transaction mode with `server_reset_query_always = 1` (port + 1002).
    PgbouncerReset,
}

fn main() -> ExitCode {
    support::app::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(Error::EXIT_CODE)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Error> {
    let devdb = DevDb::from_env()?;
    let target = devdb.settings().redacted();
    let cluster = devdb.cluster();
    match command {
        Command::Start => {
            let began = Instant::now();
            match devdb.ensure_server()? {
                ServerState::AlreadyRunning => {
                    println!(
                        "PostgreSQL at {target} is already running (checked in {} ms)",
                        began.elapsed().as_millis()
                    );
                }
                ServerState::Started {
                    initialised,
                    elapsed,
                } => {
                    let how = if initialised {
                        "created and started"
                    } else {
                        "started"
                    };
                    println!(
                        "PostgreSQL at {target}: local cluster in {} {how} in {:.2} s",
                        cluster.dir().display(),
                        elapsed.as_secs_f64()
                    );
                }
            }
        }
        Command::Stop => {
            if devdb.stop()? {
                println!("stopped the local cluster in {}", cluster.dir().display());
            } else {
                println!(
                    "the local cluster in {} was not running",
                    cluster.dir().display()
                );
            }
        }
        Command::Status => {
            let reachable = devdb.is_reachable();
            println!("server:        {target}");
            println!("answers:       {}", if reachable { "yes" } else { "no" });
            if let Some(mode) = devdb.settings().app_pooler() {
                println!(
                    "DATABASE_URL:  this cluster's PgBouncer ({} mode, port {}); migrations go to the server above",
                    mode.name(),
                    Pooler::new(devdb.settings(), mode).port()
                );
            }
            println!("local cluster: {}", cluster.dir().display());
            println!(
                "  initialised: {}",
                if cluster.is_initialised() {
                    "yes"
                } else {
                    "no"
                }
            );
            match cluster.running_pid() {
                Some(pid) => println!("  running:     yes (postmaster pid {pid})"),
                None => println!("  running:     no"),
            }
            println!("  log:         {}", cluster.log_file().display());
            for mode in PoolMode::ALL {
                let pooler = Pooler::new(devdb.settings(), mode);
                let state = pooler.running_pid().map_or_else(
                    || "not running".to_owned(),
                    |pid| format!("running (pid {pid})"),
                );
                println!(
                    "  pgbouncer ({} mode{}, port {}): {state}",
                    mode.name(),
                    if mode == PoolMode::TransactionReset {
                        ", server_reset_query_always"
                    } else {
                        ""
                    },
                    pooler.port()
                );
            }
            let replica = Replica::new(devdb.settings());
            let state = replica.running_pid().map_or_else(
                || "not running".to_owned(),
                |pid| format!("running (pid {pid})"),
            );
            println!("  replica (port {}): {state}", replica.port());
            if !reachable {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Url {
            database,
            via,
            replica,
        } => {
            let name =
                database.unwrap_or_else(|| devdb.settings().maintenance_database().to_owned());
            let url = match (via, replica) {
                (_, true) => devdb.replica_url(&name)?,
                (Via::Direct, false) => devdb.direct_url(&name)?,
                (Via::Pgbouncer, false) => devdb.pooler_url(&name, PoolMode::Transaction)?,
                (Via::PgbouncerSession, false) => devdb.pooler_url(&name, PoolMode::Session)?,
                (Via::PgbouncerReset, false) => {
                    devdb.pooler_url(&name, PoolMode::TransactionReset)?
                }
            };
            println!("{url}");
        }
        Command::Ha { command } => return run_ha(&devdb, command),
        Command::Drop { database } => {
            devdb.drop_database(&database)?;
            println!("dropped database {database} (if it existed)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_ha(devdb: &DevDb, command: HaCommand) -> Result<ExitCode, Error> {
    let cluster = HaCluster::new(devdb.settings());
    match command {
        HaCommand::Up => {
            let began = Instant::now();
            let members = cluster.up()?;
            println!(
                "HA cluster in {} is up ({:.1} s): HAProxy primary on port {}, replicas on port {}",
                cluster.dir().display(),
                began.elapsed().as_secs_f64(),
                cluster.primary_port(),
                cluster.replica_port()
            );
            print_members(&members);
        }
        HaCommand::Status => {
            let members = cluster.members()?;
            println!("HA cluster in {}", cluster.dir().display());
            print_members(&members);
            println!(
                "HAProxy: primary on port {}, replicas on port {}",
                cluster.primary_port(),
                cluster.replica_port()
            );
        }
        HaCommand::Url { database, via } => {
            let name =
                database.unwrap_or_else(|| devdb.settings().maintenance_database().to_owned());
            let via = match via {
                HaVia::MultiHost => ha::Via::MultiHost,
                HaVia::Haproxy => ha::Via::Haproxy,
                HaVia::HaproxyReplica => ha::Via::HaproxyReplica,
            };
            // Asked first, so that a cluster that is down is said to be (and no
            // plain cluster is started on HAProxy's port instead).
            cluster.leader()?;
            // Created through the leader; a standby has it once it replays that.
            let primary = cluster.url(devdb.settings().maintenance_database(), ha::Via::Haproxy)?;
            DevDb::new(devdb::Settings::new(&primary)?).direct_url(&name)?;
            // On every node before it is used: a standby may answer (the
            // replica port) or be the last host a multi-host connect tried.
            cluster.wait_for_database(&name)?;
            let url = cluster.url(&name, via)?;
            println!("{url}");
        }
        HaCommand::Switchover => {
            let began = Instant::now();
            let (old, new) = cluster.switchover()?;
            println!(
                "switched over from {} to {} in {:.1} s (HAProxy routes to {} on port {})",
                old.name,
                new.name,
                began.elapsed().as_secs_f64(),
                new.name,
                cluster.primary_port()
            );
        }
        HaCommand::Failover => {
            let began = Instant::now();
            let old = cluster.kill_leader()?;
            println!("killed {} (Patroni and PostgreSQL, SIGKILL)", old.name);
            let new = cluster.wait_for_new_leader(&old)?;
            println!(
                "{} took over in {:.1} s; `devdb ha up` brings {} back as a standby",
                new.name,
                began.elapsed().as_secs_f64(),
                old.name
            );
        }
        HaCommand::Down => {
            if cluster.down()? {
                println!("stopped the HA cluster in {}", cluster.dir().display());
            } else {
                println!(
                    "the HA cluster in {} was not running",
                    cluster.dir().display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_members(members: &[ha::Member]) {
    println!("  node   port   role          state      timeline  lag (bytes)");
    for m in members {
        println!(
            "  {:<6} {:<6} {:<13} {:<10} {:<9} {}",
            m.name,
            m.port,
            m.role,
            m.state,
            m.timeline.map_or_else(String::new, |t| t.to_string()),
            m.lag.map_or_else(String::new, |l| l.to_string())
        );
    }
}
