//! PostgreSQL's own types through Diesel (`src/types.rs`): every edge value
//! round-trips, the queries find what was written, and what the types
//! refuse (a NULL inside `Array<Text>`, a salary too large for
//! `numeric(12,2)`) is an error, not a panic. Each test runs in a test
//! transaction that is never committed.
//!
//! Run with `cargo test -p sync-diesel --test types`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use diesel::prelude::*;
use heroes_model::{HeroRank, HeroTypes, NewHero, Profile, seed};
use rust_decimal::Decimal;
use sync_diesel::{migrate, queries, types};

fn connection() -> PgConnection {
    static URL: OnceLock<String> = OnceLock::new();
    let url = URL.get_or_init(|| {
        let url = devdb::database("sync_diesel_types")
            .expect("a database server")
            .url;
        migrate::up(&mut PgConnection::establish(&url).expect("the test database"))
            .expect("migrations");
        url
    });
    let mut conn = PgConnection::establish(url).expect("the test database");
    conn.begin_test_transaction().expect("BEGIN");
    conn
}

/// The seed heroes with the seed's revision 3 columns.
fn seeded(conn: &mut PgConnection) {
    let heroes = seed::new_heroes("types", |_| None);
    queries::add_all(conn, &heroes).unwrap();
    for (name, columns) in seed::hero_types() {
        types::set_types(conn, name, &columns).unwrap().expect(name);
    }
}

fn names(heroes: Vec<heroes_model::TypedHero>) -> Vec<String> {
    heroes.into_iter().map(|h| h.name).collect()
}

#[test]
fn every_edge_value_round_trips() {
    let conn = &mut connection();
    queries::add_all(
        conn,
        &[
            NewHero::named("edge", "types"),
            NewHero::named("bare", "types"),
        ],
    )
    .unwrap();
    for written in heroes_model::types::edge_values() {
        let stored = types::set_types(conn, "edge", &written).unwrap().unwrap();
        let read = types::by_public_id(conn, stored.public_id)
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
    // A hero nobody gave types to has the column defaults.
    let bare = types::with_power(conn, "nothing").unwrap();
    assert!(bare.is_empty());
    let bare = types::by_rank(conn, HeroRank::Rookie).unwrap();
    let bare = bare
        .iter()
        .find(|h| h.name == "bare")
        .expect("bare is a rookie");
    assert_eq!(
        (bare.powers.len(), &bare.profile, bare.salary),
        (0, &None, None)
    );
}

#[test]
fn the_queries_find_what_was_written() {
    let conn = &mut connection();
    seeded(conn);
    assert_eq!(
        names(types::with_power(conn, "karate").unwrap()),
        ["spongebob", "sandy"]
    );
    assert_eq!(
        names(types::by_rank(conn, HeroRank::Legend).unwrap()),
        ["mermaid man"]
    );
    assert_eq!(
        names(types::by_catchphrase(conn, "I'm ready!").unwrap()),
        ["spongebob"]
    );
    let paid: Vec<(String, String)> = types::by_salary(conn)
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
    assert_eq!(types::by_public_id(conn, uuid::Uuid::nil()).unwrap(), None);
}

#[test]
fn a_null_inside_the_array_is_an_error_for_that_read() {
    let conn = &mut connection();
    queries::add_all(conn, &[NewHero::named("holey", "types")]).unwrap();
    diesel::sql_query("UPDATE heroes SET powers = ARRAY['flight', NULL] WHERE name = 'holey'")
        .execute(conn)
        .unwrap();
    let err = types::with_power(conn, "flight").unwrap_err();
    assert!(err.to_string().contains("null"), "{err}");
    // The connection is still usable.
    assert_eq!(queries::count(conn).unwrap(), 1);
}

#[test]
fn a_salary_too_large_for_numeric_12_2_is_refused_and_extra_decimals_are_rounded() {
    let conn = &mut connection();
    queries::add_all(conn, &[NewHero::named("rich", "types")]).unwrap();
    let mut columns = HeroTypes {
        rank: HeroRank::Rookie,
        powers: Vec::new(),
        profile: Some(Profile::default()),
        salary: Some(Decimal::new(1_000_000_000_000, 2)), // 10000000000.00: 11 digits
    };
    let err = conn
        .transaction(|conn| types::set_types(conn, "rich", &columns))
        .unwrap_err();
    assert!(err.to_string().contains("numeric field overflow"), "{err}");
    columns.salary = Some(Decimal::new(125, 3)); // 0.125
    let stored = types::set_types(conn, "rich", &columns).unwrap().unwrap();
    assert_eq!(stored.salary.unwrap().to_string(), "0.13");
}

/// Why a migration that adds an enum value cannot also use it (the
/// migrations-in-production chapter): in the transaction that adds it, the
/// value is refused.
#[test]
fn a_new_enum_label_cannot_be_used_in_the_transaction_that_adds_it() {
    let conn = &mut connection();
    queries::add_all(conn, &[NewHero::named("newcomer", "types")]).unwrap();
    diesel::sql_query("ALTER TYPE hero_rank ADD VALUE 'mythic'")
        .execute(conn)
        .unwrap();
    let err = diesel::sql_query("UPDATE heroes SET rank = 'mythic' WHERE name = 'newcomer'")
        .execute(conn)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unsafe use of new value \"mythic\" of enum type hero_rank"),
        "{err}"
    );
}
