//! `devdb ha` from its command line, as the book's high-availability
//! chapter uses it, on a cluster folder and ports of the test's own: up,
//! the three kinds of URL, a planned switchover, the leader killed, the
//! dead node back, down. A write acknowledged before each fault is there
//! after it (synchronous replication).

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;
use devdb::testing::ScratchCluster;

/// `devdb <args>` with the scratch cluster's settings (and `url` as
/// DATABASE_URL when given): its stdout, after asserting success.
fn devdb(scratch: &ScratchCluster, url: Option<&str>, args: &[&str]) -> String {
    let output = command(scratch, url, args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "devdb {args:?} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn command(scratch: &ScratchCluster, url: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::cargo_bin("devdb").unwrap();
    command
        .args(args)
        .env(
            "DATABASE_URL",
            url.map_or_else(|| scratch.url(), str::to_owned),
        )
        .env("PGDEV_DIR", scratch.dir());
    command
}

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

/// The port of the server `url` reached, and whether it is a standby.
fn where_am_i(url: &str) -> (i32, bool) {
    let row = client(url)
        .query_one("SELECT inet_server_port(), pg_is_in_recovery()", &[])
        .unwrap();
    (row.get(0), row.get(1))
}

fn count_notes(url: &str) -> i64 {
    client(url)
        .query_one("SELECT count(*) FROM notes", &[])
        .unwrap()
        .get(0)
}

#[test]
#[ignore = "needs patroni, etcd-server and haproxy (apt-get); run: cargo test -p devdb --test ha -- --ignored"]
fn up_urls_switchover_failover_rejoin_and_down() {
    let scratch = ScratchCluster::new().unwrap();
    let up = devdb(&scratch, None, &["ha", "up"]);
    assert!(up.contains(" is up ("), "{up}");
    assert_eq!(up.matches("running").count(), 3, "{up}");
    assert!(up.contains("sync_standby") && up.contains("leader"), "{up}");
    // Idempotent: a second `up` finds it all running.
    devdb(&scratch, None, &["ha", "up"]);

    let multi_host = devdb(&scratch, None, &["ha", "url", "ha_test"])
        .trim()
        .to_owned();
    assert_eq!(multi_host.matches("127.0.0.1:").count(), 3, "{multi_host}");
    assert!(multi_host.ends_with("/ha_test?target_session_attrs=read-write"));
    let haproxy = devdb(
        &scratch,
        None,
        &["ha", "url", "--via", "haproxy", "ha_test"],
    )
    .trim()
    .to_owned();
    let standbys = devdb(
        &scratch,
        None,
        &["ha", "url", "--via", "haproxy-replica", "ha_test"],
    )
    .trim()
    .to_owned();

    // The multi-host URL and HAProxy's primary port reach the same leader;
    // the replica port a standby.
    let (leader, standby) = where_am_i(&multi_host);
    assert!(!standby);
    assert_eq!(where_am_i(&haproxy), (leader, false));
    assert!(where_am_i(&standbys).1);
    // devdb takes the multi-host URL as DATABASE_URL, as every crate does.
    let other = devdb(&scratch, Some(&multi_host), &["url", "ha_other"]);
    assert!(
        other.contains("/ha_other?target_session_attrs=read-write"),
        "{other}"
    );

    client(&multi_host)
        .batch_execute(
            "CREATE TABLE notes (id bigserial PRIMARY KEY); INSERT INTO notes DEFAULT VALUES",
        )
        .unwrap();

    let switched = devdb(&scratch, None, &["ha", "switchover"]);
    assert!(switched.starts_with("switched over from "), "{switched}");
    let (new_leader, _) = where_am_i(&multi_host);
    assert_ne!(new_leader, leader, "{switched}");
    assert_eq!(where_am_i(&haproxy), (new_leader, false));
    assert_eq!(count_notes(&haproxy), 1);
    client(&haproxy)
        .batch_execute("INSERT INTO notes DEFAULT VALUES")
        .unwrap();

    let failed_over = devdb(&scratch, None, &["ha", "failover"]);
    assert!(failed_over.contains("took over in"), "{failed_over}");
    let (third, _) = where_am_i(&multi_host);
    assert_ne!(third, new_leader, "{failed_over}");
    // Both acknowledged writes survived the leader's death.
    assert_eq!(count_notes(&multi_host), 2);
    let status = devdb(&scratch, None, &["ha", "status"]);
    assert!(status.contains("leader"), "{status}");

    // The dead node rejoins as a standby, and `up` returns once both
    // standbys stream from the leader (a rewound node takes connections
    // before it streams, and meanwhile answers with what it had).
    let again = devdb(&scratch, None, &["ha", "up"]);
    assert_eq!(again.matches("running").count(), 3, "{again}");
    let streaming: i64 = client(&haproxy)
        .query_one(
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(streaming, 2, "{again}");
    // A database made for the replica port is on every node once its URL
    // is printed, the rejoined one too.
    let replica_url = devdb(
        &scratch,
        None,
        &["ha", "url", "--via", "haproxy-replica", "ha_later"],
    );
    let (before, after) = replica_url.trim().split_once("127.0.0.1:").unwrap();
    let (_, path) = after.split_once('/').unwrap();
    let node_ports: Vec<&str> = again
        .lines()
        .filter(|l| l.trim_start().starts_with("node") && !l.contains("port"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(node_ports.len(), 3, "{again}");
    for port in node_ports {
        let node_url = format!("{before}127.0.0.1:{port}/{path}");
        assert_eq!(where_am_i(&node_url).0.to_string(), port);
    }

    let down = devdb(&scratch, None, &["ha", "down"]);
    assert!(down.starts_with("stopped the HA cluster"), "{down}");
    // Down, an HA URL says what to do (and devdb does not start a plain
    // cluster on HAProxy's port instead).
    let output = command(&scratch, Some(&haproxy), &["url", "ha_test"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ha up"), "{stderr}");
}
