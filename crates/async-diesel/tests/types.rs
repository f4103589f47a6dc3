//! PostgreSQL's own types through diesel-async (`src/types.rs`): every edge
//! value round-trips, the queries find what was written, and what the types
//! refuse (a NULL inside `Array<Text>`, a salary too large for
//! `numeric(12,2)`) is an error, not a panic. Each test runs in a test
//! transaction that is never committed.
//!
//! Run with `cargo test -p async-diesel --test types`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_diesel::db::{self, Settings};
use async_diesel::{migrate, queries, types};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use heroes_model::{HeroRank, HeroTypes, NewHero, Profile, TypedHero, seed};
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

async fn connection() -> AsyncPgConnection {
    static URL: OnceCell<String> = OnceCell::const_new();
    let url = URL
        .get_or_init(async || {
            let url = devdb::database("async_diesel_types")
                .expect("a database server")
                .url;
            let pool = db::pool(&url, &Settings::one_connection())
                .await
                .expect("the test database");
            migrate::up(pool.get().await.expect("a connection")).expect("migrations");
            url
        })
        .await;
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .expect("the test database");
    conn.begin_test_transaction().await.expect("BEGIN");
    conn
}

fn names(heroes: Vec<TypedHero>) -> Vec<String> {
    heroes.into_iter().map(|h| h.name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_edge_value_round_trips() {
    let conn = &mut connection().await;
    let heroes = [
        NewHero::named("edge", "types"),
        NewHero::named("bare", "types"),
    ];
    queries::add_all(conn, &heroes).await.unwrap();
    for written in heroes_model::types::edge_values() {
        let stored = types::set_types(conn, "edge", &written)
            .await
            .unwrap()
            .unwrap();
        let read = types::by_public_id(conn, stored.public_id)
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
    let rookies = types::by_rank(conn, HeroRank::Rookie).await.unwrap();
    let bare = rookies
        .iter()
        .find(|h| h.name == "bare")
        .expect("bare is a rookie");
    assert_eq!(
        (bare.powers.len(), &bare.profile, bare.salary),
        (0, &None, None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queries_find_what_was_written() {
    let conn = &mut connection().await;
    queries::add_all(conn, &seed::new_heroes("types", |_| None))
        .await
        .unwrap();
    for (name, columns) in seed::hero_types() {
        types::set_types(conn, name, &columns)
            .await
            .unwrap()
            .expect(name);
    }
    assert_eq!(
        names(types::with_power(conn, "karate").await.unwrap()),
        ["spongebob", "sandy"]
    );
    assert_eq!(
        names(types::by_rank(conn, HeroRank::Legend).await.unwrap()),
        ["mermaid man"]
    );
    assert_eq!(
        names(types::by_catchphrase(conn, "I'm ready!").await.unwrap()),
        ["spongebob"]
    );
    let paid: Vec<(String, String)> = types::by_salary(conn)
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
        types::by_public_id(conn, uuid::Uuid::nil()).await.unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_null_inside_the_array_is_an_error_for_that_read() {
    let conn = &mut connection().await;
    queries::add_all(conn, &[NewHero::named("holey", "types")])
        .await
        .unwrap();
    diesel::sql_query("UPDATE heroes SET powers = ARRAY['flight', NULL] WHERE name = 'holey'")
        .execute(conn)
        .await
        .unwrap();
    let err = types::with_power(conn, "flight").await.unwrap_err();
    assert!(err.to_string().contains("null"), "{err}");
    assert_eq!(queries::count(conn).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_salary_too_large_for_numeric_12_2_is_refused_and_extra_decimals_are_rounded() {
    let conn = &mut connection().await;
    queries::add_all(conn, &[NewHero::named("rich", "types")])
        .await
        .unwrap();
    let mut columns = HeroTypes {
        rank: HeroRank::Rookie,
        powers: Vec::new(),
        profile: Some(Profile::default()),
        salary: Some(Decimal::new(1_000_000_000_000, 2)), // 10000000000.00: 11 digits
    };
    let err = conn
        .transaction(async |conn| types::set_types(conn, "rich", &columns).await)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("numeric field overflow"), "{err}");
    columns.salary = Some(Decimal::new(125, 3)); // 0.125
    let stored = types::set_types(conn, "rich", &columns)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.salary.unwrap().to_string(), "0.13");
}
