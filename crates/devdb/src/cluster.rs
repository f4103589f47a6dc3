//! A local PostgreSQL cluster made from the installed server binaries.
//!
//! Why our own helper rather than `pgtemp` or `postgresql_embedded`: both refuse
//! to work as root as they stand, `postgresql_embedded` wants to download its
//! binaries (there is no internet here) and both aim at throwaway servers, while
//! we want one long-lived cluster that every crate, test and benchmark shares and
//! that survives between runs. What we need is small: `initdb` once, `pg_ctl
//! start`, run both as the `postgres` OS user when we are root, and a file lock so
//! that parallel tests do not race to create the same cluster.

use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use nix::unistd::{Gid, Uid, User};

use crate::error::{Error, Result};
use crate::settings::Settings;

/// The longest path the kernel accepts for a Unix socket, minus the terminator.
const MAX_SOCKET_PATH: usize = 107;

/// How often to retry `pg_ctl start` when a previous server is still going away.
const START_ATTEMPTS: u32 = 6;

/// A cluster folder on this machine: `data/` (the PostgreSQL data directory),
/// `server.log`, the server's Unix socket and the `lock` file that serialises
/// starts.
#[derive(Clone, Debug)]
pub struct LocalCluster {
    dir: PathBuf,
    port: u16,
    user: String,
    password: Option<Vec<u8>>,
    bindir: Option<PathBuf>,
}

impl LocalCluster {
    /// The cluster that would serve `settings` (nothing is touched yet).
    pub fn new(settings: &Settings) -> Self {
        Self {
            dir: settings.cluster_dir(),
            port: settings.port(),
            user: settings.user().to_owned(),
            password: settings.password().map(<[u8]>::to_vec),
            bindir: settings.bindir().map(Path::to_path_buf),
        }
    }

    /// The cluster folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PostgreSQL data directory inside the cluster folder.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server log, where start-up failures are explained.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// True once `initdb` has completed (it is run into a staging folder and
    /// renamed, so a half-made cluster never looks initialised).
    pub fn is_initialised(&self) -> bool {
        self.data_dir().join("PG_VERSION").is_file()
    }

    /// The postmaster's process id, if a server of this cluster is alive.
    pub fn running_pid(&self) -> Option<i32> {
        let text = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        let pid = text.lines().next()?.trim().parse().ok()?;
        is_postgres_process(pid).then_some(pid)
    }

    /// Takes the cluster's start lock, creating the folder first. Held until
    /// the returned file is dropped; other processes block here meanwhile.
    pub(crate) fn lock(&self) -> Result<File> {
        self.prepare_dir(os_user()?.as_ref())?;
        let path = self.dir.join("lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        file.lock()
            .map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
        Ok(file)
    }

    /// Initialises the cluster if needed and starts the server. The caller
    /// holds [`LocalCluster::lock`] and has checked that nothing answers.
    pub(crate) fn start(&self) -> Result<()> {
        let bindir =
            find_bindir(self.bindir.as_deref()).map_err(|searched| Error::NoServerBinaries {
                target: format!("localhost:{}", self.port),
                searched,
            })?;
        let owner = os_user()?;
        if !self.is_initialised() {
            self.initdb(&bindir, owner.as_ref())?;
        }
        for attempt in 1..=START_ATTEMPTS {
            self.remove_stale_pid_file()?;
            let log_offset = self.log_len();
            let output =
                self.pg_ctl_start(&bindir, owner.as_ref(), &self.data_dir(), &self.log_file())?;
            if output.status.success() {
                return Ok(());
            }
            let cause = self.failure_line(&output, log_offset);
            // A server killed a moment ago can still hold its shared memory or
            // pid file; that clears by itself, so wait and try again.
            let transient = [
                "postmaster.pid",
                "shared memory",
                "already in use",
                "lock file",
            ]
            .iter()
            .any(|needle| cause.contains(needle));
            if !transient || attempt == START_ATTEMPTS {
                return Err(self.start_failed(&cause));
            }
            std::thread::sleep(Duration::from_millis(400 * u64::from(attempt)));
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Stops the server (fast shutdown: open sessions are disconnected).
    /// Returns false when it was not running.
    pub fn stop(&self) -> Result<bool> {
        if self.running_pid().is_none() {
            return Ok(false);
        }
        let log_offset = self.log_len();
        self.pg_ctl_stop(&self.data_dir())?
            .map_err(|output| Error::Server {
                context: format!("could not stop the cluster in {}", self.dir.display()),
                cause: self.failure_line(&output, log_offset),
            })?;
        Ok(true)
    }

    /// `pg_ctl start` on `data_dir` (this cluster's, or its replica's),
    /// logging to `log_file`, waiting up to 60 s for the server to answer.
    pub(crate) fn pg_ctl_start(
        &self,
        bindir: &Path,
        owner: Option<&User>,
        data_dir: &Path,
        log_file: &Path,
    ) -> Result<Output> {
        self.run(bindir, owner, "pg_ctl", |cmd| {
            cmd.arg("-D")
                .arg(data_dir)
                .arg("-l")
                .arg(log_file)
                .args(["-w", "-t", "60", "start"]);
        })
    }

    /// `pg_ctl stop -m fast` on `data_dir` (this cluster's, or its replica's),
    /// as the postgres OS user when we are root. `Err(output)` when pg_ctl
    /// failed, for the caller to explain.
    pub(crate) fn pg_ctl_stop(&self, data_dir: &Path) -> Result<std::result::Result<(), Output>> {
        let bindir =
            find_bindir(self.bindir.as_deref()).map_err(|searched| Error::NoServerBinaries {
                target: format!("localhost:{}", self.port),
                searched,
            })?;
        let output = self.run(&bindir, os_user()?.as_ref(), "pg_ctl", |cmd| {
            cmd.arg("-D")
                .arg(data_dir)
                .args(["-m", "fast", "-w", "-t", "60", "stop"]);
        })?;
        Ok(if output.status.success() {
            Ok(())
        } else {
            Err(output)
        })
    }

    /// Creates the folder; as root, hands it to the `postgres` OS user and
    /// checks that this user can reach it.
    fn prepare_dir(&self, owner: Option<&User>) -> Result<()> {
        let socket = self.dir.join(format!(".s.PGSQL.{}", self.port));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(Error::InvalidSetting(format!(
                "the cluster folder {} is too long for a Unix socket path; set PGDEV_DIR to a shorter folder",
                self.dir.display()
            )));
        }
        if self.dir.to_string_lossy().contains('\'') {
            return Err(Error::InvalidSetting(format!(
                "the cluster folder {} contains a quote; set PGDEV_DIR to another folder",
                self.dir.display()
            )));
        }
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("cannot create {}", self.dir.display()), e))?;
        if let Some(owner) = owner {
            check_reachable(&self.dir, owner)?;
            nix::unistd::chown(&self.dir, Some(owner.uid), Some(owner.gid)).map_err(|e| {
                Error::io(
                    format!("cannot hand {} to the postgres OS user", self.dir.display()),
                    e.into(),
                )
            })?;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o755)).map_err(|e| {
                Error::io(format!("cannot set the mode of {}", self.dir.display()), e)
            })?;
        }
        Ok(())
    }

    fn initdb(&self, bindir: &Path, owner: Option<&User>) -> Result<()> {
        let staging = self.dir.join("data.init");
        if staging.exists() {
            // Left by an initdb that was killed; never half-reuse it.
            fs::remove_dir_all(&staging)
                .map_err(|e| Error::io(format!("cannot remove {}", staging.display()), e))?;
        }
        let pwfile = self.dir.join("initdb.pw");
        let auth = if let Some(password) = &self.password {
            write_private(&pwfile, password, owner)?;
            "scram-sha-256"
        } else {
            "trust"
        };
        let result = self.run(bindir, owner, "initdb", |cmd| {
            cmd.arg("-D")
                .arg(&staging)
                .args(["-U", &self.user, "-E", "UTF8", "--no-locale"])
                .arg(format!("--auth={auth}"))
                // The cluster holds throw-away development data: skipping the
                // final fsync makes the first start about a second faster.
                .arg("--no-sync");
            if self.password.is_some() {
                cmd.arg(format!("--pwfile={}", pwfile.display()));
            }
        });
        let _ = fs::remove_file(&pwfile);
        let output = result?;
        if !output.status.success() {
            return Err(self.start_failed(&format!("initdb failed: {}", last_line(&output))));
        }
        let conf = staging.join("postgresql.conf");
        let settings = format!(
            "\n# Added by devdb (crates/devdb): a local development cluster.\n\
             listen_addresses = 'localhost'\n\
             port = {port}\n\
             unix_socket_directories = '{dir}'\n\
             # Parallel tests each hold a small pool, and the conformance suite\n\
             # runs 32 concurrent writers: leave head-room.\n\
             max_connections = 300\n\
             # Throw-away data: durability is traded for speed.\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n",
            port = self.port,
            dir = self.dir.display(),
        );
        fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut f| f.write_all(settings.as_bytes()))
            .map_err(|e| Error::io(format!("cannot write {}", conf.display()), e))?;
        fs::rename(&staging, self.data_dir())
            .map_err(|e| Error::io(format!("cannot move {} into place", staging.display()), e))
    }

    /// Removes a `postmaster.pid` whose process is gone or is not a postgres
    /// process (its pid was reused), which would otherwise block the start.
    fn remove_stale_pid_file(&self) -> Result<()> {
        let path = self.data_dir().join("postmaster.pid");
        if path.exists() && self.running_pid().is_none() {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::io(
                        format!("cannot remove stale {}", path.display()),
                        e,
                    ));
                }
            }
        }
        Ok(())
    }

    /// Runs one server program, as the `postgres` OS user when we are root.
    pub(crate) fn run(
        &self,
        bindir: &Path,
        owner: Option<&User>,
        program: &str,
        args: impl FnOnce(&mut Command),
    ) -> Result<Output> {
        let path = bindir.join(program);
        let mut cmd = Command::new(&path);
        for var in [
            "PGDATA",
            "PGPORT",
            "PGHOST",
            "PGUSER",
            "PGPASSWORD",
            "PGDATABASE",
        ] {
            cmd.env_remove(var);
        }
        // After the removals: a caller may set one of them on purpose.
        args(&mut cmd);
        // Our working folder may be one the postgres user cannot enter (/root).
        cmd.current_dir(&self.dir);
        if let Some(owner) = owner {
            // std drops supplementary groups when it switches user from root.
            cmd.uid(owner.uid.as_raw()).gid(owner.gid.as_raw());
            cmd.env("HOME", &owner.dir).env("USER", &owner.name);
        }
        cmd.output()
            .map_err(|e| Error::io(format!("cannot run {}", path.display()), e))
    }

    fn log_len(&self) -> u64 {
        fs::metadata(self.log_file()).map_or(0, |m| m.len())
    }

    /// The most useful single line explaining a failed `pg_ctl`: the last
    /// FATAL/ERROR line the server logged since `log_offset`, else the
    /// program's own last line.
    fn failure_line(&self, output: &Output, log_offset: u64) -> String {
        let log = fs::read(self.log_file()).unwrap_or_default();
        let start = usize::try_from(log_offset).unwrap_or(0).min(log.len());
        String::from_utf8_lossy(&log[start..])
            .lines()
            .rev()
            .find(|l| l.contains("FATAL") || l.contains("ERROR") || l.contains("PANIC"))
            .map(|l| l.trim().to_owned())
            .unwrap_or_else(|| last_line(output))
    }

    fn start_failed(&self, cause: &str) -> Error {
        Error::StartFailed {
            dir: self.dir.clone(),
            cause: format!("{cause} (log: {})", self.log_file().display()),
        }
    }
}

/// The OS user to run the server as: `None` to run as ourselves, or the
/// `postgres` user (or `PGDEV_OS_USER`) when we are root, which PostgreSQL refuses.
pub(crate) fn os_user() -> Result<Option<User>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let name = std::env::var("PGDEV_OS_USER").unwrap_or_else(|_| "postgres".to_owned());
    match User::from_name(&name) {
        Ok(Some(user)) if !user.uid.is_root() => Ok(Some(user)),
        _ => Err(Error::InvalidSetting(format!(
            "running as root, and PostgreSQL refuses to run as root, but there is no '{name}' OS user to run it as; \
             create one (useradd --system {name}), set PGDEV_OS_USER, or run as a normal user"
        ))),
    }
}

/// As root, gives `dir` to the `postgres` OS user (mode 755); otherwise
/// does nothing.
pub(crate) fn hand_over(dir: &Path, owner: Option<&User>) -> Result<()> {
    if owner.is_none() {
        return Ok(());
    }
    hand_over_file(dir, owner)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(format!("cannot set the mode of {}", dir.display()), e))
}

/// As root, gives the file at `path` to the `postgres` OS user; otherwise
/// does nothing.
pub(crate) fn hand_over_file(path: &Path, owner: Option<&User>) -> Result<()> {
    let Some(owner) = owner else {
        return Ok(());
    };
    nix::unistd::chown(path, Some(owner.uid), Some(owner.gid)).map_err(|e| {
        Error::io(
            format!("cannot hand {} to the postgres OS user", path.display()),
            e.into(),
        )
    })
}

/// Every folder above `dir` must let `owner` through, or the server cannot
/// reach its data (e.g. a repository under /root, which is mode 700).
fn check_reachable(dir: &Path, owner: &User) -> Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.mode();
        let passable = if Uid::from_raw(meta.uid()) == owner.uid {
            mode & 0o100 != 0
        } else if Gid::from_raw(meta.gid()) == owner.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !passable {
            return Err(Error::InvalidSetting(format!(
                "the cluster folder {} is inside {}, which the '{}' OS user cannot enter; set PGDEV_DIR to a folder under /tmp",
                dir.display(),
                ancestor.display(),
                owner.name
            )));
        }
    }
    Ok(())
}

pub(crate) fn write_private(path: &Path, contents: &[u8], owner: Option<&User>) -> Result<()> {
    let context = || format!("cannot write {}", path.display());
    let _ = fs::remove_file(path);
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt as _;
        File::options()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io(context(), e))?
    };
    file.write_all(contents)
        .map_err(|e| Error::io(context(), e))?;
    if let Some(owner) = owner {
        nix::unistd::chown(path, Some(owner.uid), Some(owner.gid))
            .map_err(|e| Error::io(context(), e.into()))?;
    }
    Ok(())
}

/// Finds a folder holding `initdb`, `pg_ctl` and `postgres`: `PG_BINDIR`, then
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then
/// `PATH`. On failure, returns the list of places searched.
pub fn find_bindir(explicit: Option<&Path>) -> std::result::Result<PathBuf, String> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    if let Some(dir) = explicit {
        return if complete(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(format!("PG_BINDIR={}", dir.display()))
        };
    }
    let mut candidates = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(versioned.into_iter().map(|(_, p)| p));
    candidates.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    candidates
        .iter()
        .find(|d| complete(d))
        .cloned()
        .ok_or_else(|| "pg_config --bindir, /usr/lib/postgresql/*/bin and PATH".to_owned())
}

fn is_postgres_process(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(name) => name.trim() == "postgres",
        // No /proc (not Linux): fall back to "the process exists".
        Err(_) if !Path::new("/proc/self").exists() => {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
        }
        Err(_) => false,
    }
}

pub(crate) fn last_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    stderr
        .lines()
        .chain(stdout.lines())
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .unwrap_or_else(|| format!("exited with {}", output.status))
}
