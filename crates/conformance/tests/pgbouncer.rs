//! Each crate through PgBouncer 1.18 (Debian's), started by devdb in front
//! of the local cluster: what really happens, in session mode, in
//! transaction mode with the crate's default settings, without its
//! prepared-statement cache, and without it behind a PgBouncer that discards
//! every server connection's state after each transaction
//! (`server_reset_query_always = 1`).
//!
//! The workload: 24 tasks, each doing rounds of a write (`add_all`), two
//! reads (`get`, `by_name`) and a two-statement unit of work
//! (`add_team_with_heroes`). In transaction mode the crate's pool opens 24
//! connections against PgBouncer's 8 server connections (`default_pool_size`):
//! the failures of transaction mode hide while each client keeps landing on
//! the same backend, hence the crowd. In session mode a client connection
//! holds its server connection for life, so the pool is sized to PgBouncer's
//! 8; a larger pool waits for servers that never come
//! (`session_mode_with_a_pool_larger_than_pgbouncers`). Migrations run
//! on the direct connection first, as deployments do (PgBouncer's transaction
//! mode does not keep the migrators' session locks).
//!
//! Each test asserts the observed outcome: it works, or it fails with the
//! real error text — a statement name another client's statement of the same
//! name collides with (`… already exists`) or one prepared on another backend
//! (`… does not exist`); which of the two comes first varies with timing.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use conformance::stacks::{AsyncDiesel, SeaOrm, SqlxRaw, SyncDiesel};
use conformance::{PoolConfig, Stack};
use devdb::TestDatabase;
use devdb::scale::PoolMode;
use heroes_model::{NewHero, NewTeam};

/// Tasks at once.
const CLIENTS: usize = 24;
/// PgBouncer's server connections per database and user (devdb's
/// `default_pool_size`).
const PGBOUNCER_POOL: usize = 8;
/// Rounds of the four calls per client.
const ROUNDS: usize = 5;
/// Workloads per test, each on a new engine.
const ATTEMPTS: usize = 3;

/// Migrates `db` directly, then runs the workload through PgBouncer in
/// `mode`. `Ok(calls)` when every call succeeded, else the first error.
/// Migrates `db` directly, then runs the workload through PgBouncer in
/// `mode` [`ATTEMPTS`] times, each with a new engine (new connections, whose
/// setup is part of what is tested). Each outcome: `Ok(calls)` when every
/// call succeeded, else the first error.
async fn through_pgbouncer<S: Stack>(
    db: &TestDatabase,
    mode: PoolMode,
    pool_size: usize,
    statement_cache: bool,
) -> Vec<Result<usize, String>> {
    let direct = S::connect(db.url(), PoolConfig::default()).await.unwrap();
    direct.migrate_up().await.unwrap();
    let mut outcomes = Vec::new();
    for attempt in 0..ATTEMPTS {
        outcomes.push(workload::<S>(db, mode, pool_size, statement_cache, attempt).await);
    }
    outcomes
}

/// One workload: `Ok(calls)` when every call succeeded, else the first error.
async fn workload<S: Stack>(
    db: &TestDatabase,
    mode: PoolMode,
    pool_size: usize,
    statement_cache: bool,
    attempt: usize,
) -> Result<usize, String> {
    let url = devdb::DevDb::from_env()
        .unwrap()
        .pooler_url(db.name(), mode)
        .unwrap();
    let pool = PoolConfig {
        max_size: u32::try_from(pool_size).unwrap(),
        statement_cache,
        ..PoolConfig::default()
    };
    let stack = S::connect(&url, pool).await.map_err(|e| e.to_string())?;
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let stack = stack.clone();
        clients.spawn(async move {
            for round in 0..ROUNDS {
                let name = format!("{}-{attempt}-{client}-{round}", S::NAME);
                let added = stack
                    .add_all(&[NewHero::named(name.clone(), S::NAME)])
                    .await?;
                stack.get(added[0].id).await?;
                stack.by_name(&name).await?;
                let team = NewTeam {
                    name: format!("team-{name}"),
                    headquarters: None,
                };
                stack
                    .add_team_with_heroes(
                        &team,
                        &[NewHero::named(format!("member-{name}"), S::NAME)],
                    )
                    .await?;
            }
            Ok::<_, conformance::StackError>(ROUNDS * 4)
        });
    }
    let mut calls = 0;
    let mut first_error = None;
    while let Some(done) = clients.join_next().await {
        match done.unwrap() {
            Ok(n) => calls += n,
            Err(err) => {
                first_error.get_or_insert(err.to_string());
            }
        }
    }
    first_error.map_or(Ok(calls), Err)
}

/// Every attempt made all its calls.
// The three take the outcomes by value, to be called as `assert_…(outcomes)`.
#[allow(clippy::needless_pass_by_value)]
fn assert_works(outcomes: Vec<Result<usize, String>>) {
    assert!(
        outcomes.iter().all(|o| *o == Ok(CLIENTS * ROUNDS * 4)),
        "{outcomes:?}"
    );
}

/// Every attempt failed, with one of the `expected` texts.
#[allow(clippy::needless_pass_by_value)]
fn assert_fails_with(outcomes: Vec<Result<usize, String>>, expected: &[&str]) {
    for outcome in &outcomes {
        let err = outcome
            .as_ref()
            .expect_err("expected a failure through transaction mode");
        // Shown with `--nocapture`: the text book/src/scaling.md quotes.
        eprintln!("observed: {err}");
        assert!(
            expected.iter().any(|text| err.contains(text)),
            "{err}\n(expected one of {expected:?})"
        );
    }
}

/// At least one attempt failed with one of the `expected` texts, and none
/// failed otherwise: the failure depends on timing (which server connection
/// PgBouncer hands out between two messages), so an attempt can get through.
#[allow(clippy::needless_pass_by_value)]
fn assert_fails_in_some(outcomes: Vec<Result<usize, String>>, expected: &[&str]) {
    eprintln!("observed: {outcomes:?}");
    assert!(
        outcomes.iter().any(Result::is_err),
        "every attempt got through: {outcomes:?}"
    );
    for err in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            expected.iter().any(|text| err.contains(text)),
            "{err}\n(expected one of {expected:?})"
        );
    }
}

macro_rules! pgbouncer {
    ($module:ident, $stack:ty,
     transaction: $transaction:expr,
     without_statement_cache: $uncached:expr,
     with_reset_and_without_statement_cache: $reset:expr) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread")]
            async fn session_mode_works() {
                let db = TestDatabase::create(concat!(stringify!($module), "_pgb_s")).unwrap();
                assert_works(
                    through_pgbouncer::<$stack>(&db, PoolMode::Session, PGBOUNCER_POOL, true).await,
                );
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn transaction_mode_with_default_settings() {
                let db = TestDatabase::create(concat!(stringify!($module), "_pgb_t")).unwrap();
                let outcome =
                    through_pgbouncer::<$stack>(&db, PoolMode::Transaction, CLIENTS, true).await;
                #[allow(clippy::redundant_closure_call)]
                ($transaction)(outcome);
            }

            /// The workaround within the library's reach: no prepared-statement cache.
            #[tokio::test(flavor = "multi_thread")]
            async fn transaction_mode_without_the_statement_cache() {
                let db = TestDatabase::create(concat!(stringify!($module), "_pgb_n")).unwrap();
                let outcome =
                    through_pgbouncer::<$stack>(&db, PoolMode::Transaction, CLIENTS, false).await;
                #[allow(clippy::redundant_closure_call)]
                ($uncached)(outcome);
            }

            /// The next workaround: every call already runs in an explicit
            /// transaction (the crates' sessions), no statement cache, and
            /// PgBouncer discards everything a client prepared after each
            /// transaction (`server_reset_query_always = 1`).
            #[tokio::test(flavor = "multi_thread")]
            async fn transaction_mode_with_reset_always_and_without_the_statement_cache() {
                let db = TestDatabase::create(concat!(stringify!($module), "_pgb_r")).unwrap();
                let outcome =
                    through_pgbouncer::<$stack>(&db, PoolMode::TransactionReset, CLIENTS, false)
                        .await;
                #[allow(clippy::redundant_closure_call)]
                ($reset)(outcome);
            }
        }
    };
}

// A name prepared on one server connection can exist on another for another
// client's query: diesel then binds its parameters to that statement, which
// fails on their types ("invalid byte sequence", "incorrect binary data
// format") when it does not fail on the name.
pgbouncer!(sync_diesel, SyncDiesel,
    transaction: |o| assert_fails_with(o, &[
        "prepared statement \"__diesel_stmt_",
        "invalid byte sequence",
        "incorrect binary data format",
    ]),
    without_statement_cache: assert_works,
    with_reset_and_without_statement_cache: assert_works);
pgbouncer!(async_diesel, AsyncDiesel,
    transaction: |o| assert_fails_in_some(o, &["prepared statement \"s"]),
    without_statement_cache: |o| assert_fails_in_some(o, &["prepared statement \"s"]),
    with_reset_and_without_statement_cache: |o| assert_fails_in_some(o, &["prepared statement \"s"]));
pgbouncer!(sqlx_raw, SqlxRaw,
    transaction: |o| assert_fails_with(o, &["prepared statement \"sqlx_s_"]),
    without_statement_cache: |o| assert_fails_with(o, &["prepared statement \"sqlx_s_"]),
    with_reset_and_without_statement_cache: assert_works);
pgbouncer!(seaorm, SeaOrm,
    transaction: |o| assert_fails_with(o, &["prepared statement \"sqlx_s_"]),
    without_statement_cache: |o| assert_fails_with(o, &["prepared statement \"sqlx_s_"]),
    with_reset_and_without_statement_cache: assert_works);

/// Whether advisory lock `key` is free, seen from a direct session (taken
/// and given back at once when it is).
fn lock_is_free(direct: &mut postgres::Client, key: i64) -> bool {
    direct
        .query_one(
            "SELECT pg_try_advisory_lock($1) AND pg_advisory_unlock($1)",
            &[&key],
        )
        .unwrap()
        .get(0)
}

/// Polls [`lock_is_free`] for up to 5 s.
fn lock_frees_within_5s(direct: &mut postgres::Client, key: i64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !lock_is_free(direct, key) {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

/// What a session advisory lock does through each mode: the lock every
/// migrator here holds while it runs (sqlx's own, and the one this project
/// adds around diesel's and SeaORM's; book/src/migrations-in-production.md). Hence: migrate on
/// a direct connection, never through transaction mode.
#[test]
fn session_advisory_locks_through_each_pgbouncer_mode() {
    let db = TestDatabase::create("pgb_advisory_locks").unwrap();
    let devdb = devdb::DevDb::from_env().unwrap();
    let key = 0x6d69_6772_0000_0000_i64 + i64::from(std::process::id());
    let lock = format!("SELECT pg_advisory_lock({key})");
    let direct = &mut postgres::Client::connect(db.url(), postgres::NoTls).unwrap();
    let through = |mode| {
        let url = devdb.pooler_url(db.name(), mode).unwrap();
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.simple_query(&lock).unwrap();
        client
    };

    // Session mode: held while the client is connected, released when it
    // leaves (PgBouncer resets the server connection).
    let client = through(PoolMode::Session);
    assert!(
        !lock_is_free(direct, key),
        "session mode: the lock must be held"
    );
    drop(client);
    assert!(
        lock_frees_within_5s(direct, key),
        "session mode: the lock outlived its client"
    );

    // Transaction mode: the lock stays on the server connection after the
    // client has gone, held by PgBouncer's idle backend until it closes.
    drop(through(PoolMode::Transaction));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        !lock_is_free(direct, key),
        "transaction mode: the lock was expected to leak"
    );
    // What an operator does about it: end the backend that holds it.
    let ended: i64 = direct
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks \
             WHERE locktype = 'advisory' AND granted AND database = \
             (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND (classid::bigint << 32) + objid::bigint = $1",
            &[&key],
        )
        .unwrap()
        .get(0);
    assert_eq!(ended, 1);
    assert!(lock_frees_within_5s(direct, key));

    // Transaction mode with server_reset_query_always: DISCARD ALL after the
    // statement's own transaction releases the lock at once, while its client
    // is still connected: it excludes nobody.
    let client = through(PoolMode::TransactionReset);
    assert!(
        lock_frees_within_5s(direct, key),
        "with server_reset_query_always the lock was expected to be gone"
    );
    drop(client);
}
