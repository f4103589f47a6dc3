//! What isolating one test costs, strategy by strategy: the book's "Testing
//! your queries" (`cargo run --release -p bench -- testing`, and `just
//! report`).
//!
//! One test is what each `tests/testing.rs` does: isolate, add one hero with
//! the crate's `queries::add_all`, count the heroes, and clean up. Each
//! strategy runs that many times in a row; its figure is the median time of
//! one test, the isolation's set-up and tear-down included.

use std::time::Instant;

use diesel::Connection as _;
use diesel_async::AsyncConnection as _;
use heroes_model::NewHero;
use sea_orm::TransactionTrait as _;
use serde::{Deserialize, Serialize};
use sqlx::Connection as _;

use crate::contenders::BenchResult;
use crate::results::median;

/// One strategy's figure for one crate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestingRow {
    /// How the test is isolated ([`STRATEGIES`]).
    pub strategy: String,
    /// Whose calls the test makes.
    #[serde(rename = "crate")]
    pub krate: String,
    /// The median time of one test, milliseconds.
    pub per_test_ms: f64,
    /// How many tests the median is over.
    pub tests: usize,
}

/// A test transaction, rolled back at the end of the test, on a connection
/// opened for the test (as each `tests/testing.rs` does).
pub const TRANSACTION: &str = "rolled-back transaction";
/// The same on a connection of a pool the tests share (one pool per test
/// process, kept in a static): no login per test.
pub const POOLED: &str = "rolled-back transaction, pooled connection";
/// A database created and migrated for the test, dropped after it (what
/// `#[sqlx::test]` does).
pub const MIGRATED: &str = "database per test, migrated";
/// A database cloned from a migrated template, dropped after the test.
pub const TEMPLATE: &str = "database per test, from a template";
/// One shared database, emptied before each test.
pub const TRUNCATE: &str = "TRUNCATE before each test";

/// Every (strategy, crate) measured, in the order the report lists them.
pub const STRATEGIES: [(&str, &str); 8] = [
    (POOLED, "sqlx-raw"),
    (TRANSACTION, "sync-diesel"),
    (TRANSACTION, "async-diesel"),
    (TRANSACTION, "sqlx-raw"),
    (TRANSACTION, "seaorm-migrate"),
    (TRUNCATE, "sqlx-raw"),
    (TEMPLATE, "sqlx-raw"),
    (MIGRATED, "sqlx-raw"),
];

/// The databases the section uses, beside the bench's own.
pub struct Databases {
    /// A migrated database the transactions and TRUNCATE run in.
    pub shared: String,
    /// The template the clones copy.
    pub template: String,
    /// The server's maintenance database, where databases are created.
    pub maintenance: String,
    devdb: devdb::DevDb,
    shared_name: String,
    template_name: String,
    pool: tokio::sync::OnceCell<sqlx::PgPool>,
}

impl Databases {
    /// Creates (or finds) the shared database, migrated, and the template.
    pub fn create(prefix: &str) -> BenchResult<Self> {
        let devdb = devdb::DevDb::from_env().map_err(|e| e.to_string())?;
        let shared_name = format!("{prefix}_testing");
        let template_name = format!("{prefix}_testing_template");
        let shared = devdb.direct_url(&shared_name).map_err(|e| e.to_string())?;
        let migrate = |url: &str| -> Result<(), String> {
            let mut conn = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
            sync_diesel::migrate::up(&mut conn)
                .map(drop)
                .map_err(|e| e.to_string())
        };
        migrate(&shared)?;
        devdb
            .template(&template_name, migrate)
            .map_err(|e| e.to_string())?;
        let template = devdb
            .settings()
            .url_for(&template_name)
            .map_err(|e| e.to_string())?;
        let maintenance = devdb
            .direct_url(devdb.settings().maintenance_database())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            shared,
            template,
            maintenance,
            devdb,
            shared_name,
            template_name,
            pool: tokio::sync::OnceCell::new(),
        })
    }

    /// Drops the section's two databases (after a smoke run, whose main
    /// database is a test's own).
    pub fn drop_all(self) -> BenchResult<()> {
        for name in [&self.shared_name, &self.template_name] {
            self.devdb.drop_database(name).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// A URL for a database named `name` on the same server.
    fn url_for(&self, name: &str) -> BenchResult<String> {
        self.devdb
            .settings()
            .url_for(name)
            .map_err(|e| e.to_string())
    }
}

/// Measures every strategy, `tests` tests each (after a few unmeasured).
pub async fn measure(dbs: &Databases, tests: usize) -> BenchResult<Vec<TestingRow>> {
    // The TRUNCATE strategy commits its hero: the shared database starts
    // empty, and is left empty.
    truncate(&dbs.shared).await?;
    let mut rows = Vec::new();
    for (strategy, krate) in STRATEGIES {
        let mut times = Vec::with_capacity(tests);
        for n in 0..tests + 3 {
            let began = Instant::now();
            one_test(dbs, strategy, krate, n).await?;
            if n >= 3 {
                times.push(began.elapsed().as_secs_f64() * 1000.0);
            }
        }
        eprintln!(
            "testing: {strategy} ({krate}): {:.2} ms per test",
            median(&times)
        );
        rows.push(TestingRow {
            strategy: strategy.to_owned(),
            krate: krate.to_owned(),
            per_test_ms: median(&times),
            tests,
        });
    }
    truncate(&dbs.shared).await?;
    Ok(rows)
}

/// Empties the heroes and teams of the database at `url`.
async fn truncate(url: &str) -> BenchResult<()> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    empty(&mut conn).await?;
    conn.close().await.map_err(|e| e.to_string())
}

/// Empties the heroes and teams of `conn`'s database.
async fn empty(conn: &mut sqlx::PgConnection) -> BenchResult<()> {
    sqlx::raw_sql("TRUNCATE heroes, teams RESTART IDENTITY CASCADE")
        .execute(conn)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The body of a test with sqlx-raw's calls: adds hero `n`, counts the heroes.
async fn add_and_count(conn: &mut sqlx::PgConnection, n: usize) -> BenchResult<i64> {
    sqlx_raw::queries::add_all(conn, &hero(n))
        .await
        .map_err(|e| e.to_string())?;
    sqlx_raw::queries::count(conn)
        .await
        .map_err(|e| e.to_string())
}

/// The hero one test adds.
fn hero(n: usize) -> [NewHero; 1] {
    [NewHero::named(format!("testing-{n}"), "bench-testing")]
}

/// Runs one test of `strategy` with `krate`'s calls; fails when the count
/// is not what the test added (the isolation leaked).
async fn one_test(dbs: &Databases, strategy: &str, krate: &str, n: usize) -> BenchResult<()> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let count = match (strategy, krate) {
        (TRANSACTION, "sync-diesel") => {
            let url = dbs.shared.clone();
            tokio::task::spawn_blocking(move || -> BenchResult<i64> {
                let mut conn = diesel::PgConnection::establish(&url).map_err(|e| text(&e))?;
                conn.begin_test_transaction().map_err(|e| text(&e))?;
                sync_diesel::queries::add_all(&mut conn, &hero(n)).map_err(|e| text(&e))?;
                sync_diesel::queries::count(&mut conn).map_err(|e| text(&e))
            })
            .await
            .map_err(|e| text(&e))??
        }
        (TRANSACTION, "async-diesel") => {
            let mut conn = diesel_async::AsyncPgConnection::establish(&dbs.shared)
                .await
                .map_err(|e| text(&e))?;
            conn.begin_test_transaction().await.map_err(|e| text(&e))?;
            async_diesel::queries::add_all(&mut conn, &hero(n))
                .await
                .map_err(|e| text(&e))?;
            async_diesel::queries::count(&mut conn)
                .await
                .map_err(|e| text(&e))?
        }
        (POOLED, "sqlx-raw") => {
            let pool = dbs
                .pool
                .get_or_try_init(|| sqlx::PgPool::connect(&dbs.shared))
                .await
                .map_err(|e| text(&e))?;
            let mut tx = pool.begin().await.map_err(|e| text(&e))?;
            let count = add_and_count(&mut tx, n).await?;
            drop(tx); // ROLLBACK, and the connection goes back to the pool
            count
        }
        (TRANSACTION, "sqlx-raw") => {
            let mut conn = sqlx::PgConnection::connect(&dbs.shared)
                .await
                .map_err(|e| text(&e))?;
            let mut tx = conn.begin().await.map_err(|e| text(&e))?;
            let count = add_and_count(&mut tx, n).await?;
            drop(tx); // ROLLBACK
            conn.close().await.map_err(|e| text(&e))?;
            count
        }
        (TRANSACTION, "seaorm-migrate") => {
            let db = sea_orm::Database::connect(&dbs.shared)
                .await
                .map_err(|e| text(&e))?;
            let txn = db.begin().await.map_err(|e| text(&e))?;
            seaorm_migrate::queries::add_all(&txn, &hero(n))
                .await
                .map_err(|e| text(&e))?;
            let count = seaorm_migrate::queries::count(&txn)
                .await
                .map_err(|e| text(&e))?;
            drop(txn); // ROLLBACK
            db.close().await.map_err(|e| text(&e))?;
            i64::try_from(count).map_err(|e| text(&e))?
        }
        (TRUNCATE, "sqlx-raw") => {
            let mut conn = sqlx::PgConnection::connect(&dbs.shared)
                .await
                .map_err(|e| text(&e))?;
            empty(&mut conn).await?;
            let count = add_and_count(&mut conn, n).await?;
            conn.close().await.map_err(|e| text(&e))?;
            count
        }
        (TEMPLATE | MIGRATED, "sqlx-raw") => own_database(dbs, strategy == TEMPLATE, n).await?,
        _ => return Err(format!("no test for {strategy} with {krate}")),
    };
    if count == 1 {
        Ok(())
    } else {
        Err(format!(
            "{strategy} ({krate}): the test counted {count} heroes, not its own 1"
        ))
    }
}

/// A database of the test's own: cloned from the template, or created and
/// migrated with sqlx-raw's migrator; dropped after the test.
async fn own_database(dbs: &Databases, from_template: bool, n: usize) -> BenchResult<i64> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let name = format!("bench_test_{}_{n}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&dbs.maintenance)
        .await
        .map_err(|e| text(&e))?;
    let create = if from_template {
        format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
            dbs.template_name
        )
    } else {
        format!("CREATE DATABASE \"{name}\"")
    };
    // The name is ours (a number and our process id), not input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut admin)
        .await
        .map_err(|e| text(&e))?;
    let url = dbs.url_for(&name)?;
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .map_err(|e| text(&e))?;
    if !from_template {
        sqlx_raw::migrate::MIGRATOR
            .run_direct(None, &mut conn, false)
            .await
            .map_err(|e| text(&e))?;
    }
    let count = add_and_count(&mut conn, n).await?;
    conn.close().await.map_err(|e| text(&e))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .map_err(|e| text(&e))?;
    let _ = admin.close().await;
    Ok(count)
}
