//! Testing `queries.rs` the diesel-async way: every test gets a connection
//! inside a transaction that is never committed
//! (`AsyncConnection::begin_test_transaction`), so nothing a test writes
//! outlives it, and the tests share one database in parallel. SQLAlchemy's
//! answer is the same idea: a pytest fixture that joins the session into an
//! outer transaction and rolls it back (the book's "Testing your queries").
//!
//! Run with `cargo test -p async-diesel --test testing`.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_diesel::db::{self, Settings};
use async_diesel::{Error, migrate, queries};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use heroes_model::NewHero;
use tokio::sync::OnceCell;

// ANCHOR: connection
/// A connection to the test database inside a test transaction: it is
/// rolled back when the connection is dropped, at the end of the test.
async fn connection() -> AsyncPgConnection {
    let url = database_url().await;
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .expect("the test database");
    conn.begin_test_transaction().await.expect("BEGIN");
    conn
}
// ANCHOR_END: connection

// ANCHOR: first
#[tokio::test(flavor = "multi_thread")]
async fn a_hero_added_is_found_by_name() {
    let conn = &mut connection().await;
    queries::add_all(conn, &[NewHero::named("sandy", "testing")])
        .await
        .unwrap();
    let sandy = queries::by_name(conn, "sandy")
        .await
        .unwrap()
        .expect("sandy");
    assert_eq!(sandy.name, "sandy");
}
// ANCHOR_END: first

// ANCHOR: failure
/// A failure inside the test: the batch's own transaction, a savepoint
/// inside the test transaction, rolls back alone, and the test goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_name_fails_the_batch_and_saves_none_of_it() {
    let conn = &mut connection().await;
    queries::add_all(conn, &[NewHero::named("sandy", "testing")])
        .await
        .unwrap();
    let batch = [
        NewHero::named("mr. krabs", "testing"),
        NewHero::named("sandy", "testing"),
    ];
    let err = conn
        .transaction(async |conn| queries::add_all(conn, &batch).await)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref name, .. } if name == "sandy"),
        "{err}"
    );
    assert_eq!(queries::by_name(conn, "mr. krabs").await.unwrap(), None);
    assert_eq!(queries::count(conn).await.unwrap(), 1);
}
// ANCHOR_END: failure

// ANCHOR: isolation
/// Each test sees its own rows only: these two count exactly what they
/// added, whichever runs first, at once or twice in a row.
#[tokio::test(flavor = "multi_thread")]
async fn three_heroes_are_three() {
    let conn = &mut connection().await;
    let heroes = ["a", "b", "c"].map(|n| NewHero::named(format!("three-{n}"), "testing"));
    queries::add_all(conn, &heroes).await.unwrap();
    assert_eq!(queries::count(conn).await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn five_heroes_are_five() {
    let conn = &mut connection().await;
    let heroes = ["a", "b", "c", "d", "e"].map(|n| NewHero::named(format!("five-{n}"), "testing"));
    queries::add_all(conn, &heroes).await.unwrap();
    assert_eq!(queries::count(conn).await.unwrap(), 5);
}
// ANCHOR_END: isolation

/// The test database: `async_diesel_testing` on the DATABASE_URL server
/// (devdb starts a local cluster when nothing answers), migrated to head once
/// per test process; `migrate::up` holds the migration lock, so processes
/// that race (cargo nextest) apply each migration once. In a project of your
/// own this is `std::env::var("DATABASE_URL")` and a migrated database.
async fn database_url() -> &'static str {
    static URL: OnceCell<String> = OnceCell::const_new();
    URL.get_or_init(async || {
        let url = devdb::database("async_diesel_testing")
            .expect("a database server")
            .url;
        let pool = db::pool(&url, &Settings::one_connection())
            .await
            .expect("the test database");
        migrate::up(pool.get().await.expect("a connection")).expect("migrations");
        url
    })
    .await
}
