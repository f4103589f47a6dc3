//! Testing `queries.rs` the SeaORM way, two ways. Without a server: a
//! `MockDatabase` hands each query the rows you give it and records the SQL
//! it sent. With the server: a real database, each test inside a transaction
//! that is never committed, so nothing a test writes outlives it and the
//! tests share one database in parallel (SQLAlchemy's pytest fixture that
//! rolls back an outer transaction; the book's "Testing your queries").
//!
//! Run with `cargo test -p seaorm-migrate --test testing`.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use heroes_model::entity::hero;
use heroes_model::{HeroRank, NewHero};
use sea_orm::prelude::{DateTimeUtc, Uuid};
use sea_orm::{
    Database, DatabaseBackend, DatabaseTransaction, MockDatabase, Transaction, TransactionTrait,
};
use seaorm_migrate::{Error, queries};
use tokio::sync::OnceCell;

// ANCHOR: mock
/// No server: the mock answers `get` with one canned row, which must come
/// back as a `Hero`, and the log shows the one statement `get` sent.
#[tokio::test]
async fn get_selects_by_primary_key_and_maps_the_row() {
    let sandy = hero::Model {
        id: 7,
        name: "sandy".to_owned(),
        secret_name: Some("Sandy Cheeks".to_owned()),
        age: Some(28),
        app_src: "testing".to_owned(),
        created_at: "2026-01-01T00:00:00Z".parse::<DateTimeUtc>().unwrap(),
        team_id: None,
        rank: HeroRank::Rookie,
        powers: Vec::new(),
        profile: None,
        public_id: Uuid::nil(),
        salary: None,
    };
    let db = MockDatabase::new(DatabaseBackend::Postgres)
        .append_query_results([[sandy]])
        .into_connection();

    let found = queries::get(&db, 7).await.unwrap().expect("a hero");
    assert_eq!((found.id, found.name.as_str()), (7, "sandy"));

    let sent = Transaction::from_sql_and_values(
        DatabaseBackend::Postgres,
        r#"SELECT "heroes"."id", "heroes"."name", "heroes"."secret_name", "heroes"."age", "heroes"."app_src", "heroes"."created_at", "heroes"."team_id", CAST("heroes"."rank" AS "text"), "heroes"."powers", "heroes"."profile", "heroes"."public_id", "heroes"."salary" FROM "heroes" WHERE "heroes"."id" = $1 LIMIT $2"#,
        [7i64.into(), 1u64.into()],
    );
    assert_eq!(db.into_transaction_log(), [sent]);
}
// ANCHOR_END: mock

// ANCHOR: transaction
/// With the server: a transaction on the test database that the test never
/// commits; SeaORM rolls it back when it is dropped, at the end of the test.
async fn transaction() -> DatabaseTransaction {
    let db = Database::connect(database_url().await)
        .await
        .expect("the test database");
    db.begin().await.expect("BEGIN")
}
// ANCHOR_END: transaction

// ANCHOR: first
#[tokio::test]
async fn a_hero_added_is_found_by_name() {
    let txn = transaction().await;
    queries::add_all(&txn, &[NewHero::named("sandy", "testing")])
        .await
        .unwrap();
    let sandy = queries::by_name(&txn, "sandy")
        .await
        .unwrap()
        .expect("sandy");
    assert_eq!(sandy.name, "sandy");
}
// ANCHOR_END: first

// ANCHOR: failure
/// A failure inside the test: the batch's own transaction, a savepoint
/// inside the test's, rolls back alone, and the test goes on.
#[tokio::test]
async fn a_duplicate_name_fails_the_batch_and_saves_none_of_it() {
    let txn = transaction().await;
    queries::add_all(&txn, &[NewHero::named("sandy", "testing")])
        .await
        .unwrap();
    let batch = [
        NewHero::named("mr. krabs", "testing"),
        NewHero::named("sandy", "testing"),
    ];
    let savepoint = txn.begin().await.unwrap();
    let err = queries::add_all(&savepoint, &batch).await.unwrap_err();
    drop(savepoint); // ROLLBACK TO SAVEPOINT
    assert!(
        matches!(err, Error::AlreadyExists { ref name, .. } if name == "sandy"),
        "{err}"
    );
    assert_eq!(queries::by_name(&txn, "mr. krabs").await.unwrap(), None);
    assert_eq!(queries::count(&txn).await.unwrap(), 1);
}
// ANCHOR_END: failure

// ANCHOR: isolation
/// Each test sees its own rows only: these two count exactly what they
/// added, whichever runs first, at once or twice in a row.
#[tokio::test]
async fn three_heroes_are_three() {
    let txn = transaction().await;
    let heroes = ["a", "b", "c"].map(|n| NewHero::named(format!("three-{n}"), "testing"));
    queries::add_all(&txn, &heroes).await.unwrap();
    assert_eq!(queries::count(&txn).await.unwrap(), 3);
}

#[tokio::test]
async fn five_heroes_are_five() {
    let txn = transaction().await;
    let heroes = ["a", "b", "c", "d", "e"].map(|n| NewHero::named(format!("five-{n}"), "testing"));
    queries::add_all(&txn, &heroes).await.unwrap();
    assert_eq!(queries::count(&txn).await.unwrap(), 5);
}
// ANCHOR_END: isolation

/// The test database: `seaorm_migrate_testing` on the DATABASE_URL server
/// (devdb starts a local cluster when nothing answers), migrated to head once
/// per test process. SeaORM's `Migrator::up` takes no lock, so processes
/// that race (cargo nextest) go through the crate's `migrate::up`, which
/// does. In a project of your own this is `std::env::var("DATABASE_URL")`
/// and a migrated database.
async fn database_url() -> &'static str {
    static URL: OnceCell<String> = OnceCell::const_new();
    URL.get_or_init(async || {
        let url = devdb::database("seaorm_migrate_testing")
            .expect("a database server")
            .url;
        let db = Database::connect(&url).await.expect("the test database");
        seaorm_migrate::migrate::up(&db, None)
            .await
            .expect("migrations");
        url
    })
    .await
}
