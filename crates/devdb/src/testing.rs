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

/// An example crate's binary (`path`, from the test's
/// `env!("CARGO_BIN_EXE_<name>")`) working in `database`, with `ECHO` unset.
pub fn example_binary(path: &str, database: &str) -> Command {
    let mut command = Command::new(path);
    command.args(["--database", database]).env_remove("ECHO");
    command
}

/// Runs `command` and returns its stdout; panics (failing the test) with the
/// exit status, stderr and stdout unless it exited 0.
pub fn stdout_of(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{command:?}: {}\nstderr: {}\nstdout: {stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Panics (failing the test) unless `text` contains every one of `expected`.
pub fn assert_contains_all(text: &str, expected: &[&str]) {
    for want in expected {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

/// Runs an example's tour twice in the database `url` names, as a user may:
/// the first run prints every line of `expected`, the second finds the schema
/// at head, and both leave the same heroes written by `app_src` (read here
/// with plain SQL, not through the crate), which are returned (name, age,
/// team) for the caller's own checks. `binary()` gives the command that runs
/// the tour.
pub fn assert_tour_repeatable(
    binary: impl Fn() -> Command,
    url: &str,
    app_src: &str,
    expected: &[&str],
) -> Vec<HeroRow> {
    let first = stdout_of(&mut binary());
    assert_contains_all(&first, expected);
    let after_first = hero_rows(url, app_src);
    assert!(stdout_of(binary().arg("tour")).contains("already at head"));
    assert_eq!(hero_rows(url, app_src), after_first);
    after_first
}

/// A hero as [`assert_tour_repeatable`] reads it: name, age, team name.
pub type HeroRow = (String, Option<i32>, Option<String>);

/// Each hero `app_src` wrote, by name.
fn hero_rows(url: &str, app_src: &str) -> Vec<HeroRow> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    client
        .query(
            "SELECT h.name, h.age, t.name FROM heroes h LEFT JOIN teams t ON t.id = h.team_id \
             WHERE h.app_src = $1 ORDER BY h.name",
            &[&app_src],
        )
        .unwrap_or_else(|e| panic!("cannot read the heroes: {e}"))
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

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
        let port = free_port_block()?;
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

/// A port `P` for a scratch cluster such that `P`, `P + 1` (its replica),
/// `P + 1000` … `P + 1002` (its PgBouncers) and the ports of an HA cluster
/// beside it (from `P + 100`) are all free now. Taken
/// below Linux's ephemeral range (32768 and up), where the test suite's own
/// client connections take their local ports: a PgBouncer starting on a port
/// a client connection happens to use cannot listen there.
fn free_port_block() -> crate::Result<u16> {
    let free = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    // Spread the processes and calls that look at once over the 500 blocks.
    use std::sync::atomic::{AtomicU32, Ordering};
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed =
        std::process::id() ^ nanos ^ CALLS.fetch_add(1, Ordering::Relaxed).wrapping_mul(7919);
    let first = u16::try_from(seed % 500).unwrap_or(0);
    (0..500u16)
        .map(|i| 20_000 + ((first + i) % 500) * 20)
        .find(|&p| {
            // Then the HA cluster's (crate::ha): nodes, REST APIs, etcd, HAProxy.
            let base = p + crate::ha::BASE_OFFSET;
            [p, p + 1, p + 1000, p + 1001, p + 1002]
                .into_iter()
                .chain([0, 1, 2, 10, 11, 12, 20, 21, 30, 31].map(|o| base + o))
                .all(free)
        })
        .ok_or_else(|| {
            crate::Error::InvalidSetting("no free block of ports for a scratch cluster".to_owned())
        })
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
        let settings = self.devdb.settings();
        for mode in crate::scale::PoolMode::ALL {
            let _ = crate::scale::Pooler::new(settings, mode).stop();
        }
        let _ = crate::scale::Replica::new(settings).stop();
        let ha = crate::ha::HaCluster::new(settings);
        if ha.dir().exists() {
            let _ = ha.down();
        }
        let _ = self.devdb.cluster().stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An example binary started with `serve --addr 127.0.0.1:0`, once it has
/// said where it listens.
/// A child process that is killed and reaped when dropped, so that a check
/// that panics does not leave its server running (and holding the test's
/// stderr open).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Reaped {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

struct Serving {
    child: Reaped,
    /// `127.0.0.1:<port>`.
    addr: String,
    /// Its stdout after the banner, line by line.
    lines: std::sync::mpsc::Receiver<String>,
    reader: std::thread::JoinHandle<()>,
    /// Its stdout up to and including the banner.
    seen: String,
}

impl Serving {
    /// Starts `command` and waits (60 s at most, else panics) for the line
    /// `serving the heroes API on http://ADDR`.
    fn start(command: &mut Command) -> Self {
        use std::io::{BufRead as _, BufReader};
        use std::process::Stdio;
        use std::time::{Duration, Instant};

        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the server: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut seen = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = lines.recv_timeout(left) else {
                break;
            };
            seen.push_str(&line);
            seen.push('\n');
            if let Some((_, addr)) = line.rsplit_once("serving the heroes API on http://") {
                let addr = addr.trim().to_owned();
                return Self {
                    child: Reaped(child),
                    addr,
                    lines,
                    reader,
                    seen,
                };
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server never printed its address; it printed:\n{seen}");
    }
}

/// The most resident memory a server may reach while exporting (64 MiB):
/// a server that collected a million heroes before sending them would need
/// several times that.
pub const EXPORT_PEAK_LIMIT_KIB: u64 = 64 * 1024;

/// What [`check_export_memory`] measured.
#[derive(Debug)]
pub struct ExportRun {
    /// Heroes the export sent.
    pub rows: u64,
    /// The server's peak resident memory (`VmHWM`) before the export, KiB.
    pub peak_before_kib: u64,
    /// The server's peak resident memory after the export, KiB.
    pub peak_after_kib: u64,
    /// How long the export took, headers to last byte.
    pub elapsed: std::time::Duration,
}

/// Starts `command` (an example binary with `serve --addr 127.0.0.1:0`, on
/// the database at `url`), fills `heroes` with `rows` generated heroes once
/// the server has migrated, reads `GET /heroes/export` to its end over raw
/// TCP, counting heroes as they pass; then hangs up in the middle of ten
/// more exports, and stops the server. Panics unless the export is
/// 200 NDJSON with every row, the server's peak resident memory stayed
/// within [`EXPORT_PEAK_LIMIT_KIB`], the server ignores SIGPIPE and outlived
/// the hang-ups (still running, and ready after them); returns what it measured.
pub fn check_export_memory(command: &mut Command, url: &str, rows: i64) -> ExportRun {
    use std::io::{Read as _, Write as _};
    use std::time::{Duration, Instant};

    let Serving {
        mut child,
        addr,
        lines,
        reader,
        ..
    } = Serving::start(command);
    // Keep draining its log so that it never blocks on a full pipe.
    let drain = std::thread::spawn(move || lines.iter().for_each(drop));
    let mut db = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to fill heroes: {e}"));
    db.execute(
        "INSERT INTO heroes (name, age, app_src) \
         SELECT 'hero ' || g, g % 90, 'export test' FROM generate_series(1, $1::int8) g",
        &[&rows],
    )
    .unwrap_or_else(|e| panic!("fill heroes: {e}"));
    let peak = |pid: u32| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|e| panic!("read the server's /proc status: {e}"));
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status"))
    };
    // Whether a hang-up can kill it is a race (below); whether it would is
    // not: a serving process must ignore SIGPIPE (signal 13, bit 12 of SigIgn).
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .unwrap_or_else(|e| panic!("read the server's /proc status: {e}"));
    let ignored = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .unwrap_or_else(|| panic!("no SigIgn in the server's /proc status"));
    assert!(
        ignored & (1 << 12) != 0,
        "the server does not ignore SIGPIPE (SigIgn {ignored:#x}): a client that hangs up \
         mid-response makes a write fail with EPIPE, and SIGPIPE would end the server"
    );
    let peak_before_kib = peak(child.id());
    let began = Instant::now();
    let mut stream =
        std::net::TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(b"GET /heroes/export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap_or_else(|e| panic!("send: {e}"));
    // Count a key every hero has once, across reads; keep the head for the status.
    let needle = b"\"app_src\":";
    let (mut head, mut carry, mut seen_rows) = (Vec::new(), Vec::new(), 0u64);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("reading the export: {e}"));
        if n == 0 {
            break;
        }
        if head.len() < 512 {
            head.extend_from_slice(&buf[..n.min(512)]);
        }
        carry.extend_from_slice(&buf[..n]);
        seen_rows += carry.windows(needle.len()).filter(|w| w == needle).count() as u64;
        let keep = carry.len().saturating_sub(needle.len() - 1);
        carry.drain(..keep);
    }
    let elapsed = began.elapsed();
    let head = String::from_utf8_lossy(&head);
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("application/x-ndjson"),
        "GET /heroes/export: {head}"
    );
    let peak_after_kib = peak(child.id());
    // Clients that hang up mid-export, as a load tool does when its time is
    // up: each reads until nothing is waiting and closes, so the close is a
    // FIN; the server's next write then meets the peer's RST on a half-closed
    // socket and fails with EPIPE, the error that raises SIGPIPE (a close
    // with unread data is a bare RST and gives ECONNRESET, which does not).
    // Whether a write lands between the two is a race: ten tries.
    for attempt in 1..=10 {
        let mut quitter = std::net::TcpStream::connect(&addr).unwrap_or_else(|e| {
            panic!("connect {addr} for hang-up {attempt}: the server is gone? {e}")
        });
        quitter
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap_or_else(|e| panic!("{e}"));
        quitter
            .write_all(b"GET /heroes/export HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap_or_else(|e| panic!("send: {e}"));
        let mut taken = 0;
        while taken < 256 * 1024 {
            match quitter.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => taken += n,
            }
        }
        let _ = quitter.set_nonblocking(true);
        while matches!(quitter.read(&mut buf), Ok(n) if n > 0) {}
        drop(quitter);
        std::thread::sleep(Duration::from_millis(300));
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the server died when client {attempt} hung up in the middle of an export: {status}"
            );
        }
    }
    let ready = http_status(&addr, "/readyz");
    assert_eq!(
        ready,
        Some(200),
        "GET /readyz after a client hung up mid-export"
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let _ = drain.join();
    assert_eq!(
        seen_rows,
        u64::try_from(rows).unwrap_or_default(),
        "heroes in the export"
    );
    let run = ExportRun {
        rows: seen_rows,
        peak_before_kib,
        peak_after_kib,
        elapsed,
    };
    assert!(
        peak_after_kib <= EXPORT_PEAK_LIMIT_KIB,
        "the server's peak memory reached {peak_after_kib} KiB exporting {rows} rows \
         (limit {EXPORT_PEAK_LIMIT_KIB} KiB): {run:?}"
    );
    run
}

/// The status of `GET path` from the server at `addr`, `None` if it did not
/// answer within 10 s.
fn http_status(addr: &str, path: &str) -> Option<u16> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// `POST path` with a JSON `body` to the server at `addr`: its status and
/// the whole response, or `None` if it did not answer within 30 s.
fn http_post(addr: &str, path: &str, body: &str) -> Option<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some((status, text))
}

/// A write whose `COMMIT` answer is lost is answered for what happened
/// (heroes-api's `outcome`). `command` is an example binary; it serves from
/// a database on a cluster of this check's own, where every commit is then
/// made to wait for a synchronous standby that never comes
/// (`synchronous_standby_names`), with a request deadline of 3 s. Twice:
///
/// - A `POST /heroes` has committed locally when its backend is ended in
///   that wait, and its connection is gone before the answer: the server
///   must answer 201, not the 503 that would tell the client nothing was
///   saved (a *phantom* write, as `just faults` counts them), and the hero
///   must be stored.
/// - A `POST /heroes` whose commit still waits when the request deadline
///   passes must get the 500 that says its outcome is unknown, not the
///   deadline's 503 "nothing of it was saved": once the standby setting is
///   reset, the commit ends and the hero is stored.
///
/// Panics (failing the test) otherwise.
pub fn check_lost_commit_is_answered_truthfully(command: &mut Command) {
    use std::time::{Duration, Instant};

    let scratch = ScratchCluster::new().unwrap_or_else(|e| panic!("scratch cluster: {e}"));
    let database = "lost_commit";
    let url = scratch
        .devdb()
        .database_url(database)
        .unwrap_or_else(|e| panic!("scratch database: {e}"));
    // devdb's clusters commit asynchronously (`synchronous_commit = off`,
    // for speed), which never waits for a standby: this database does.
    postgres::Client::connect(&scratch.url(), postgres::NoTls)
        .and_then(|mut c| {
            c.batch_execute(&format!(
                "ALTER DATABASE {database} SET synchronous_commit = on"
            ))
        })
        .unwrap_or_else(|e| panic!("synchronous_commit: {e:?}"));
    command
        .env("DATABASE_URL", scratch.url())
        .env("PGDEV_DIR", scratch.dir())
        .env_remove("MIGRATION_DATABASE_URL")
        .env("REQUEST_TIMEOUT_MS", "3000")
        .args(["--database", database, "serve", "--addr", "127.0.0.1:0"]);
    let Serving {
        child: _child,
        addr,
        lines,
        ..
    } = Serving::start(command);
    let _drain = std::thread::spawn(move || lines.iter().for_each(drop));
    let mut admin = postgres::Client::connect(&scratch.url(), postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to the scratch cluster: {e}"));
    // Apart: ALTER SYSTEM refuses the implicit transaction of a multi-statement query.
    let standby = |admin: &mut postgres::Client, setting: &str| {
        for sql in [setting, "SELECT pg_reload_conf()"] {
            admin
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        }
    };
    let never = "ALTER SYSTEM SET synchronous_standby_names = 'a_standby_that_never_comes'";
    let reset = "ALTER SYSTEM RESET synchronous_standby_names";
    // The backends of `database` waiting in COMMIT for the standby, ended
    // when `end` says so; polled until there is one, for 20 s at most.
    let in_commit = |admin: &mut postgres::Client, end: bool| -> i64 {
        let sql = format!(
            "SELECT count({}) FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'SyncRep'",
            if end {
                "pg_terminate_backend(pid)"
            } else {
                "pid"
            }
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let waiting: i64 = admin
                .query_one(&sql, &[&database])
                .unwrap_or_else(|e| panic!("the backends waiting in COMMIT: {e}"))
                .get(0);
            if waiting > 0 || Instant::now() > deadline {
                return waiting;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let stored = |name: &str| -> i64 {
        postgres::Client::connect(&url, postgres::NoTls)
            .and_then(|mut c| c.query_one("SELECT count(*) FROM heroes WHERE name = $1", &[&name]))
            .unwrap_or_else(|e| panic!("count the hero: {e}"))
            .get(0)
    };
    let post = |name: &str| {
        let (addr, body) = (addr.clone(), format!(r#"{{"name":"{name}","age":7}}"#));
        std::thread::spawn(move || http_post(&addr, "/heroes", &body))
    };
    let answer_of = |answer: std::thread::Result<Option<(u16, String)>>| {
        answer
            .unwrap_or_else(|_| panic!("the POST thread panicked"))
            .unwrap_or_else(|| panic!("the server did not answer the POST within 30 s"))
    };

    // The connection ends while COMMIT waits.
    standby(&mut admin, never);
    // Backends read the new setting between statements, a moment after.
    std::thread::sleep(Duration::from_millis(500));
    let lost = post("lost answer");
    let ended = in_commit(&mut admin, true);
    standby(&mut admin, reset);
    let answer = lost.join();
    assert_eq!(
        ended, 1,
        "no backend waited in COMMIT for the standby; the POST got {answer:?}"
    );
    let (status, response) = answer_of(answer);
    assert_eq!(
        stored("lost answer"),
        1,
        "the hero's transaction did not commit:\n{response}"
    );
    assert_eq!(
        status, 201,
        "the hero was stored, yet the server answered otherwise (a phantom write):\n{response}"
    );

    // The request deadline passes while COMMIT waits.
    standby(&mut admin, never);
    std::thread::sleep(Duration::from_millis(500));
    let late = post("past its deadline");
    let waiting = in_commit(&mut admin, false);
    let answer = late.join();
    standby(&mut admin, reset);
    assert_eq!(
        waiting, 1,
        "no backend waited in COMMIT for the standby; the POST got {answer:?}"
    );
    let (status, response) = answer_of(answer);
    assert_eq!(
        status, 500,
        "the deadline passed with the COMMIT sent, yet the server answered otherwise:\n{response}"
    );
    assert!(
        response.contains("whether it took effect was still unknown"),
        "the 500 does not say that the outcome is unknown:\n{response}"
    );
    // Released, the commit ends: the hero was saved after all, which a 503
    // would have denied.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stored("past its deadline") == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        stored("past its deadline"),
        1,
        "the late commit never ended; the POST got:\n{response}"
    );
}

/// What [`check_serve_binary`] saw, for the test to print.
#[derive(Debug)]
pub struct ServeRun {
    /// How long the process took to exit after SIGTERM.
    pub stop_time: std::time::Duration,
    /// Everything it printed on stdout.
    pub stdout: String,
}

/// Runs `command` (an example binary with `serve --addr 127.0.0.1:0` and
/// `ECHO=1` set by the caller) with `POOL_SIZE=3`, and checks what an
/// operator relies on: it prints the address it listens on; its pool is the
/// size `POOL_SIZE` says (`/readyz` reports it); a request is logged in one
/// line with method, path, status and latency; `ECHO=1` prints the SQL; a request still
/// arriving when SIGTERM comes is finished (201); and the process then exits
/// 0 within 5 s. Panics (failing the test) with what was wrong otherwise.
pub fn check_serve_binary(command: &mut Command) -> ServeRun {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let Serving {
        mut child,
        addr,
        lines,
        reader,
        mut seen,
    } = Serving::start(command.env("POOL_SIZE", "3"));
    let mut wait_for = |needle: &dyn Fn(&str) -> bool, what: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if needle(&line) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("the server never printed {what}; it printed:\n{seen}");
    };
    let request = |raw: &[u8]| -> TcpStream {
        let mut stream =
            TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap_or_else(|e| panic!("{e}"));
        stream
            .write_all(raw)
            .unwrap_or_else(|e| panic!("send: {e}"));
        stream
    };
    let response = |mut stream: TcpStream| -> String {
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    };
    let ready = response(request(
        b"GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    ));
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.contains("\"max_size\":3"),
        "GET /readyz with POOL_SIZE=3 should report a pool of at most 3: {ready}"
    );
    let count = response(request(
        b"GET /heroes/count HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    ));
    assert!(
        count.starts_with("HTTP/1.1 200"),
        "GET /heroes/count: {count}"
    );
    wait_for(
        &|l| {
            l.contains("GET")
                && l.contains("/heroes/count")
                && l.contains("status=200")
                && l.contains("latency=")
        },
        "a log line for GET /heroes/count (method, path, status, latency)",
    );
    // A POST whose body is still on its way when SIGTERM arrives.
    let body = br#"{"name": "in flight"}"#;
    let head = format!(
        "POST /heroes HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut in_flight = request(head.as_bytes());
    in_flight
        .write_all(&body[..5])
        .unwrap_or_else(|e| panic!("send: {e}"));
    std::thread::sleep(Duration::from_millis(200));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)
        .unwrap_or_else(|e| panic!("SIGTERM: {e}"));
    let signalled = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    in_flight
        .write_all(&body[5..])
        .unwrap_or_else(|e| panic!("send the rest: {e}"));
    let created = response(in_flight);
    assert!(
        created.starts_with("HTTP/1.1 201"),
        "the request in flight at SIGTERM was not finished: {created}"
    );
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("still running 5 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stop_time = signalled.elapsed();
    let _ = reader.join();
    seen.extend(lines.try_iter().map(|l| l + "\n"));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM; output:\n{seen}"
    );
    assert!(seen.contains("SQL>"), "ECHO=1 printed no SQL:\n{seen}");
    ServeRun {
        stop_time,
        stdout: seen,
    }
}

/// Sends `command` (an example binary) through the local cluster's PgBouncer
/// in `mode`, started if needed: its URL (database `postgres`; the binary's
/// `--database` picks its own) as `DATABASE_URL`, no
/// `MIGRATION_DATABASE_URL` (devdb maps its own PgBouncer's port back to the
/// cluster, where the binary migrates), and `STATEMENT_CACHE` on or off.
pub fn behind_pgbouncer(
    command: &mut Command,
    mode: crate::scale::PoolMode,
    statement_cache: bool,
) -> &mut Command {
    let url = crate::DevDb::from_env()
        .and_then(|devdb| devdb.pooler_url("postgres", mode))
        .unwrap_or_else(|e| panic!("cannot start PgBouncer ({}): {e}", mode.name()));
    command
        .env("DATABASE_URL", url)
        .env_remove("MIGRATION_DATABASE_URL")
        .env(
            "STATEMENT_CACHE",
            if statement_cache { "on" } else { "off" },
        )
}

/// Runs an example's tour, then its `serve`, through the local cluster's
/// PgBouncer in `mode` ([`behind_pgbouncer`]); panics (failing the test)
/// unless the tour exits 0 having printed `done`, and `serve` passes
/// [`check_serve_binary`]. `binary()` gives the example working in its test
/// database.
pub fn check_tour_and_serve_behind_pgbouncer(
    binary: impl Fn() -> Command,
    mode: crate::scale::PoolMode,
    statement_cache: bool,
    done: &str,
) {
    let tour = stdout_of(behind_pgbouncer(&mut binary(), mode, statement_cache));
    assert!(tour.contains(done), "{tour}");
    let mut serve = binary();
    serve
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("ECHO", "1");
    check_serve_binary(behind_pgbouncer(&mut serve, mode, statement_cache));
}

/// Runs an example's tour through the local cluster's PgBouncer in `mode`
/// and panics (failing the test) unless it exits 1 with every one of
/// `error` in its one stderr line, after printing `reached` (how far it got).
pub fn check_tour_fails_behind_pgbouncer(
    mut binary: Command,
    mode: crate::scale::PoolMode,
    statement_cache: bool,
    error: &[&str],
    reached: &str,
) {
    let out = behind_pgbouncer(&mut binary, mode, statement_cache)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{stdout}");
    assert_contains_all(&stderr, error);
    assert!(stdout.contains(reached), "{stdout}");
}

/// Starts `n` copies of `command` at once (all spawned before any is waited
/// for: two deploys racing) and returns each one's output, in start order.
pub fn run_at_once(n: usize, command: impl Fn() -> Command) -> Vec<std::process::Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            let mut c = command();
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn()
                .unwrap_or_else(|e| panic!("cannot start {c:?}: {e}"))
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            child
                .wait_with_output()
                .unwrap_or_else(|e| panic!("wait for a child: {e}"))
        })
        .collect()
}

/// Two (or more) deploys at once: starts `n` copies of the example binary at
/// `path` with `migrate up` on `database` together, fails the test unless
/// every one exits 0, and returns the migration names they report applying
/// (`applied  <name>` lines), all processes together, sorted.
pub fn migrate_up_at_once(path: &str, database: &str, n: usize) -> Vec<String> {
    let mut applied = Vec::new();
    for out in run_at_once(n, || {
        let mut command = example_binary(path, database);
        command.args(["migrate", "up"]);
        command
    }) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}\nstdout: {stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        applied.extend(
            stdout
                .lines()
                .filter_map(|l| l.strip_prefix("applied"))
                .map(|l| l.trim().to_owned()),
        );
    }
    applied.sort();
    applied
}

/// A copy of a migrations folder under the temp dir, for a test to add
/// migrations to or edit them in; deleted on drop.
#[derive(Debug)]
pub struct ScratchMigrations {
    dir: std::path::PathBuf,
}

impl ScratchMigrations {
    /// Copies every file of `folder` (one level of sub-folders, as diesel's
    /// layout has) into a new folder named after `label`.
    pub fn copy_of(folder: &std::path::Path, label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "migrations-{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        copy_folder(folder, &dir);
        Self { dir }
    }

    /// The folder.
    pub fn path(&self) -> &std::path::Path {
        &self.dir
    }

    /// Writes `text` to `relative` inside the folder (parents created),
    /// replacing what was there.
    pub fn write(&self, relative: &str, text: &str) -> &Self {
        let path = self.dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create a migration folder: {e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write a migration file: {e}"));
        self
    }
}

impl Drop for ScratchMigrations {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create the scratch folder: {e}"));
    for entry in
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("read the migrations folder: {e}"))
    {
        let path = entry
            .unwrap_or_else(|e| panic!("a folder entry: {e}"))
            .path();
        let target = to.join(
            path.file_name()
                .unwrap_or_else(|| panic!("{} has no file name", path.display())),
        );
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap_or_else(|e| panic!("copy a migration file: {e}"));
        }
    }
}

/// A session holding `LOCK TABLE … IN EXCLUSIVE MODE` in an open
/// transaction: reads of the table go on, writes wait. Tests use it to stop
/// two migration runs at a known point and then let them race
/// deterministically. Blocking (the `postgres` crate): from an async test,
/// call it inside `tokio::task::block_in_place`.
pub struct TableHold {
    client: postgres::Client,
}

impl std::fmt::Debug for TableHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TableHold")
    }
}

impl TableHold {
    /// Locks `table` in the database at `url` until [`release`](Self::release).
    pub fn lock(url: &str, table: &str) -> Self {
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to hold a lock: {e}"));
        client
            .batch_execute(&format!("BEGIN; LOCK TABLE {table} IN EXCLUSIVE MODE"))
            .unwrap_or_else(|e| panic!("lock the table: {e}"));
        Self { client }
    }

    /// Waits (at most 30 s, else panics) until `n` sessions of this database
    /// are waiting for a lock (a table, a row, a catalog entry or an
    /// advisory lock).
    pub fn wait_for_waiters(&mut self, n: i64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            // The activity view is read once per transaction, and this
            // session sits in one: drop that snapshot before each look.
            self.client
                .batch_execute("SELECT pg_stat_clear_snapshot()")
                .unwrap_or_else(|e| panic!("clear the activity snapshot: {e}"));
            let waiting: i64 = self
                .client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .unwrap_or_else(|e| panic!("read pg_locks: {e}"))
                .get(0);
            if waiting >= n {
                return;
            }
            if std::time::Instant::now() >= deadline {
                let sessions: Vec<String> = self
                    .client
                    .query(
                        "SELECT format('%s %s %s: %s', pid, state, wait_event_type, left(query, 80)) \
                         FROM pg_stat_activity WHERE datname = current_database()",
                        &[],
                    )
                    .map(|rows| rows.iter().map(|r| r.get(0)).collect())
                    .unwrap_or_default();
                panic!(
                    "only {waiting} of {n} sessions came to wait for a lock within 30 s; sessions: {sessions:#?}"
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Commits, releasing the lock.
    pub fn release(mut self) {
        self.client
            .batch_execute("COMMIT")
            .unwrap_or_else(|e| panic!("release the lock: {e}"));
    }
}

/// WAL replay paused on the replica at `replica_url` until dropped, so a
/// test can show a read that misses a write deterministically. The pause is
/// cluster-wide, so it is taken under an advisory lock in the primary's
/// `postgres` database (the server of `primary_url`): two tests never pause
/// and resume over each other. Advisory locks are per database, so a lock
/// in each test's own database would not have kept them apart (it did not:
/// one test's resume let another's paused write through).
/// Blocking (the `postgres` crate): from an async test, create and drop it
/// inside `tokio::task::block_in_place`.
pub struct ReplayPause {
    primary: postgres::Client,
    replica: postgres::Client,
}

impl std::fmt::Debug for ReplayPause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplayPause")
    }
}

impl ReplayPause {
    /// The advisory-lock key that serialises pauses.
    const KEY: i64 = 0x6865_726f_6573_0003;

    /// Pauses replay and waits (10 s at most, else panics) until the replica
    /// says it is paused.
    pub fn start(primary_url: &str, replica_url: &str) -> Self {
        let connect = |url: &str| {
            postgres::Client::connect(url, postgres::NoTls)
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
        };
        let mut config: postgres::Config = primary_url
            .parse()
            .unwrap_or_else(|e| panic!("not a database URL: {primary_url}: {e}"));
        let mut primary = config
            .dbname("postgres")
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the primary's postgres database: {e}"));
        primary
            .execute("SELECT pg_advisory_lock($1)", &[&Self::KEY])
            .unwrap_or_else(|e| panic!("cannot take the pause lock: {e}"));
        let mut replica = connect(replica_url);
        replica
            .batch_execute("SELECT pg_wal_replay_pause()")
            .unwrap_or_else(|e| panic!("cannot pause replay: {e}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let state: String = replica
                .query_one("SELECT pg_get_wal_replay_pause_state()", &[])
                .unwrap_or_else(|e| panic!("cannot read the pause state: {e}"))
                .get(0);
            if state == "paused" {
                return Self { primary, replica };
            }
            assert!(
                std::time::Instant::now() < deadline,
                "replay still '{state}' 10 s after pg_wal_replay_pause()"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for ReplayPause {
    fn drop(&mut self) {
        let _ = self.replica.batch_execute("SELECT pg_wal_replay_resume()");
        let _ = self
            .primary
            .execute("SELECT pg_advisory_unlock($1)", &[&Self::KEY]);
    }
}
