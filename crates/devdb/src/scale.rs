//! PgBouncer in front of the local cluster, and a streaming read replica
//! beside it, started from the installed programs as the cluster is.
//!
//! Ports follow the cluster's port `P`: PgBouncer in transaction mode on
//! `P + 1000` (6432 for 5432, PgBouncer's usual port), in session mode on
//! `P + 1001`, in transaction mode with `server_reset_query_always` on
//! `P + 1002`, the replica on `P + 1`. Everything lives in the cluster folder
//! (`pgbouncer-transaction/`, `pgbouncer-session/`, `replica/`), is started
//! under the cluster's lock, as the `postgres` OS user when we are root (both
//! programs refuse root), and stopped by `devdb stop` with the cluster.

use std::fs;
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cluster::{self, LocalCluster};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// How long a freshly started PgBouncer or replica may take to answer.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// PgBouncer's pool modes, as this project starts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    /// A server connection per transaction: many clients share few backends;
    /// session state (SET, prepared statements, session locks) does not
    /// survive between transactions.
    Transaction,
    /// A server connection per client connection, for its whole life.
    Session,
    /// Transaction mode with `server_reset_query_always = 1`: PgBouncer
    /// runs `DISCARD ALL` on each server connection after every transaction,
    /// so nothing a client prepared outlives its transaction.
    TransactionReset,
}

impl PoolMode {
    /// PgBouncer's name for the mode (`pool_mode = …`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Transaction | Self::TransactionReset => "transaction",
            Self::Session => "session",
        }
    }

    /// Every mode, for starting and stopping them all.
    pub const ALL: [Self; 3] = [Self::Transaction, Self::Session, Self::TransactionReset];

    /// The folder name under the cluster's: `pgbouncer-<this>`.
    fn label(self) -> &'static str {
        match self {
            Self::Transaction => "transaction",
            Self::Session => "session",
            Self::TransactionReset => "transaction-reset",
        }
    }

    pub(crate) fn port_offset(self) -> u16 {
        match self {
            Self::Transaction => 1000,
            Self::Session => 1001,
            Self::TransactionReset => 1002,
        }
    }
}

/// A PgBouncer of the local cluster, in one pool mode.
#[derive(Clone, Debug)]
pub struct Pooler {
    mode: PoolMode,
    dir: PathBuf,
    cluster_port: u16,
    user: String,
    password: Option<Vec<u8>>,
}

impl Pooler {
    /// The PgBouncer in `mode` for the cluster `settings` describe.
    pub fn new(settings: &Settings, mode: PoolMode) -> Self {
        Self {
            mode,
            dir: Self::dir_in(&settings.cluster_dir(), mode),
            cluster_port: settings.port(),
            user: settings.user().to_owned(),
            password: settings.password().map(<[u8]>::to_vec),
        }
    }

    /// The folder of the PgBouncer in `mode` of the cluster in `cluster_dir`.
    pub(crate) fn dir_in(cluster_dir: &Path, mode: PoolMode) -> PathBuf {
        cluster_dir.join(format!("pgbouncer-{}", mode.label()))
    }

    /// Its pool mode.
    pub fn mode(&self) -> PoolMode {
        self.mode
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.cluster_port.saturating_add(self.mode.port_offset())
    }

    /// Its folder: `pgbouncer.ini`, `userlist.txt`, its log and pid file.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("pgbouncer.log")
    }

    /// The process id, if this PgBouncer runs.
    pub fn running_pid(&self) -> Option<i32> {
        running_pid(&self.dir.join("pgbouncer.pid"), "pgbouncer")
    }

    /// Writes its configuration and starts it, unless it runs already. The
    /// caller holds the cluster's lock and has started the cluster.
    pub(crate) fn start(&self) -> Result<()> {
        if self.running_pid().is_some() {
            return Ok(());
        }
        let program = find_program("PGBOUNCER", "pgbouncer", "apt-get install pgbouncer")?;
        let owner = cluster::os_user()?;
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("cannot create {}", self.dir.display()), e))?;
        cluster::hand_over(&self.dir, owner.as_ref())?;
        let _ = fs::remove_file(self.dir.join("pgbouncer.pid"));
        // PgBouncer checks client passwords against this file and, knowing
        // them in plain text, logs into the server with SCRAM on their behalf.
        let password = String::from_utf8_lossy(self.password.as_deref().unwrap_or_default());
        let userlist = format!(
            "\"{}\" \"{}\"\n",
            self.user.replace('"', "\"\""),
            password.replace('"', "\"\"")
        );
        cluster::write_private(
            &self.dir.join("userlist.txt"),
            userlist.as_bytes(),
            owner.as_ref(),
        )?;
        let ini = self.dir.join("pgbouncer.ini");
        cluster::write_private(&ini, self.config().as_bytes(), owner.as_ref())?;
        let mut command = Command::new(&program);
        command.arg("-d").arg(&ini).current_dir(&self.dir);
        if let Some(owner) = &owner {
            command.uid(owner.uid.as_raw()).gid(owner.gid.as_raw());
        }
        let output = command
            .output()
            .map_err(|e| Error::io(format!("cannot run {}", program.display()), e))?;
        if !output.status.success() {
            return Err(self.start_failed(&cluster::last_line(&output)));
        }
        wait_for_port(self.port())
            .map_err(|()| self.start_failed("it did not listen within 30 s"))?;
        // PgBouncer listens first and writes its pid file a moment later
        // (`pooler_setup()`, then `write_pidfile()`, in its main.c): started
        // means both, or the next `running_pid` may not see it yet.
        wait_until(|| self.running_pid().is_some())
            .map_err(|()| self.start_failed("it wrote no pid file within 30 s"))
    }

    /// Stops it (immediate shutdown: open client connections are closed).
    /// Returns false when it was not running.
    ///
    /// SIGTERM is PgBouncer 1.18's immediate shutdown; its SIGINT is the
    /// "safe" one, which waits for every client to leave, and a client in
    /// session mode never does. PgBouncer 1.23 made SIGTERM wait for clients
    /// too, so one still there after 5 s is killed.
    pub fn stop(&self) -> Result<bool> {
        let Some(pid) = self.running_pid() else {
            return Ok(false);
        };
        if stop_process(
            pid,
            nix::sys::signal::Signal::SIGTERM,
            Duration::from_secs(5),
        )
        .is_err()
        {
            stop_process(
                pid,
                nix::sys::signal::Signal::SIGKILL,
                Duration::from_secs(10),
            )?;
        }
        Ok(true)
    }

    fn config(&self) -> String {
        format!(
            "; Written by devdb (crates/devdb/src/scale.rs); rewritten at every start.\n\
             [databases]\n\
             ; Every database name goes to the local cluster, under the same name.\n\
             * = host=127.0.0.1 port={cluster_port}\n\
             \n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             pool_mode = {mode}\n\
             auth_type = scram-sha-256\n\
             auth_file = {dir}/userlist.txt\n\
             admin_users = {user}\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n\
             ; Many clients, few server connections: the tests need more\n\
             ; clients than backends to see what sharing a backend does.\n\
             max_client_conn = 2000\n\
             default_pool_size = 8\n\
             ; A client waiting for a server connection gives up after 10 s\n\
             ; (PgBouncer's default is 120 s) with `query_wait_timeout`.\n\
             query_wait_timeout = 10\n\
             ; sqlx sends extra_float_digits at start-up; PgBouncer refuses\n\
             ; unknown start-up parameters unless told to ignore them.\n\
             ignore_startup_parameters = extra_float_digits\n\
             server_reset_query_always = {reset_always}\n",
            reset_always = u8::from(self.mode == PoolMode::TransactionReset),
            cluster_port = self.cluster_port,
            port = self.port(),
            mode = self.mode.name(),
            dir = self.dir.display(),
            user = self.user,
        )
    }

    fn start_failed(&self, cause: &str) -> Error {
        Error::StartFailed {
            dir: self.dir.clone(),
            cause: format!(
                "PgBouncer ({}) did not start: {cause} (log: {})",
                self.mode.label(),
                self.log_file().display()
            ),
        }
    }
}

/// The streaming replica of the local cluster: `pg_basebackup -R` of it,
/// then a standby that replays the primary's WAL and answers reads.
#[derive(Clone, Debug)]
pub struct Replica {
    primary: LocalCluster,
    primary_port: u16,
    user: String,
    password: Option<Vec<u8>>,
}

impl Replica {
    /// The replica of the cluster `settings` describe.
    pub fn new(settings: &Settings) -> Self {
        Self {
            primary: LocalCluster::new(settings),
            primary_port: settings.port(),
            user: settings.user().to_owned(),
            password: settings.password().map(<[u8]>::to_vec),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.primary_port.saturating_add(1)
    }

    /// Its data directory, inside the primary's cluster folder.
    pub fn data_dir(&self) -> PathBuf {
        self.primary.dir().join("replica")
    }

    /// Its server log.
    pub fn log_file(&self) -> PathBuf {
        self.primary.dir().join("replica.log")
    }

    /// True once the base backup has been taken.
    pub fn is_initialised(&self) -> bool {
        self.data_dir().join("PG_VERSION").is_file()
    }

    /// The postmaster's process id, if the replica runs.
    pub fn running_pid(&self) -> Option<i32> {
        running_pid(&self.data_dir().join("postmaster.pid"), "postgres")
    }

    /// Takes a fresh base backup, then starts the standby, unless it runs
    /// already. The caller holds the cluster's lock and has started the
    /// primary.
    pub(crate) fn start(&self, bindir: Option<&Path>) -> Result<()> {
        if self.running_pid().is_some() {
            return Ok(());
        }
        let bindir = cluster::find_bindir(bindir).map_err(|searched| Error::NoServerBinaries {
            target: format!("localhost:{}", self.port()),
            searched,
        })?;
        let owner = cluster::os_user()?;
        // A stopped replica is cloned again: the primary keeps no WAL for it
        // while it is down (no replication slot, so the primary's disk never
        // fills up for a replica nobody uses), and an old copy can find the
        // WAL it needs gone ("requested WAL segment … has already been
        // removed", seen after a test run), never catching up.
        if self.is_initialised() {
            fs::remove_dir_all(self.data_dir()).map_err(|e| {
                Error::io(format!("cannot remove {}", self.data_dir().display()), e)
            })?;
        }
        self.base_backup(&bindir, owner.as_ref())?;
        let _ = fs::remove_file(self.data_dir().join("postmaster.pid"));
        let output = self.primary.pg_ctl_start(
            &bindir,
            owner.as_ref(),
            &self.data_dir(),
            &self.log_file(),
        )?;
        if output.status.success() {
            Ok(())
        } else {
            Err(self.start_failed(&cluster::last_line(&output)))
        }
    }

    /// Stops the standby (fast shutdown). Returns false when it was not running.
    pub fn stop(&self) -> Result<bool> {
        if self.running_pid().is_none() {
            return Ok(false);
        }
        self.primary
            .pg_ctl_stop(&self.data_dir())?
            .map_err(|output| Error::Server {
                context: format!(
                    "could not stop the replica in {}",
                    self.data_dir().display()
                ),
                cause: cluster::last_line(&output),
            })?;
        Ok(true)
    }

    /// `pg_basebackup -R` into a staging folder, renamed when complete (a
    /// half-made replica never looks initialised), then its own port.
    fn base_backup(&self, bindir: &Path, owner: Option<&nix::unistd::User>) -> Result<()> {
        let staging = self.primary.dir().join("replica.init");
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .map_err(|e| Error::io(format!("cannot remove {}", staging.display()), e))?;
        }
        let password = self
            .password
            .as_deref()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let output = self.primary.run(bindir, owner, "pg_basebackup", |cmd| {
            cmd.arg("-D")
                .arg(&staging)
                .arg("-d")
                .arg(format!(
                    "host={} port={} user={}",
                    self.primary.dir().display(),
                    self.primary_port,
                    self.user
                ))
                // -R: write standby.signal and primary_conninfo (with the
                // password it logged in with), so the copy starts as a standby.
                .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"]);
            if let Some(password) = &password {
                cmd.env("PGPASSWORD", password);
            }
        })?;
        if !output.status.success() {
            let _ = fs::remove_dir_all(&staging);
            return Err(self.start_failed(&format!(
                "pg_basebackup failed: {}",
                cluster::last_line(&output)
            )));
        }
        let conf = staging.join("postgresql.conf");
        fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut f| {
                writeln!(
                    f,
                    "\n# Added by devdb: this copy is the streaming replica.\nport = {}",
                    self.port()
                )
            })
            .map_err(|e| Error::io(format!("cannot write {}", conf.display()), e))?;
        fs::rename(&staging, self.data_dir())
            .map_err(|e| Error::io(format!("cannot move {} into place", staging.display()), e))
    }

    fn start_failed(&self, cause: &str) -> Error {
        Error::StartFailed {
            dir: self.data_dir(),
            cause: format!(
                "the replica did not start: {cause} (log: {})",
                self.log_file().display()
            ),
        }
    }
}

/// `variable`, else program `name` in /usr/sbin, /usr/bin or on PATH; the
/// error says to `install` it (PgBouncer here, Patroni, etcd and HAProxy in
/// `crate::ha`).
pub(crate) fn find_program(variable: &str, name: &str, install: &str) -> Result<PathBuf> {
    if let Some(explicit) = std::env::var_os(variable).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(explicit));
    }
    [PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")]
        .into_iter()
        .chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ))
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            Error::InvalidSetting(format!(
                "{name} is not installed: {install} (or set {variable} to its path)"
            ))
        })
}

/// The pid in `pid_file`, if that process is alive and is `program`.
pub(crate) fn running_pid(pid_file: &Path, program: &str) -> Option<i32> {
    let text = fs::read_to_string(pid_file).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == program).then_some(pid)
}

/// Sends `signal` and waits (`wait` at most) for the process to go.
pub(crate) fn stop_process(
    pid: i32,
    signal: nix::sys::signal::Signal,
    wait: Duration,
) -> Result<()> {
    let target = nix::unistd::Pid::from_raw(pid);
    let _ = nix::sys::signal::kill(target, signal);
    let deadline = Instant::now() + wait;
    while Path::new(&format!("/proc/{pid}")).exists() {
        if Instant::now() >= deadline {
            return Err(Error::Server {
                context: format!("process {pid} did not stop"),
                cause: format!("still running {} s after {signal}", wait.as_secs()),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn wait_for_port(port: u16) -> std::result::Result<(), ()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(|| TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok())
}

/// Waits until `done` says so, for [`START_DEADLINE`] at most.
fn wait_until(mut done: impl FnMut() -> bool) -> std::result::Result<(), ()> {
    let deadline = Instant::now() + START_DEADLINE;
    while Instant::now() < deadline {
        if done() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `key = value` lines of an ini text, comments and sections left out.
    fn settings_of(ini: &str) -> Vec<(String, String)> {
        ini.lines()
            .filter_map(|line| line.split_once('='))
            .filter(|(key, _)| !key.trim_start().starts_with(';'))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect()
    }

    /// docker-compose.yml's PgBouncers are configured as devdb's, except
    /// for what differs by nature (where they listen, where the server is,
    /// where files are).
    #[test]
    fn docker_compose_pgbouncers_match_devdbs() {
        let settings = Settings::new(crate::DEFAULT_URL).unwrap_or_else(|e| panic!("{e}"));
        let where_things_are = [
            "*",
            "listen_addr",
            "listen_port",
            "auth_file",
            "logfile",
            "pidfile",
        ];
        for mode in PoolMode::ALL {
            let ours = settings_of(&Pooler::new(&settings, mode).config());
            let path = format!(
                "{}/../../docker/pgbouncer/{}.ini",
                env!("CARGO_MANIFEST_DIR"),
                mode.label()
            );
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let theirs = settings_of(&text);
            let keep = |list: Vec<(String, String)>| -> Vec<(String, String)> {
                list.into_iter()
                    .filter(|(key, _)| !where_things_are.contains(&key.as_str()))
                    .collect()
            };
            assert_eq!(keep(theirs), keep(ours), "{path} differs from devdb's");
        }
    }
}
