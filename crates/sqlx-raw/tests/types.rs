//! PostgreSQL's own types through sqlx (`src/types.rs`): every edge value
//! round-trips, the queries find what was written, and what the types
//! refuse (a NULL inside a `Vec<String>`, a salary too large for
//! `numeric(12,2)`) is an error, not a panic. Each test runs in a
//! transaction from `pool.begin()` that is dropped, so rolled back.
//!
//! Run with `cargo test -p sqlx-raw --test types`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use heroes_model::{HeroRank, HeroTypes, NewHero, Profile, TypedHero, seed};
use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, Transaction};
use sqlx_raw::db::{self, Settings};
use sqlx_raw::{migrate, queries, types};
use tokio::sync::OnceCell;

async fn transaction() -> Transaction<'static, Postgres> {
    static POOL: OnceCell<PgPool> = OnceCell::const_new();
    let pool = POOL
        .get_or_init(async || {
            let url = devdb::database("sqlx_raw_types")
                .expect("a database server")
                .url;
            let migrator = db::pool(&url, &Settings::one_connection())
                .await
                .expect("the test database");
            migrate::up(&migrator).await.expect("migrations");
            db::pool(&url, &Settings::default())
                .await
                .expect("the test database")
        })
        .await;
    pool.begin().await.expect("BEGIN")
}

fn names(heroes: Vec<TypedHero>) -> Vec<String> {
    heroes.into_iter().map(|h| h.name).collect()
}

#[tokio::test]
async fn every_edge_value_round_trips() {
    let mut tx = transaction().await;
    let heroes = [
        NewHero::named("edge", "types"),
        NewHero::named("bare", "types"),
    ];
    queries::add_all(&mut tx, &heroes).await.unwrap();
    for written in heroes_model::types::edge_values() {
        let stored = types::set_types(&mut tx, "edge", &written)
            .await
            .unwrap()
            .unwrap();
        let read = types::by_public_id(&mut tx, stored.public_id)
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
    let rookies = types::by_rank(&mut tx, HeroRank::Rookie).await.unwrap();
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
    let mut tx = transaction().await;
    queries::add_all(&mut tx, &seed::new_heroes("types", |_| None))
        .await
        .unwrap();
    for (name, columns) in seed::hero_types() {
        types::set_types(&mut tx, name, &columns)
            .await
            .unwrap()
            .expect(name);
    }
    assert_eq!(
        names(types::with_power(&mut tx, "karate").await.unwrap()),
        ["spongebob", "sandy"]
    );
    assert_eq!(
        names(types::by_rank(&mut tx, HeroRank::Legend).await.unwrap()),
        ["mermaid man"]
    );
    assert_eq!(
        names(types::by_catchphrase(&mut tx, "I'm ready!").await.unwrap()),
        ["spongebob"]
    );
    let paid: Vec<(String, String)> = types::by_salary(&mut tx)
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
        types::by_public_id(&mut tx, uuid::Uuid::nil())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_null_inside_the_array_is_an_error_for_that_read() {
    let mut tx = transaction().await;
    queries::add_all(&mut tx, &[NewHero::named("holey", "types")])
        .await
        .unwrap();
    sqlx::query("UPDATE heroes SET powers = ARRAY['flight', NULL] WHERE name = 'holey'")
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = types::with_power(&mut tx, "flight").await.unwrap_err();
    assert!(err.to_string().contains("unexpected null"), "{err}");
    assert_eq!(queries::count(&mut tx).await.unwrap(), 1);
}

#[tokio::test]
async fn a_salary_too_large_for_numeric_12_2_is_refused_and_extra_decimals_are_rounded() {
    let mut tx = transaction().await;
    queries::add_all(&mut tx, &[NewHero::named("rich", "types")])
        .await
        .unwrap();
    let mut columns = HeroTypes {
        rank: HeroRank::Rookie,
        powers: Vec::new(),
        profile: Some(Profile::default()),
        salary: Some(Decimal::new(1_000_000_000_000, 2)), // 10000000000.00: 11 digits
    };
    let mut savepoint = sqlx::Acquire::begin(&mut *tx).await.unwrap();
    let err = types::set_types(&mut savepoint, "rich", &columns)
        .await
        .unwrap_err();
    drop(savepoint); // ROLLBACK TO SAVEPOINT
    assert!(err.to_string().contains("numeric field overflow"), "{err}");
    columns.salary = Some(Decimal::new(125, 3)); // 0.125
    let stored = types::set_types(&mut tx, "rich", &columns)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.salary.unwrap().to_string(), "0.13");
}
