//! The contract for what lies beyond the study: `GET /teams?include=heroes`
//! (related rows in at most two statements), the filters of `GET /heroes`
//! (validated, and always bound, never spliced), and `GET /heroes/export`
//! (streamed, and harmless to abandon).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use heroes_api::HeroStore;

use crate::checks::{get, observer, post, read, start};
use crate::statements::{proxy, through, touching_tables};
use crate::{Check, Contender, PoolConfig, TestServer, test_database};

const DEADLINE: Duration = Duration::from_secs(10);

/// A seeded hero: name, age, team.
type Seeded = (&'static str, Option<i32>, Option<i64>);
/// A query string, as pairs.
type Query = Vec<(&'static str, String)>;

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|h| h["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /teams` and `GET /teams?include=heroes`: every team in id order,
/// each with its heroes in id order (an empty list for a team without), in
/// at most two statements for twelve teams, counted on the wire by a proxy
/// between the server and PostgreSQL.
pub async fn relations<C: Contender>() -> Check {
    let db = test_database(&format!("http_{}", C::NAME.replace('-', "_"))).await?;
    let (_, upstream) = through(db.url(), 0)?;
    let (port, seen) = proxy(upstream).await?;
    let (proxied, _) = through(db.url(), port)?;
    let store = C::connect(&proxied, PoolConfig::default()).await?;
    let server = TestServer::start(store, DEADLINE).await?;

    let mut expected: BTreeMap<i64, (String, Vec<String>)> = BTreeMap::new();
    let mut heroes = Vec::new();
    for t in 0..12 {
        let name = format!("team {t:02}");
        let team = post(&server, "/teams", &json!({ "name": name }))
            .await?
            .expect(201, "POST /teams")?
            .body;
        let id = team["id"].as_i64().ok_or("a team without an id")?;
        // Team t has t % 3 heroes: a third of the teams have none.
        let members: Vec<String> = (0..t % 3).map(|h| format!("hero {t:02}.{h}")).collect();
        for member in &members {
            heroes.push(json!({ "name": member, "team_id": id }));
        }
        expected.insert(id, (name, members));
    }
    heroes.push(json!({ "name": "no team at all" }));
    post(&server, "/heroes", &Value::Array(heroes))
        .await?
        .expect(201, "POST /heroes")?;

    let plain = get(&server, "/teams")
        .await?
        .expect(200, "GET /teams")?
        .body;
    let plain = plain.as_array().ok_or("GET /teams: not an array")?;
    if plain.len() != 12 || plain.iter().any(|t| !t["heroes"].is_null()) {
        return Err(format!(
            "GET /teams: expected 12 teams without heroes, got {plain:?}"
        ));
    }

    // The first request may look up types or prepare; count a later one.
    get(&server, "/teams?include=heroes")
        .await?
        .expect(200, "GET /teams?include=heroes")?;
    seen.take();
    let nested = get(&server, "/teams?include=heroes")
        .await?
        .expect(200, "GET /teams?include=heroes")?
        .body;
    let sent = seen.take();
    let statements = touching_tables(&sent);
    if statements.is_empty() || statements.len() > 2 {
        return Err(format!(
            "GET /teams?include=heroes sent {} statements on the tables for 12 teams \
             (at most 2 allowed): {statements:#?}",
            statements.len()
        ));
    }
    let got: BTreeMap<i64, (String, Vec<String>)> = nested
        .as_array()
        .ok_or("GET /teams?include=heroes: not an array")?
        .iter()
        .map(|t| {
            let id = t["id"].as_i64().unwrap_or_default();
            let name = t["name"].as_str().unwrap_or_default().to_owned();
            (id, (name, names(&t["heroes"])))
        })
        .collect();
    if got != expected {
        return Err(format!(
            "GET /teams?include=heroes: expected {expected:?}, got {got:?}"
        ));
    }
    let ids: Vec<i64> = nested
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["id"].as_i64()).collect())
        .unwrap_or_default();
    if !ids.is_sorted() {
        return Err(format!("teams not in id order: {ids:?}"));
    }
    get(&server, "/teams?include=villains")
        .await?
        .expect_problem(422, "include", "GET /teams?include=villains")?;
    get(&server, "/teams?with=heroes").await?.expect_problem(
        400,
        "with",
        "GET /teams?with=heroes",
    )?;
    server.stop().await
}

/// The filters of `GET /heroes`: each alone and together, each order, bad
/// values named in a 4xx, and hostile text matched literally, never run.
pub async fn filters<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let witness = observer(db.url()).await?;
    let team = |name: &'static str| {
        let server = &server;
        async move {
            post(server, "/teams", &json!({ "name": name }))
                .await?
                .expect(201, "POST /teams")
                .map(|r| r.body["id"].as_i64().unwrap_or_default())
        }
    };
    let (red, blue) = (team("red").await?, team("blue").await?);
    // (name, age, team)
    let seed: [Seeded; 10] = [
        ("Alpha", Some(30), Some(red)),
        ("alphabet soup", Some(12), Some(blue)),
        ("Beta", None, Some(red)),
        ("100% Hero", Some(45), None),
        ("under_score", Some(30), Some(blue)),
        ("back\\slash", Some(7), Some(red)),
        ("O'Brien", Some(61), None),
        ("Robert'); DROP TABLE heroes;--", None, Some(blue)),
        ("Zoë", Some(19), Some(red)),
        ("plain", Some(30), None),
    ];
    let body: Vec<Value> = seed
        .iter()
        .map(|(name, age, team)| json!({ "name": name, "age": age, "team_id": team }))
        .collect();
    post(&server, "/heroes", &Value::Array(body))
        .await?
        .expect(201, "POST /heroes")?;

    let list = |query: Query| {
        let server = &server;
        async move {
            let what = format!("GET /heroes?{query:?}");
            let request = server.client.get(server.url("/heroes")).query(&query);
            read(request, &what).await
        }
    };
    let matching = |keep: &dyn Fn(&Seeded) -> bool| -> Vec<String> {
        seed.iter()
            .filter(|h| keep(h))
            .map(|h| h.0.to_owned())
            .collect()
    };
    let cases: Vec<(Query, Vec<String>)> = vec![
        (
            vec![("name_contains", "ALPHA".into())],
            matching(&|h| h.0.to_lowercase().contains("alpha")),
        ),
        (
            vec![("min_age", "30".into())],
            matching(&|h| h.1.is_some_and(|a| a >= 30)),
        ),
        (
            vec![("max_age", "19".into())],
            matching(&|h| h.1.is_some_and(|a| a <= 19)),
        ),
        (
            vec![
                ("min_age", "12".into()),
                ("max_age", "30".into()),
                ("team_id", red.to_string()),
            ],
            matching(&|h| h.1.is_some_and(|a| (12..=30).contains(&a)) && h.2 == Some(red)),
        ),
        (
            vec![("team_id", blue.to_string())],
            matching(&|h| h.2 == Some(blue)),
        ),
        (vec![("team_id", "999999".into())], vec![]),
        // A minimum above the maximum is no error: no hero is that old and young.
        (
            vec![("min_age", "50".into()), ("max_age", "10".into())],
            vec![],
        ),
        (
            vec![
                ("min_age", "30".into()),
                ("limit", "2".into()),
                ("offset", "1".into()),
            ],
            matching(&|h| h.1.is_some_and(|a| a >= 30))
                .into_iter()
                .skip(1)
                .take(2)
                .collect(),
        ),
    ];
    for (query, want) in cases {
        let got = names(&list(query.clone()).await?.expect(200, "GET /heroes")?.body);
        if got != want {
            return Err(format!(
                "GET /heroes?{query:?}: expected {want:?}, got {got:?}"
            ));
        }
    }
    // Hostile text is a value like any other: it matches itself, literally.
    for hostile in [
        "%",
        "_",
        "'",
        "\\",
        "'); DROP TABLE heroes;--",
        "\"",
        "ë",
        "%'--",
    ] {
        let got = names(
            &list(vec![("name_contains", hostile.into())])
                .await?
                .expect(200, "GET /heroes with hostile text")?
                .body,
        );
        let want = matching(&|h| h.0.to_lowercase().contains(&hostile.to_lowercase()));
        if got != want {
            return Err(format!(
                "name_contains={hostile:?}: expected {want:?}, got {got:?}"
            ));
        }
    }
    let count: i64 = witness
        .query_one("SELECT count(*) FROM heroes", &[])
        .await
        .map_err(|e| format!("observer: {e}"))?
        .get(0);
    if count != 10 {
        return Err(format!(
            "after the hostile filters, heroes has {count} rows, not 10"
        ));
    }
    // Orders: as PostgreSQL sorts (its collation decides names), ties by id.
    for (order_by, sql) in [
        ("name", "ORDER BY name, id"),
        ("-name", "ORDER BY name DESC, id"),
        ("age", "ORDER BY age, id"),
        ("-age", "ORDER BY age DESC, id"),
        ("-id", "ORDER BY id DESC"),
    ] {
        let want: Vec<String> = witness
            .query(&format!("SELECT name FROM heroes {sql}"), &[])
            .await
            .map_err(|e| format!("observer: {e}"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let got = names(
            &list(vec![("order_by", order_by.into())])
                .await?
                .expect(200, "GET /heroes?order_by")?
                .body,
        );
        if got != want {
            return Err(format!(
                "order_by={order_by}: expected {want:?}, got {got:?}"
            ));
        }
    }
    // Bad values: a 4xx that names the parameter.
    for (query, status, names_it) in [
        ("min_age=abc", 400, "min_age"),
        ("max_age=1.5", 400, "max_age"),
        ("team_id=x", 400, "team_id"),
        ("colour=red", 400, "colour"),
        ("min_age=-1", 422, "min_age"),
        ("team_id=0", 422, "team_id"),
        ("order_by=secret_name", 422, "order_by"),
        ("order_by=--age", 422, "order_by"),
        ("name_contains=a%00b", 422, "name_contains"),
    ] {
        get(&server, &format!("/heroes?{query}"))
            .await?
            .expect_problem(status, names_it, &format!("GET /heroes?{query}"))?;
    }
    server.stop().await
}

/// Inserts `rows` heroes named `hero N` with ages `N % 90`, on the
/// observer's connection.
async fn many_heroes(url: &str, rows: i64) -> Check {
    observer(url)
        .await?
        .execute(
            "INSERT INTO heroes (name, age, app_src)
             SELECT 'hero ' || g, g % 90, 'observer' FROM generate_series(1, $1::int8) g",
            &[&rows],
        )
        .await
        .map(drop)
        .map_err(|e| format!("observer: {e}"))
}

/// `GET /heroes/export`: NDJSON of every matching hero in id order, the
/// filters applied, an empty export empty, bad values refused.
pub async fn export<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    many_heroes(db.url(), 3_000).await?;
    let response = server
        .client
        .get(server.url("/heroes/export"))
        .send()
        .await
        .map_err(|e| format!("GET /heroes/export: {e}"))?;
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if response.status() != StatusCode::OK || content_type != "application/x-ndjson" {
        return Err(format!(
            "GET /heroes/export: {} {content_type:?}",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("GET /heroes/export: {e}"))?;
    let mut ids = Vec::new();
    for line in text.lines() {
        let hero: Value = serde_json::from_str(line)
            .map_err(|e| format!("GET /heroes/export: a line is not JSON ({e}): {line:?}"))?;
        crate::checks::check_brief_shape(&hero, "GET /heroes/export")?;
        ids.push(hero["id"].as_i64().unwrap_or_default());
    }
    if ids.len() != 3_000 || !ids.is_sorted() || !text.ends_with('\n') {
        return Err(format!(
            "GET /heroes/export: {} lines (expected 3000), in id order: {}",
            ids.len(),
            ids.is_sorted()
        ));
    }
    let lines = |query: &'static str| {
        let server = &server;
        async move {
            let response = server
                .client
                .get(server.url(&format!("/heroes/export?{query}")))
                .send()
                .await
                .map_err(|e| format!("GET /heroes/export?{query}: {e}"))?;
            let status = response.status();
            let text = response.text().await.map_err(|e| e.to_string())?;
            if status != StatusCode::OK {
                return Err(format!("GET /heroes/export?{query}: {status} {text}"));
            }
            Ok::<usize, String>(text.lines().count())
        }
    };
    // Ages are N % 90: 80..=89 is 10 of every 90 heroes.
    let old = lines("min_age=80").await?;
    let want = (1..=3_000).filter(|n| n % 90 >= 80).count();
    if old != want {
        return Err(format!("export?min_age=80: {old} lines, expected {want}"));
    }
    let none = lines("name_contains=nobody").await?;
    if none != 0 {
        return Err(format!("an export that matches nothing gave {none} lines"));
    }
    get(&server, "/heroes/export?min_age=-1")
        .await?
        .expect_problem(422, "min_age", "export?min_age=-1")?;
    get(&server, "/heroes/export?order_by=name")
        .await?
        .expect_problem(400, "order_by", "export?order_by=name")?;
    server.stop().await
}

/// Exports do not starve the pool, and one abandoned mid-stream stops at
/// once: with a pool of 4 (so one export slot), an export of 1,000,000 rows
/// that the client stops reading leaves the other requests served, a second
/// export is refused with 503, and once the client hangs up, PostgreSQL
/// stops sending (a proxy counts its bytes: far fewer than the unread rest),
/// its query is gone, and the pool's four connections are all ready.
pub async fn export_abandoned<C: Contender>() -> Check {
    let pool = PoolConfig {
        max_size: 4,
        acquire_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let db = test_database(&format!("http_{}", C::NAME.replace('-', "_"))).await?;
    let (_, upstream) = through(db.url(), 0)?;
    let (port, wire) = proxy(upstream).await?;
    let (proxied, _) = through(db.url(), port)?;
    let store = C::connect(&proxied, pool).await?;
    let server = TestServer::start(store.clone(), DEADLINE).await?;
    let rows = 1_000_000;
    many_heroes(db.url(), rows).await?;
    let witness = observer(db.url()).await?;
    let mut held = server
        .client
        .get(server.url("/heroes/export"))
        .send()
        .await
        .map_err(|e| format!("GET /heroes/export: {e}"))?;
    held.chunk()
        .await
        .map_err(|e| format!("reading the export's first chunk: {e}"))?
        .ok_or("the export ended before its first chunk")?;
    // The export is stalled on a client that does not read.
    let began = Instant::now();
    get(&server, "/heroes/count")
        .await?
        .expect(200, "GET /heroes/count during an export")?;
    if began.elapsed() > Duration::from_secs(2) {
        return Err(format!(
            "GET /heroes/count took {:?} while an export held its connection",
            began.elapsed()
        ));
    }
    get(&server, "/heroes/export?min_age=89")
        .await?
        .expect_problem(
            503,
            "exports",
            "a second export while the only slot is taken",
        )?;

    let exporting = "SELECT count(*) FROM pg_stat_activity
                      WHERE datname = current_database() AND pid <> pg_backend_pid()
                        AND state = 'active' AND query ILIKE '%FROM%heroes%'";
    let active: i64 = witness
        .query_one(exporting, &[])
        .await
        .map_err(|e| format!("observer: {e}"))?
        .get(0);
    if active != 1 {
        return Err(format!(
            "while the export streams, {active} queries run, not 1"
        ));
    }
    let before = wire.bytes_from_postgres();
    drop(held);
    let hung_up = Instant::now();
    loop {
        let active: i64 = witness
            .query_one(exporting, &[])
            .await
            .map_err(|e| format!("observer: {e}"))?
            .get(0);
        if active == 0 {
            break;
        }
        if hung_up.elapsed() > Duration::from_secs(5) {
            return Err(format!(
                "5 s after the client hung up, {active} export queries still run"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What was in flight (socket buffers) may still arrive; the unread rest
    // of a million rows (some 60 MB) must not.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = wire.bytes_from_postgres() - before;
    if after > 16 << 20 {
        return Err(format!(
            "after the client hung up, PostgreSQL still sent {} MiB of the abandoned export",
            after >> 20
        ));
    }
    // The pool is whole: all four connections at once, each ready at once
    // (a connection handed back with rows unread would first read them all).
    let began = Instant::now();
    let mut all = Vec::new();
    for _ in 0..4 {
        let tx = <C::Store as HeroStore>::begin(&store)
            .await
            .map_err(|e| format!("taking every connection after the hang-up: {e}"))?;
        all.push(tx);
    }
    let took = began.elapsed();
    all.into_iter().for_each(<C::Store as HeroStore>::rollback);
    if took > Duration::from_secs(2) {
        return Err(format!(
            "taking the pool's 4 connections after the hang-up took {took:?}"
        ));
    }
    // The slot is free again and the pool's connections all work.
    let response = server
        .client
        .get(server.url("/heroes/export?min_age=89"))
        .send()
        .await
        .map_err(|e| format!("the export after: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    let want = (1..=rows).filter(|n| n % 90 == 89).count();
    if status != StatusCode::OK || text.lines().count() != want {
        return Err(format!(
            "the export after the hang-up: {status}, {} lines, expected {want}",
            text.lines().count()
        ));
    }
    for _ in 0..8 {
        get(&server, "/heroes/count")
            .await?
            .expect(200, "GET /heroes/count after")?;
    }
    server.stop().await
}
