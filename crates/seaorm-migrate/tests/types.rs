//! PostgreSQL's own types through SeaORM (`src/types.rs`): every edge value
//! round-trips, the queries find what was written, and what the types
//! refuse (a NULL inside a `Vec<String>`, a salary too large for
//! `numeric(12,2)`) is an error, not a panic. Each test runs in a
//! transaction that is never committed.
//!
//! Run with `cargo test -p seaorm-migrate --test types`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use heroes_model::{HeroRank, HeroTypes, NewHero, Profile, TypedHero, seed};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Database, DatabaseTransaction, TransactionTrait};
use seaorm_migrate::{queries, types};
use tokio::sync::OnceCell;

async fn transaction() -> DatabaseTransaction {
    static URL: OnceCell<String> = OnceCell::const_new();
    let url = URL
        .get_or_init(async || {
            let url = devdb::database("seaorm_migrate_types")
                .expect("a database server")
                .url;
            let db = Database::connect(&url).await.expect("the test database");
            seaorm_migrate::migrate::up(&db, None)
                .await
                .expect("migrations");
            url
        })
        .await;
    let db = Database::connect(url).await.expect("the test database");
    db.begin().await.expect("BEGIN")
}

fn names(heroes: Vec<TypedHero>) -> Vec<String> {
    heroes.into_iter().map(|h| h.name).collect()
}

#[tokio::test]
async fn every_edge_value_round_trips() {
    let txn = transaction().await;
    let heroes = [
        NewHero::named("edge", "types"),
        NewHero::named("bare", "types"),
    ];
    queries::add_all(&txn, &heroes).await.unwrap();
    for written in heroes_model::types::edge_values() {
        let stored = types::set_types(&txn, "edge", &written)
            .await
            .unwrap()
            .unwrap();
        let read = types::by_public_id(&txn, stored.public_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, stored);
        assert_eq!(
            (read.rank, read.powers, read.profile, read.salary),
            (
                written.rank,
                written.powers,
                written.profile,
                written.salary
            )
        );
    }
    let rookies = types::by_rank(&txn, HeroRank::Rookie).await.unwrap();
    let bare = rookies
        .iter()
        .find(|h| h.name == "bare")
        .expect("bare is a rookie");
    assert_eq!(
        (bare.powers.len(), &bare.profile, bare.salary),
        (0, &None, None)
    );
}

#[tokio::test]
async fn the_queries_find_what_was_written() {
    let txn = transaction().await;
    queries::add_all(&txn, &seed::new_heroes("types", |_| None))
        .await
        .unwrap();
    for (name, columns) in seed::hero_types() {
        types::set_types(&txn, name, &columns)
            .await
            .unwrap()
            .expect(name);
    }
    assert_eq!(
        names(types::with_power(&txn, "karate").await.unwrap()),
        ["spongebob", "sandy"]
    );
    assert_eq!(
        names(types::by_rank(&txn, HeroRank::Legend).await.unwrap()),
        ["mermaid man"]
    );
    assert_eq!(
        names(types::by_catchphrase(&txn, "I'm ready!").await.unwrap()),
        ["spongebob"]
    );
    let paid: Vec<(String, String)> = types::by_salary(&txn)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.name, h.salary.unwrap().to_string()))
        .collect();
    assert_eq!(
        paid,
        [
            ("mermaid man".to_owned(), "9999999999.99".to_owned()),
            ("sandy".to_owned(), "1234567890.12".to_owned()),
            ("spongebob".to_owned(), "0.10".to_owned()),
        ]
    );
    assert_eq!(
        types::by_public_id(&txn, uuid::Uuid::nil()).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_null_inside_the_array_is_an_error_for_that_read() {
    let txn = transaction().await;
    queries::add_all(&txn, &[NewHero::named("holey", "types")])
        .await
        .unwrap();
    txn.execute_unprepared("UPDATE heroes SET powers = ARRAY['flight', NULL] WHERE name = 'holey'")
        .await
        .unwrap();
    let err = types::with_power(&txn, "flight").await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("null"), "{err}");
    assert_eq!(queries::count(&txn).await.unwrap(), 1);
}

#[tokio::test]
async fn a_salary_too_large_for_numeric_12_2_is_refused_and_extra_decimals_are_rounded() {
    let txn = transaction().await;
    queries::add_all(&txn, &[NewHero::named("rich", "types")])
        .await
        .unwrap();
    let mut columns = HeroTypes {
        rank: HeroRank::Rookie,
        powers: Vec::new(),
        profile: Some(Profile::default()),
        salary: Some(Decimal::new(1_000_000_000_000, 2)), // 10000000000.00: 11 digits
    };
    let savepoint = txn.begin().await.unwrap();
    let err = types::set_types(&savepoint, "rich", &columns)
        .await
        .unwrap_err();
    drop(savepoint); // ROLLBACK TO SAVEPOINT
    assert!(err.to_string().contains("numeric field overflow"), "{err}");
    columns.salary = Some(Decimal::new(125, 3)); // 0.125
    let stored = types::set_types(&txn, "rich", &columns)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.salary.unwrap().to_string(), "0.13");
}
