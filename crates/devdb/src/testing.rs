//! For the example crates' tests: every binary must turn bad input into one
//! line on stderr and the right exit code, never a panic. The three bad
//! `DATABASE_URL`s are defined here once; the conformance suite asks them of
//! every binary, and each crate's tests add its own bad input.

use std::process::Command;

/// A command line that must fail cleanly.
#[derive(Clone, Copy, Debug)]
pub struct BadInput<'a> {
    /// Arguments after the binary's own defaults.
    pub args: &'a [&'a str],
    /// `DATABASE_URL` to set, if any.
    pub database_url: Option<&'a str>,
    /// The exit code expected.
    pub exit_code: i32,
    /// Text the one stderr line must contain.
    pub message: &'a str,
}

/// A malformed URL, a wrong password, an unknown host: each exit code 2.
pub const BAD_DATABASE_URLS: [BadInput<'static>; 3] = [
    BadInput {
        args: &[],
        database_url: Some("postgres//nope"),
        exit_code: 2,
        message: "DATABASE_URL is not a usable",
    },
    BadInput {
        args: &[],
        database_url: Some("postgres://admin:wrong@localhost:5432/postgres"),
        exit_code: 2,
        message: "password authentication failed",
    },
    BadInput {
        args: &[],
        database_url: Some("postgres://admin:changethis@no-such-host.invalid/postgres"),
        exit_code: 2,
        message: "cannot reach PostgreSQL",
    },
];

/// Runs `command()` with each of `cases` and panics (failing the test)
/// unless every run ends with exactly one stderr line containing the expected
/// text, the expected exit code, and no panic. (The [`BAD_DATABASE_URLS`] are
/// asked of every example binary once, by conformance scenario 8.)
pub fn assert_fails_cleanly(command: impl Fn() -> Command, cases: &[BadInput<'_>]) {
    if let Err(failure) = check_fails_cleanly(command, cases) {
        panic!("{failure}");
    }
}

/// Runs `command()` once per case; returns each run's one stderr line, or
/// what went wrong with the first run that did not fail cleanly (exit code,
/// line count, expected text, panic text).
pub fn check_fails_cleanly(
    command: impl Fn() -> Command,
    cases: &[BadInput<'_>],
) -> Result<Vec<String>, String> {
    let mut lines = Vec::with_capacity(cases.len());
    for case in cases {
        let mut cmd = command();
        if let Some(url) = case.database_url {
            cmd.env("DATABASE_URL", url);
        }
        let out = cmd
            .args(case.args)
            .output()
            .map_err(|err| format!("cannot run {cmd:?}: {err}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("{:?} with DATABASE_URL {:?}", case.args, case.database_url);
        if out.status.code() != Some(case.exit_code) {
            return Err(format!(
                "{what}: exit code {:?}, expected {}: {stderr}",
                out.status.code(),
                case.exit_code
            ));
        }
        if stderr.lines().count() != 1 {
            return Err(format!(
                "{what}: expected one line on stderr, got: {stderr}"
            ));
        }
        if !stderr.contains(case.message) {
            return Err(format!("{what}: expected {:?} in: {stderr}", case.message));
        }
        if stderr.contains("panicked") {
            return Err(format!("{what}: panicked: {stderr}"));
        }
        lines.push(stderr.trim_end().to_owned());
    }
    Ok(lines)
}

/// A PostgreSQL cluster of a test's own: its own folder under the temp dir,
/// a free port, the local-dev credentials of `.env.example` and the server
/// binaries of `PG_BINDIR` when set. Not started until asked
/// (`devdb().ensure_server()`); stopped and deleted on drop. For tests that
/// stop, kill or break a server, which they must never do to the shared one.
#[derive(Debug)]
pub struct ScratchCluster {
    devdb: crate::DevDb,
    dir: std::path::PathBuf,
    port: u16,
}

impl ScratchCluster {
    /// Picks a folder and a free port (nothing is created yet).
    pub fn new() -> crate::Result<Self> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| crate::Error::InvalidSetting(format!("no free port: {e}")))?
            .port();
        let dir = std::env::temp_dir().join(format!(
            "pgdev-scratch-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let devdb = crate::DevDb::new(scratch_settings(port, &dir, "changethis")?);
        Ok(Self { devdb, dir, port })
    }

    /// Settings for this cluster with another password (to test refusals).
    pub fn settings(&self, password: &str) -> crate::Result<crate::Settings> {
        scratch_settings(self.port, &self.dir, password)
    }

    /// The helper for this cluster.
    pub fn devdb(&self) -> &crate::DevDb {
        &self.devdb
    }

    /// The cluster's folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The port it listens on once started.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of its maintenance database.
    pub fn url(&self) -> String {
        format!(
            "postgres://admin:changethis@localhost:{}/postgres",
            self.port
        )
    }
}

/// The settings of a scratch cluster on `port` in `dir`.
fn scratch_settings(
    port: u16,
    dir: &std::path::Path,
    password: &str,
) -> crate::Result<crate::Settings> {
    let mut settings = crate::Settings::new(&format!(
        "postgres://admin:{password}@localhost:{port}/postgres"
    ))?
    .with_cluster_dir(dir);
    if let Some(bindir) = crate::Settings::from_env()
        .ok()
        .and_then(|s| s.bindir().map(std::path::Path::to_path_buf))
    {
        settings = settings.with_bindir(bindir);
    }
    Ok(settings)
}

impl Drop for ScratchCluster {
    fn drop(&mut self) {
        let _ = self.devdb.cluster().stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
