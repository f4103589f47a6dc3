//! Testing `queries.rs` the Diesel way: every test gets a connection inside a
//! transaction that is never committed (`begin_test_transaction`), so nothing
//! a test writes outlives it, and the tests share one database in parallel.
//! SQLAlchemy's answer is the same idea: a pytest fixture that joins the
//! session into an outer transaction and rolls it back (the book's "Testing
//! your queries" puts the two side by side).
//!
//! Run with `cargo test -p sync-diesel --test testing`.

// A failed unwrap in a test is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use diesel::prelude::*;
use heroes_model::NewHero;
use sync_diesel::{Error, migrate, queries};

// ANCHOR: connection
/// A connection to the test database inside a test transaction: Diesel
/// rolls it back when the connection is dropped, at the end of the test.
fn connection() -> PgConnection {
    let mut conn = PgConnection::establish(database_url()).expect("the test database");
    conn.begin_test_transaction().expect("BEGIN");
    conn
}
// ANCHOR_END: connection

// ANCHOR: first
#[test]
fn a_hero_added_is_found_by_name() {
    let conn = &mut connection();
    queries::add_all(conn, &[NewHero::named("sandy", "testing")]).unwrap();
    let sandy = queries::by_name(conn, "sandy").unwrap().expect("sandy");
    assert_eq!(sandy.name, "sandy");
}
// ANCHOR_END: first

// ANCHOR: failure
/// A failure inside the test: the batch's own transaction, a savepoint
/// inside the test transaction, rolls back alone, and the test goes on.
#[test]
fn a_duplicate_name_fails_the_batch_and_saves_none_of_it() {
    let conn = &mut connection();
    queries::add_all(conn, &[NewHero::named("sandy", "testing")]).unwrap();
    let batch = [
        NewHero::named("mr. krabs", "testing"),
        NewHero::named("sandy", "testing"),
    ];
    let err = conn
        .transaction(|conn| queries::add_all(conn, &batch))
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref name, .. } if name == "sandy"),
        "{err}"
    );
    assert_eq!(queries::by_name(conn, "mr. krabs").unwrap(), None);
    assert_eq!(queries::count(conn).unwrap(), 1);
}
// ANCHOR_END: failure

// ANCHOR: isolation
/// Each test sees its own rows only: these two count exactly what they
/// added, whichever runs first, at once or twice in a row.
#[test]
fn three_heroes_are_three() {
    let conn = &mut connection();
    let heroes = ["a", "b", "c"].map(|n| NewHero::named(format!("three-{n}"), "testing"));
    queries::add_all(conn, &heroes).unwrap();
    assert_eq!(queries::count(conn).unwrap(), 3);
}

#[test]
fn five_heroes_are_five() {
    let conn = &mut connection();
    let heroes = ["a", "b", "c", "d", "e"].map(|n| NewHero::named(format!("five-{n}"), "testing"));
    queries::add_all(conn, &heroes).unwrap();
    assert_eq!(queries::count(conn).unwrap(), 5);
}
// ANCHOR_END: isolation

// ANCHOR: template
/// Another way, for any library: a database of the test's own, cloned from a
/// template migrated once (`CREATE DATABASE … TEMPLATE …`, a copy of its
/// files on the server). The test may commit: the database is its own, and
/// is dropped at the end.
#[test]
fn a_database_of_its_own_cloned_from_a_migrated_template() {
    let server = devdb::DevDb::from_env().unwrap();
    server
        .template("sync_diesel_template", |url| {
            let conn = &mut PgConnection::establish(url).map_err(|e| e.to_string())?;
            migrate::up(conn).map(drop).map_err(|e| e.to_string())
        })
        .unwrap();
    let db = devdb::TestDatabase::from_template("sd_template", "sync_diesel_template").unwrap();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    migrate::up(conn).unwrap(); // nothing to do while the template is current
    queries::add_all(conn, &[NewHero::named("sandy", "testing")]).unwrap();
    assert_eq!(queries::count(conn).unwrap(), 1);
}
// ANCHOR_END: template

/// The test database: `sync_diesel_testing` on the DATABASE_URL server
/// (devdb starts a local cluster when nothing answers), migrated to head once
/// per test process; `migrate::up` holds the migration lock, so processes
/// that race (cargo nextest) apply each migration once. In a project of your
/// own this is `std::env::var("DATABASE_URL")` and a migrated database.
fn database_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = devdb::database("sync_diesel_testing")
            .expect("a database server")
            .url;
        migrate::up(&mut PgConnection::establish(&url).expect("the test database"))
            .expect("migrations");
        url
    })
}
