//! The helper against the real PostgreSQL binaries. Each test makes a cluster
//! of its own (own folder, own port), so these run in parallel with each other
//! and never touch the shared development cluster.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;
use devdb::testing::ScratchCluster;
use devdb::{DevDb, Error, ServerState, Settings};

/// A private cluster (devdb::testing::ScratchCluster) plus its command line.
struct Scratch {
    cluster: ScratchCluster,
    devdb: DevDb,
    dir: PathBuf,
    port: u16,
}

impl Scratch {
    fn new() -> Self {
        let cluster = ScratchCluster::new().unwrap();
        Self {
            devdb: cluster.devdb().clone(),
            dir: cluster.dir().to_path_buf(),
            port: cluster.port(),
            cluster,
        }
    }

    fn settings(&self, password: &str) -> Settings {
        self.cluster.settings(password).unwrap()
    }

    fn url(&self) -> String {
        self.cluster.url()
    }

    fn cli(&self) -> Command {
        let mut cmd = Command::cargo_bin("devdb").unwrap();
        cmd.env("DATABASE_URL", self.url())
            .env("PGDEV_DIR", &self.dir)
            .env_remove("PG_BINDIR");
        cmd
    }
}

fn can_connect(url: &str) -> bool {
    postgres::Client::connect(url, postgres::NoTls).is_ok()
}

#[test]
fn first_start_initialises_then_reuses_then_restarts_after_stop() {
    let scratch = Scratch::new();
    let devdb = &scratch.devdb;
    assert!(!devdb.is_reachable());

    let first = devdb.ensure_server().unwrap();
    assert!(
        matches!(
            first,
            ServerState::Started {
                initialised: true,
                ..
            }
        ),
        "{first:?}"
    );
    assert_eq!(devdb.ensure_server().unwrap(), ServerState::AlreadyRunning);

    let url = devdb.database_url("heroes_check").unwrap();
    assert!(url.ends_with("/heroes_check"), "{url}");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let db: String = client
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);
    assert_eq!(db, "heroes_check");
    let encoding: String = client
        .query_one("SHOW server_encoding", &[])
        .unwrap()
        .get(0);
    assert_eq!(encoding, "UTF8");
    drop(client);

    assert!(devdb.stop().unwrap(), "it was running");
    assert!(!devdb.is_reachable());
    assert!(!devdb.stop().unwrap(), "second stop finds nothing running");

    let again = devdb.ensure_server().unwrap();
    assert!(
        matches!(
            again,
            ServerState::Started {
                initialised: false,
                ..
            }
        ),
        "{again:?}"
    );
    // The database made before the stop is still there.
    assert!(can_connect(&url));
}

#[test]
fn concurrent_first_starts_from_separate_processes_all_succeed() {
    let scratch = Scratch::new();
    // Four processes find nothing listening at once; the lock lets one create
    // the cluster while the others wait, then all of them use it.
    let running: Vec<_> = (0..4)
        .map(|i| {
            scratch
                .cli()
                .args(["url", &format!("together_{i}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in running.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "process {i} failed: {stderr}");
        let url = String::from_utf8(out.stdout).unwrap();
        assert!(can_connect(url.trim()), "process {i} printed {url}");
    }
}

#[test]
fn a_killed_postmaster_is_replaced_on_the_next_call() {
    let scratch = Scratch::new();
    scratch.devdb.ensure_server().unwrap();
    let pid = scratch.devdb.cluster().running_pid().unwrap();
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // Straight away: its pid file and shared memory may still be around.
    let state = scratch.devdb.ensure_server().unwrap();
    assert!(matches!(state, ServerState::Started { .. }), "{state:?}");
    assert_ne!(scratch.devdb.cluster().running_pid(), Some(pid));
    assert!(can_connect(&scratch.url()));
}

#[test]
fn a_stale_pid_file_naming_another_process_does_not_block_the_start() {
    let scratch = Scratch::new();
    scratch.devdb.ensure_server().unwrap();
    assert!(scratch.devdb.stop().unwrap());
    // A pid file left behind whose pid now belongs to some other program.
    let pidfile = scratch.devdb.cluster().data_dir().join("postmaster.pid");
    std::fs::write(&pidfile, format!("{}\n", std::process::id())).unwrap();

    let state = scratch.devdb.ensure_server().unwrap();
    assert!(matches!(state, ServerState::Started { .. }), "{state:?}");
}

#[test]
fn a_wrong_password_is_an_auth_error_not_a_new_cluster() {
    let scratch = Scratch::new();
    scratch.devdb.ensure_server().unwrap();
    let wrong = DevDb::new(scratch.settings("wrong"));
    let err = wrong.database_url("x").unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err}");
    assert!(
        err.to_string().contains("password authentication failed"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong"), "password leaked: {err}");
}

#[test]
fn missing_server_binaries_are_reported_with_what_to_do() {
    let scratch = Scratch::new();
    let devdb = DevDb::new(
        scratch
            .settings("changethis")
            .with_bindir("/nonexistent/pg/bin"),
    );
    let err = devdb.ensure_server().unwrap_err();
    assert!(matches!(err, Error::NoServerBinaries { .. }), "{err}");
    assert!(err.to_string().contains("install PostgreSQL"), "{err}");
}

#[test]
fn a_remote_server_that_is_down_is_not_started_locally() {
    // A free port on which nothing listens.
    let port = ScratchCluster::new().unwrap().port();
    let devdb =
        DevDb::new(Settings::new(&format!("postgres://a:b@127.0.0.2:{port}/postgres")).unwrap());
    let err = devdb.database_url("x").unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("set DATABASE_URL"), "{err}");
}

#[test]
fn the_command_line_reports_bad_settings_in_one_line_with_exit_code_2() {
    let scratch = Scratch::new();
    scratch.devdb.ensure_server().unwrap();
    let cases = [
        (
            "malformed",
            "postgres//nope".to_owned(),
            "not a usable PostgreSQL URL",
        ),
        (
            "wrong password",
            format!("postgres://admin:nope@localhost:{}/postgres", scratch.port),
            "password authentication failed",
        ),
        (
            "unknown host",
            "postgres://admin:changethis@no-such-host.invalid:5432/postgres".to_owned(),
            "cannot reach PostgreSQL",
        ),
    ];
    for (what, url, expected) in cases {
        let out = scratch
            .cli()
            .env("DATABASE_URL", url)
            .args(["url", "x"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
    // A setting every engine reads, checked here before anything connects.
    let out = scratch
        .cli()
        .env("STATEMENT_CACHE", "sometimes")
        .args(["url", "x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: STATEMENT_CACHE must be on or off, not 'sometimes' (see .env.example)"
    );
}

/// A listener that accepts TCP and never speaks PostgreSQL: `devdb` (and so
/// every binary, which asks devdb first) gives up at the connect deadline.
#[test]
fn a_server_that_never_answers_the_login_fails_at_the_deadline() {
    // Never accepted: the kernel completes the handshakes all the same.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "postgres://admin:changethis@127.0.0.1:{}/postgres",
        silent.local_addr().unwrap().port()
    );
    for (timeout, deadline) in [("2", 2), ("", 5)] {
        let began = std::time::Instant::now();
        let out = Command::cargo_bin("devdb")
            .unwrap()
            .env("DATABASE_URL", &url)
            .env("PGCONNECT_TIMEOUT", timeout)
            .args(["url", "x"])
            .output()
            .unwrap();
        let took = began.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("completed a PostgreSQL login within {deadline} s")),
            "{stderr}"
        );
        assert!(
            took < std::time::Duration::from_secs(deadline + 2),
            "took {took:?} for a {deadline} s deadline"
        );
    }
    let out = Command::cargo_bin("devdb")
        .unwrap()
        .env("PGCONNECT_TIMEOUT", "soon")
        .args(["url", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PGCONNECT_TIMEOUT=\"soon\" is not usable")
    );
}

#[test]
fn dropping_a_database_while_the_cluster_is_down_starts_it_first() {
    let scratch = Scratch::new();
    scratch.devdb.database_url("to_drop").unwrap();
    assert!(scratch.devdb.stop().unwrap());
    scratch.devdb.drop_database("to_drop").unwrap();
    assert!(scratch.devdb.is_reachable());
    let mut client = postgres::Client::connect(&scratch.url(), postgres::NoTls).unwrap();
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = 'to_drop'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[test]
fn every_call_works_from_inside_a_tokio_runtime() {
    // The async examples and tests call devdb from a runtime; the blocking
    // client (made and dropped) must stay off that runtime's threads.
    let scratch = Scratch::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert!(matches!(
            scratch.devdb.ensure_server().unwrap(),
            ServerState::AlreadyRunning | ServerState::Started { .. }
        ));
        let url = scratch.devdb.database_url("inside_a_runtime").unwrap();
        assert!(url.ends_with("/inside_a_runtime"), "{url}");
        scratch.devdb.drop_database("inside_a_runtime").unwrap();
    });
}

/// Four callers racing to make one template make it once; a clone carries
/// its schema and rows; the template is made again after it is dropped.
#[test]
fn a_template_is_made_once_when_callers_race_and_clones_carry_what_it_holds() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let scratch = Scratch::new();
    let devdb = &scratch.devdb;
    let made = AtomicUsize::new(0);
    let migrate = |url: &str| {
        made.fetch_add(1, Ordering::SeqCst);
        let mut client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
        client
            .batch_execute("CREATE TABLE seeded (n int); INSERT INTO seeded VALUES (1), (2)")
            .map_err(|e| e.to_string())
    };
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| devdb.template("raced_template", migrate).unwrap());
        }
    });
    assert_eq!(made.load(Ordering::SeqCst), 1, "made once");

    devdb.clone_database("raced_template", "a_clone").unwrap();
    let url = devdb.database_url("a_clone").unwrap();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM seeded", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 2);

    // A failed migration leaves no template behind to clone.
    let failed = devdb.template("broken_template", |_| Err("no".to_owned()));
    assert!(failed.is_err());
    assert!(devdb.clone_database("broken_template", "never").is_err());
}
