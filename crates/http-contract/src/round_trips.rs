//! What each request costs on the wire: a read whose whole unit of work is
//! one statement sends that statement alone (no `BEGIN`, no `COMMIT`), and a
//! write still runs in a transaction. Counted by the proxy of
//! [`crate::statements`] between the server and PostgreSQL.

use std::time::Duration;

use serde_json::json;

use crate::checks::{get, post};
use crate::statements::{Statements, proxy, through};
use crate::{Check, Contender, PoolConfig, TestServer, test_database};

const DEADLINE: Duration = Duration::from_secs(10);

/// Requests of each kind sent back to back.
const REQUESTS: u64 = 20;

/// Sends `REQUESTS` GETs of `path`, waits for the pool's own traffic after
/// them (sqlx pings a connection as it comes back), and returns what was
/// sent: the statements, the round trips that ran them, and the pings.
async fn measure(
    server: &TestServer,
    seen: &Statements,
    path: &str,
) -> Result<(Vec<String>, (u64, u64)), String> {
    seen.take();
    seen.take_round_trips();
    for _ in 0..REQUESTS {
        get(server, path).await?.expect(200, path)?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok((seen.take(), seen.take_round_trips()))
}

/// The four reads of `/heroes` send one statement each, outside any
/// transaction, in one round trip (beside which a pool may ping: sqlx as a
/// connection comes back, every pool before one that sat idle; and sqlx
/// looks a user-defined type up once on each connection); `POST
/// /heroes` still sends `BEGIN` and `COMMIT` around its insert.
pub async fn reads<C: Contender>() -> Check {
    let db = test_database(&format!("trips_{}", C::NAME.replace('-', "_"))).await?;
    let (_, upstream) = through(db.url(), 0)?;
    let (port, seen) = proxy(upstream).await?;
    let (proxied, _) = through(db.url(), port)?;
    let store = C::connect(&proxied, PoolConfig::default()).await?;
    let server = TestServer::start(store, DEADLINE).await?;

    let hero = post(&server, "/heroes", &json!({ "name": "Counted", "age": 30 }))
        .await?
        .expect(201, "POST /heroes")?
        .body;
    let id = hero["id"].as_i64().ok_or("a hero without an id")?;
    let paths = [
        format!("/heroes/{id}"),
        "/heroes/by-name/Counted".to_owned(),
        "/heroes?name_contains=Count".to_owned(),
        "/heroes/count".to_owned(),
    ];
    // The first use of each query may look up types or prepare it.
    for path in &paths {
        get(&server, path).await?.expect(200, path)?;
    }
    let mut summary = Vec::new();
    for path in &paths {
        let (mut sent, (trips, pings)) = measure(&server, &seen, path).await?;
        // sqlx asks `pg_type` about a type it meets for the first time on a
        // connection (here `hero_rank`, a user-defined enum) and caches the
        // answer on that connection: once per connection, not per request.
        let lookups = sent.len();
        sent.retain(|sql| {
            !sql.contains("FROM pg_catalog.pg_type") && !sql.contains("JOIN pg_catalog.pg_type")
        });
        let lookups = (lookups - sent.len()) as u64;
        let on_tables = sent.iter().filter(|sql| sql.contains("heroes")).count();
        if sent.len() as u64 != REQUESTS || on_tables as u64 != REQUESTS {
            return Err(format!(
                "{REQUESTS} × GET {path}: expected {REQUESTS} statements, one per request and \
                 none of them BEGIN or COMMIT; got {}: {sent:#?}",
                sent.len()
            ));
        }
        if trips != REQUESTS + lookups {
            return Err(format!(
                "{REQUESTS} × GET {path}: {trips} round trips ran statements, expected {REQUESTS} \
                 (and {lookups} type lookups)"
            ));
        }
        summary.push(format!(
            "GET {path}: {} statement and {} round trip per request, {pings} pings and \
             {lookups} type lookups in {REQUESTS}",
            sent.len() as u64 / REQUESTS,
            (trips - lookups) / REQUESTS
        ));
    }

    seen.take();
    post(&server, "/heroes", &json!({ "name": "Counted too" }))
        .await?
        .expect(201, "POST /heroes")?;
    let sent = seen.take();
    let first = sent.first().map(|s| s.trim().to_uppercase());
    let last = sent.last().map(|s| s.trim().to_uppercase());
    if first.as_deref() != Some("BEGIN") || last.as_deref() != Some("COMMIT") {
        return Err(format!(
            "POST /heroes: expected BEGIN … COMMIT around the insert, got {sent:#?}"
        ));
    }
    summary.push(format!("POST /heroes: {} statements", sent.len()));
    eprintln!("{}: {}", C::NAME, summary.join("; "));
    server.stop().await
}
