//! PgBouncer and the streaming replica that devdb starts beside the local
//! cluster, on a cluster of the test's own (own folder, own ports), so the
//! shared development cluster is never touched.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devdb::scale::{PoolMode, Pooler, Replica};
use devdb::testing::ScratchCluster;
use devdb::{DevDb, Settings};

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

#[test]
fn pgbouncer_in_each_mode_and_the_replica_start_answer_and_stop_with_the_cluster() {
    let scratch = ScratchCluster::new().unwrap();
    let devdb = scratch.devdb();
    let port = scratch.port();

    // PgBouncer, each mode on its own port, any database name routed through.
    let reset_ini = Pooler::new(devdb.settings(), PoolMode::TransactionReset)
        .dir()
        .join("pgbouncer.ini");
    for (mode, offset) in [
        (PoolMode::Transaction, 1000),
        (PoolMode::Session, 1001),
        (PoolMode::TransactionReset, 1002),
    ] {
        let url = devdb.pooler_url("through_pgbouncer", mode).unwrap();
        assert!(
            url.contains(&format!(":{}/through_pgbouncer", port + offset)),
            "{url}"
        );
        // A simple query: the extended protocol's prepare and execute can
        // land on two server connections in transaction mode (see
        // book/src/scaling.md).
        let rows = client(&url)
            .simple_query("SELECT current_database()")
            .unwrap();
        let db = rows.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        });
        assert_eq!(db.as_deref(), Some("through_pgbouncer"));
        // Asked again, the same one is reused.
        let pid = Pooler::new(devdb.settings(), mode).running_pid().unwrap();
        devdb.pooler_url("through_pgbouncer", mode).unwrap();
        assert_eq!(Pooler::new(devdb.settings(), mode).running_pid(), Some(pid));
    }

    let ini = std::fs::read_to_string(reset_ini).unwrap();
    assert!(
        ini.contains("pool_mode = transaction") && ini.contains("server_reset_query_always = 1")
    );

    // The replica: created on the primary, visible there, read-only.
    let primary = devdb.database_url("replicated").unwrap();
    client(&primary)
        .batch_execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (42)")
        .unwrap();
    let url = devdb.replica_url("replicated").unwrap();
    assert!(url.contains(&format!(":{}/replicated", port + 1)), "{url}");
    let mut replica = client(&url);
    let in_recovery: bool = replica
        .query_one("SELECT pg_is_in_recovery()", &[])
        .unwrap()
        .get(0);
    assert!(in_recovery);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(row) = replica.query_one("SELECT n FROM t", &[]) {
            assert_eq!(row.get::<_, i32>(0), 42);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the row never reached the replica"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = replica
        .batch_execute("INSERT INTO t VALUES (1)")
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION),
        "{err}"
    );

    // `devdb stop` takes them all down.
    assert!(devdb.stop().unwrap());
    for mode in PoolMode::ALL {
        assert_eq!(Pooler::new(devdb.settings(), mode).running_pid(), None);
    }
    assert_eq!(Replica::new(devdb.settings()).running_pid(), None);

    // And come back on demand, the replica cloned afresh.
    let url = devdb.replica_url("replicated").unwrap();
    let n: i32 = client(&url)
        .query_one("SELECT n FROM t", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 42);
}

#[test]
fn a_remote_server_gets_no_pgbouncer_from_us() {
    let settings =
        devdb::Settings::new("postgres://admin:x@db.example.invalid:5432/postgres").unwrap();
    let err = devdb::DevDb::new(settings)
        .pooler_url("x", PoolMode::Session)
        .unwrap_err()
        .to_string();
    assert!(err.contains("only for the local cluster"), "{err}");
}

/// The settings a program gets from these variables (as if in its
/// environment), on the scratch cluster's server binaries.
fn settings_from(scratch: &ScratchCluster, vars: &[(&str, &str)]) -> devdb::Result<Settings> {
    let dir = scratch.dir().display().to_string();
    let settings = Settings::from_vars(|name| {
        vars.iter()
            .chain(&[("PGDEV_DIR", dir.as_str())])
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    })?;
    Ok(match scratch.devdb().settings().bindir() {
        Some(bindir) => settings.with_bindir(bindir),
        None => settings,
    })
}

/// A program whose DATABASE_URL is one of devdb's PgBouncers queries through
/// it and migrates on the cluster behind it; MIGRATION_DATABASE_URL, when
/// set, is where it migrates; and a PgBouncer that is down is started again,
/// as the cluster is.
#[test]
fn database_url_at_devdbs_pgbouncer_migrates_on_the_cluster_behind_it() {
    let scratch = ScratchCluster::new().unwrap();
    let port = scratch.port();
    let through = scratch
        .devdb()
        .pooler_url("postgres", PoolMode::Transaction)
        .unwrap();

    let mapped = DevDb::new(settings_from(&scratch, &[("DATABASE_URL", &through)]).unwrap());
    assert_eq!(mapped.settings().app_pooler(), Some(PoolMode::Transaction));
    assert_eq!(mapped.settings().port(), port, "the server behind it");
    let app = mapped.database_url("mapped").unwrap();
    let direct = mapped.direct_url("mapped").unwrap();
    assert!(app.contains(&format!(":{}/mapped", port + 1000)), "{app}");
    assert!(direct.contains(&format!(":{port}/mapped")), "{direct}");
    let on_server: String = client(&direct)
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);
    assert_eq!(on_server, "mapped");

    // Down, it comes back when asked for, like the cluster.
    let pooler = Pooler::new(scratch.devdb().settings(), PoolMode::Transaction);
    assert!(pooler.stop().unwrap());
    assert_eq!(pooler.running_pid(), None);
    assert_eq!(mapped.database_url("mapped").unwrap(), app);
    assert!(pooler.running_pid().is_some());

    // MIGRATION_DATABASE_URL names the server: taken as is.
    let session = scratch
        .devdb()
        .pooler_url("postgres", PoolMode::Session)
        .unwrap();
    let explicit = DevDb::new(
        settings_from(
            &scratch,
            &[
                ("DATABASE_URL", &session),
                ("MIGRATION_DATABASE_URL", &scratch.url()),
            ],
        )
        .unwrap(),
    );
    assert_eq!(explicit.settings().app_pooler(), None);
    let app = explicit.database_url("explicit").unwrap();
    assert!(app.contains(&format!(":{}/explicit", port + 1001)), "{app}");
    let direct = explicit.direct_url("explicit").unwrap();
    assert!(direct.contains(&format!(":{port}/explicit")), "{direct}");

    // A port devdb runs nothing on is the server itself.
    let elsewhere = format!("postgres://admin:x@localhost:{}/postgres", port + 1003);
    let plain = settings_from(&scratch, &[("DATABASE_URL", &elsewhere)]).unwrap();
    assert_eq!(plain.app_pooler(), None);
    assert_eq!(plain.port(), port + 1003);

    // A bad MIGRATION_DATABASE_URL is named in the error.
    let err = settings_from(
        &scratch,
        &[
            ("DATABASE_URL", &through),
            ("MIGRATION_DATABASE_URL", "postgres//x"),
        ],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("MIGRATION_DATABASE_URL is not a usable"),
        "{err}"
    );
}

/// Stopping PgBouncer closes its clients' connections at once: a client
/// connected in session mode (which holds its server connection until it
/// leaves) does not keep it running. PgBouncer 1.18's SIGINT waited for
/// every client to leave, and `stop` gave up after 10 s with it still
/// running (found by `just faults`, which restarts PgBouncer under load).
#[test]
fn stopping_pgbouncer_does_not_wait_for_its_session_clients() {
    let scratch = ScratchCluster::new().unwrap();
    let devdb = scratch.devdb();
    let url = devdb.pooler_url("postgres", PoolMode::Session).unwrap();
    let mut held = client(&url);
    held.simple_query("SELECT 1").unwrap();
    let pooler = Pooler::new(devdb.settings(), PoolMode::Session);
    let began = std::time::Instant::now();
    assert!(pooler.stop().unwrap());
    assert_eq!(pooler.running_pid(), None);
    assert!(
        began.elapsed() < std::time::Duration::from_secs(5),
        "stop took {:?}: it waited for the client instead of closing it",
        began.elapsed()
    );
    // The client finds its connection closed, not a pooler still answering.
    assert!(held.simple_query("SELECT 1").is_err());
    // And it starts again when asked.
    devdb.pooler_url("postgres", PoolMode::Session).unwrap();
    client(&url).simple_query("SELECT 1").unwrap();
}
