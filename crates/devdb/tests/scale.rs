//! PgBouncer and the streaming replica that devdb starts beside the local
//! cluster, on a cluster of the test's own (own folder, own ports), so the
//! shared development cluster is never touched.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devdb::scale::{PoolMode, Pooler, Replica};
use devdb::testing::ScratchCluster;

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
        // docs/SCALING.md).
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
