//! Each crate reading from the streaming replica devdb starts beside the
//! local cluster (`pg_basebackup -R`): a read right after a write can miss it;
//! waiting for the replica to replay the writer's WAL position never does; a
//! write sent to the replica is refused (SQLSTATE 25006).

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use conformance::stacks::{AsyncDiesel, SeaOrm, SqlxRaw, SyncDiesel};
use conformance::{PoolConfig, Stack};
use devdb::TestDatabase;
use devdb::testing::ReplayPause;
use heroes_model::NewHero;

/// Writes, each followed by a read on the replica after waiting for replay.
const TRIES: usize = 1000;
/// How long a read waits for the replica to catch up before it fails.
const REPLAY_DEADLINE: Duration = Duration::from_secs(5);

/// An engine on the primary (migrated) and one on the replica, which has
/// replayed the migrations.
async fn primary_and_replica<S: Stack>(db: &TestDatabase) -> (S, S, String) {
    let primary = S::connect(db.url(), PoolConfig::default()).await.unwrap();
    primary.migrate_up().await.unwrap();
    let lsn = primary.wal_position().await.unwrap();
    let replica_url = tokio::task::block_in_place(|| {
        devdb::DevDb::from_env()
            .unwrap()
            .replica_url(db.name())
            .unwrap()
    });
    let replica = S::connect(&replica_url, PoolConfig::default())
        .await
        .unwrap();
    replica
        .wait_for_replay(&lsn, REPLAY_DEADLINE)
        .await
        .unwrap();
    (primary, replica, replica_url)
}

async fn stale_read_then_read_your_writes<S: Stack>(db: &TestDatabase) {
    let (primary, replica, replica_url) = primary_and_replica::<S>(db).await;

    // A write, then at once a read on the replica: it misses the write.
    // (Shown deterministically: replay is paused first. Unpaused, the
    // replica here is usually a millisecond behind; "usually" is the bug.)
    let pause = tokio::task::block_in_place(|| ReplayPause::start(db.url(), &replica_url));
    let name = format!("{}-stale", S::NAME);
    primary
        .add_all(&[NewHero::named(name.clone(), S::NAME)])
        .await
        .unwrap();
    let seen = replica.by_name(&name).await;
    // Resumed before any assertion: dropped while a panic unwinds, outside
    // block_in_place, the pause's blocking client would abort the process
    // and leave the replica paused for whoever runs next.
    tokio::task::block_in_place(|| drop(pause));
    assert!(
        seen.unwrap().is_none(),
        "the replica saw a write it cannot have replayed"
    );

    // Read your writes: wait for the replica to pass the writer's position.
    let mut stale = 0;
    for i in 0..TRIES {
        let name = format!("{}-ryw-{i}", S::NAME);
        primary
            .add_all(&[NewHero::named(name.clone(), S::NAME)])
            .await
            .unwrap();
        let lsn = primary.wal_position().await.unwrap();
        replica
            .wait_for_replay(&lsn, REPLAY_DEADLINE)
            .await
            .unwrap();
        if replica.by_name(&name).await.unwrap().is_none() {
            stale += 1;
        }
    }
    assert_eq!(
        stale, 0,
        "{stale} of {TRIES} reads after waiting for replay were stale"
    );
    // The paused write arrived too.
    assert!(replica.by_name(&name).await.unwrap().is_some());

    // A write sent to the replica.
    let err = replica
        .add_all(&[NewHero::named(format!("{}-on-replica", S::NAME), S::NAME)])
        .await
        .unwrap_err()
        .to_string();
    eprintln!("observed: {err}");
    assert!(
        err.contains("cannot execute INSERT in a read-only transaction"),
        "{err}"
    );
}

macro_rules! replica {
    ($module:ident, $stack:ty) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $module() {
            let db = TestDatabase::create(concat!(stringify!($module), "_replica")).unwrap();
            stale_read_then_read_your_writes::<$stack>(&db).await;
        }
    };
}

replica!(sync_diesel, SyncDiesel);
replica!(async_diesel, AsyncDiesel);
replica!(sqlx_raw, SqlxRaw);
replica!(seaorm, SeaOrm);
