//! The contract's checks. Each starts its own server on its own database,
//! so they run in parallel; each returns what was wrong instead of panicking,
//! so a failure names the crate and the request.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use heroes_api::HeroStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use conformance::harness::ScratchCluster;

use crate::{Check, Contender, PoolConfig, TestServer, test_database};

/// The request deadline the checks run with (the servers' default is 10 s).
const DEADLINE: Duration = Duration::from_secs(10);

/// A response, read whole: status, content type, `Retry-After`, body.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// `Content-Type`, if any.
    pub content_type: String,
    /// `Retry-After`, if any.
    pub retry_after: Option<String>,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
}

impl Reply {
    /// `Err` unless the status is `expected`.
    pub fn expect(self, expected: u16, what: &str) -> Result<Self, String> {
        if self.status.as_u16() == expected {
            Ok(self)
        } else {
            Err(format!(
                "{what}: expected {expected}, got {} {}",
                self.status, self.body
            ))
        }
    }

    /// `Err` unless this is an RFC 9457 problem with `expected` status and a
    /// detail that contains `detail_part`.
    pub fn expect_problem(
        self,
        expected: u16,
        detail_part: &str,
        what: &str,
    ) -> Result<Self, String> {
        let reply = self.expect(expected, what)?;
        if reply.content_type != heroes_api::problem::PROBLEM_JSON {
            return Err(format!(
                "{what}: content type {:?}, not problem+json",
                reply.content_type
            ));
        }
        let body = &reply.body;
        let detail = body["detail"].as_str().unwrap_or_default();
        if body["status"] != json!(expected) || body["title"].as_str().is_none_or(str::is_empty) {
            return Err(format!("{what}: not a problem document: {body}"));
        }
        if !detail.contains(detail_part) {
            return Err(format!(
                "{what}: detail {detail:?} does not mention {detail_part:?}"
            ));
        }
        Ok(reply)
    }
}

/// Sends one request; `body` is sent as JSON when given.
pub async fn send(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Reply, String> {
    let mut request = server.client.request(method.clone(), server.url(path));
    if let Some(body) = body {
        request = request.json(body);
    }
    read(request, &format!("{method} {path}")).await
}

/// Sends a prepared request and reads the reply.
pub async fn read(request: reqwest::RequestBuilder, what: &str) -> Result<Reply, String> {
    let response = request.send().await.map_err(|e| format!("{what}: {e}"))?;
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
    let retry_after = header(reqwest::header::RETRY_AFTER);
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| format!("{what}: {e}"))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        content_type,
        retry_after,
        body,
    })
}

pub(crate) async fn get(server: &TestServer, path: &str) -> Result<Reply, String> {
    send(server, Method::GET, path, None).await
}

pub(crate) async fn post(server: &TestServer, path: &str, body: &Value) -> Result<Reply, String> {
    send(server, Method::POST, path, Some(body)).await
}

/// An independent look at the database: its own connection, not the crate's.
pub(crate) async fn observer(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("observer: {e}"))?;
    tokio::spawn(connection);
    Ok(client)
}

async fn hero_count(db: &tokio_postgres::Client) -> Result<i64, String> {
    db.query_one("SELECT count(*) FROM heroes", &[])
        .await
        .map(|row| row.get(0))
        .map_err(|e| format!("observer: {e}"))
}

async fn hero_names(db: &tokio_postgres::Client) -> Result<BTreeSet<String>, String> {
    let rows = db
        .query("SELECT name FROM heroes", &[])
        .await
        .map_err(|e| format!("observer: {e}"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// A server for `C` on a fresh database, with the given pool.
pub(crate) async fn start<C: Contender>(
    pool: PoolConfig,
) -> Result<(devdb::TestDatabase, TestServer), String> {
    let db = test_database(&format!("http_{}", C::NAME.replace('-', "_"))).await?;
    let store = C::connect(db.url(), pool).await?;
    let server = TestServer::start(store, DEADLINE).await?;
    Ok((db, server))
}

/// The twelve columns of `heroes`, no more, no fewer: how the API serves a
/// hero.
pub(crate) fn check_hero_shape(hero: &Value, what: &str) -> Check {
    check_keys(hero, &HERO_KEYS, what)
}

/// The study's seven columns: how the export streams a hero and a team nests
/// one.
pub(crate) fn check_brief_shape(hero: &Value, what: &str) -> Check {
    check_keys(hero, &HERO_KEYS[..7], what)
}

const HERO_KEYS: [&str; 12] = [
    "id",
    "name",
    "secret_name",
    "age",
    "app_src",
    "created_at",
    "team_id",
    "rank",
    "powers",
    "profile",
    "public_id",
    "salary",
];

fn check_keys(hero: &Value, keys: &[&str], what: &str) -> Check {
    let found: BTreeSet<&str> = hero
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let expected: BTreeSet<&str> = keys.iter().copied().collect();
    if found == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: a hero has keys {found:?}, expected {expected:?}"
        ))
    }
}

/// Every endpoint on its happy path, and its 404.
pub async fn endpoints<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;

    let health = get(&server, "/healthz")
        .await?
        .expect(200, "GET /healthz")?;
    if health.body["status"] != "ok" {
        return Err(format!("GET /healthz: {}", health.body));
    }
    let ready = get(&server, "/readyz").await?.expect(200, "GET /readyz")?;
    if ready.body["pool"]["max_size"] != json!(8)
        || ready.body["pool"]["size"].as_u64().is_none_or(|n| n < 1)
    {
        return Err(format!("GET /readyz: pool not reported: {}", ready.body));
    }

    // POST /teams, then one hero and a batch; app_src comes from the server.
    let team = post(
        &server,
        "/teams",
        &json!({"name": "Krusty Krab Crew", "headquarters": "Bikini Bottom"}),
    )
    .await?
    .expect(201, "POST /teams")?
    .body;
    let team_id = team["id"].as_i64().ok_or("POST /teams: no id")?;
    let one = post(&server, "/heroes", &json!({"name": "spongebob", "secret_name": "SpongeBob SquarePants", "age": 22, "team_id": team_id}))
        .await?
        .expect(201, "POST /heroes (one)")?
        .body;
    check_hero_shape(&one, "POST /heroes (one)")?;
    if one["app_src"] != C::NAME || one["team_id"] != json!(team_id) {
        return Err(format!("POST /heroes (one): {one}"));
    }
    let awkward = "Dr. \"O'Brien\" 🦀 — ñ";
    let many = post(&server, "/heroes", &json!([{"name": "sandy", "age": 25}, {"name": "patrick", "team_id": team_id}, {"name": awkward}]))
        .await?
        .expect(201, "POST /heroes (array)")?
        .body;
    let names: Vec<&str> = many
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["name"].as_str()).collect())
        .unwrap_or_default();
    if names != ["sandy", "patrick", awkward] {
        return Err(format!("POST /heroes (array): returned {many}"));
    }
    if hero_count(&observe).await? != 4 {
        return Err("after 4 heroes were created the table does not hold 4".into());
    }

    // Reads.
    let id = one["id"].as_i64().ok_or("no id")?;
    let got = get(&server, &format!("/heroes/{id}"))
        .await?
        .expect(200, "GET /heroes/{id}")?;
    if got.body != one {
        return Err(format!(
            "GET /heroes/{id}: {} differs from the created {one}",
            got.body
        ));
    }
    get(&server, "/heroes/999999")
        .await?
        .expect_problem(404, "999999", "GET /heroes/999999")?;
    let encoded: String = awkward.bytes().map(|b| format!("%{b:02X}")).collect();
    let by_name = get(&server, &format!("/heroes/by-name/{encoded}"))
        .await?
        .expect(200, "GET /heroes/by-name")?;
    if by_name.body["name"] != awkward {
        return Err(format!("GET /heroes/by-name: {}", by_name.body));
    }
    get(&server, "/heroes/by-name/nobody")
        .await?
        .expect_problem(404, "nobody", "GET /heroes/by-name/nobody")?;
    let count = get(&server, "/heroes/count")
        .await?
        .expect(200, "GET /heroes/count")?;
    if count.body != json!({"count": 4}) {
        return Err(format!("GET /heroes/count: {}", count.body));
    }
    let all = get(&server, "/heroes")
        .await?
        .expect(200, "GET /heroes")?
        .body;
    let ids: Vec<i64> = all
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["id"].as_i64()).collect())
        .unwrap_or_default();
    if ids.len() != 4 || !ids.windows(2).all(|w| w[0] < w[1]) {
        return Err(format!("GET /heroes: not 4 heroes in id order: {ids:?}"));
    }
    let page = get(
        &server,
        &format!("/heroes?app_src={}&limit=2&offset=1", C::NAME),
    )
    .await?
    .expect(200, "GET /heroes?limit=2&offset=1")?
    .body;
    let page_ids: Vec<i64> = page
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["id"].as_i64()).collect())
        .unwrap_or_default();
    if page_ids != ids[1..3] {
        return Err(format!(
            "GET /heroes?limit=2&offset=1: {page_ids:?}, expected {:?}",
            &ids[1..3]
        ));
    }
    let none = get(&server, "/heroes?app_src=someone-else")
        .await?
        .expect(200, "GET /heroes?app_src=someone-else")?;
    if none.body != json!([]) {
        return Err(format!("GET /heroes?app_src=someone-else: {}", none.body));
    }

    // The join.
    let members = get(&server, &format!("/teams/{team_id}/heroes"))
        .await?
        .expect(200, "GET /teams/{id}/heroes")?
        .body;
    let member_names: Vec<&str> = members
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["name"].as_str()).collect())
        .unwrap_or_default();
    if member_names != ["spongebob", "patrick"] {
        return Err(format!("GET /teams/{team_id}/heroes: {member_names:?}"));
    }
    get(&server, "/teams/999999/heroes").await?.expect_problem(
        404,
        "999999",
        "GET /teams/999999/heroes",
    )?;

    // PATCH: set one field, clear another, leave the rest.
    let patched = send(
        &server,
        Method::PATCH,
        &format!("/heroes/{id}"),
        Some(&json!({"age": 23, "secret_name": null})),
    )
    .await?
    .expect(200, "PATCH /heroes/{id}")?
    .body;
    if patched["age"] != 23
        || !patched["secret_name"].is_null()
        || patched["name"] != "spongebob"
        || patched["team_id"] != json!(team_id)
    {
        return Err(format!("PATCH /heroes/{id}: {patched}"));
    }
    send(
        &server,
        Method::PATCH,
        "/heroes/999999",
        Some(&json!({"age": 1})),
    )
    .await?
    .expect_problem(404, "999999", "PATCH /heroes/999999")?;
    send(
        &server,
        Method::PATCH,
        &format!("/heroes/{id}"),
        Some(&json!({"name": "sandy"})),
    )
    .await?
    .expect_problem(409, "sandy", "PATCH to a taken name")?;

    // DELETE, twice.
    let deleted = send(&server, Method::DELETE, &format!("/heroes/{id}"), None)
        .await?
        .expect(204, "DELETE /heroes/{id}")?;
    if !deleted.body.is_null() {
        return Err(format!("DELETE: a 204 with a body: {}", deleted.body));
    }
    send(&server, Method::DELETE, &format!("/heroes/{id}"), None)
        .await?
        .expect_problem(404, "no hero", "DELETE again")?;
    if hero_count(&observe).await? != 3 {
        return Err("after a DELETE the table does not hold 3 heroes".into());
    }
    server.stop().await
}

/// Every kind of bad input gets a 4xx problem with a detail, and nothing
/// reaches the database.
pub async fn bad_input<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;
    let raw = |method: Method, path: &str, content_type: &str, body: Vec<u8>| {
        server
            .client
            .request(method, server.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
    };
    let json_body = "application/json";
    let cases: Vec<(reqwest::RequestBuilder, u16, &str, &str)> = vec![
        (
            raw(Method::POST, "/heroes", json_body, b"{\"name\": ".to_vec()),
            400,
            "not valid JSON",
            "malformed JSON",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                b"{\"name\": \"a\"} trailing".to_vec(),
            ),
            400,
            "not valid JSON",
            "trailing characters",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": 5}"#.to_vec(),
            ),
            422,
            "name",
            "a number for a name",
        ),
        (
            raw(Method::PATCH, "/heroes/1", json_body, b"[]".to_vec()),
            422,
            "must be a JSON object",
            "an array for a hero's changes",
        ),
        (
            raw(
                Method::POST,
                "/teams",
                json_body,
                br#"["Treedome"]"#.to_vec(),
            ),
            422,
            "must be a JSON object",
            "a team as an array of its fields",
        ),
        (
            raw(Method::POST, "/heroes", json_body, br#"[["a"]]"#.to_vec()),
            422,
            "[0] must be a JSON object",
            "a hero as an array of its fields",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"[{"name": "ok"}, {"name": "x", "age": "old"}]"#.to_vec(),
            ),
            422,
            "[1].age",
            "a string for an age, in a batch",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "x", "power": "flight"}"#.to_vec(),
            ),
            422,
            "power",
            "an unknown field",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "x", "app_src": "me"}"#.to_vec(),
            ),
            422,
            "app_src",
            "app_src is the server's",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"secret_name": "x"}"#.to_vec(),
            ),
            422,
            "name",
            "a missing name",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": ""}"#.to_vec(),
            ),
            422,
            "empty",
            "an empty name",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "   "}"#.to_vec(),
            ),
            422,
            "empty",
            "a blank name",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                format!(r#"{{"name": "{}"}}"#, "n".repeat(201)).into_bytes(),
            ),
            422,
            "201 characters",
            "an over-long name",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "nul\u0000byte"}"#.to_vec(),
            ),
            422,
            "NUL",
            "a NUL character",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "x", "age": -1}"#.to_vec(),
            ),
            422,
            "age",
            "a negative age",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "x", "age": 99999999999}"#.to_vec(),
            ),
            422,
            "age",
            "an age beyond i32",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                br#"{"name": "x", "team_id": 0}"#.to_vec(),
            ),
            422,
            "team_id",
            "team_id 0",
        ),
        (
            raw(Method::POST, "/heroes", json_body, b"[]".to_vec()),
            422,
            "from 1 to 1000",
            "an empty batch",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                serde_json::to_vec(&vec![json!({"name": "x"}); 1001]).unwrap_or_default(),
            ),
            422,
            "from 1 to 1000",
            "a batch of 1001",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                json_body,
                vec![b' '; 1024 * 1024 + 1],
            ),
            413,
            "larger than",
            "a body over 1 MiB",
        ),
        (
            raw(
                Method::POST,
                "/heroes",
                "text/plain",
                br#"{"name": "x"}"#.to_vec(),
            ),
            415,
            "application/json",
            "not JSON",
        ),
        (
            raw(
                Method::POST,
                "/teams",
                json_body,
                br#"{"name": ""}"#.to_vec(),
            ),
            422,
            "empty",
            "an empty team name",
        ),
        (
            raw(
                Method::PATCH,
                "/heroes/1",
                json_body,
                br#"{"name": null}"#.to_vec(),
            ),
            422,
            "null",
            "a null name",
        ),
        (
            raw(
                Method::PATCH,
                "/heroes/1",
                json_body,
                br#"{"age": -5}"#.to_vec(),
            ),
            422,
            "age",
            "a negative age in a patch",
        ),
        (
            raw(
                Method::PATCH,
                "/heroes/1",
                json_body,
                br#"{"nickname": "x"}"#.to_vec(),
            ),
            422,
            "nickname",
            "an unknown field in a patch",
        ),
        (
            server.client.get(server.url("/heroes/abc")),
            400,
            "abc",
            "a non-numeric id",
        ),
        (
            server
                .client
                .get(server.url("/heroes/99999999999999999999")),
            400,
            "99999999999999999999",
            "an id beyond i64",
        ),
        (
            server.client.get(server.url("/heroes/0")),
            422,
            "1 or more",
            "id 0",
        ),
        (
            server.client.get(server.url("/heroes/-3")),
            422,
            "1 or more",
            "a negative id",
        ),
        (
            server.client.delete(server.url("/heroes/0")),
            422,
            "1 or more",
            "DELETE id 0",
        ),
        (
            server.client.get(server.url("/teams/0/heroes")),
            422,
            "1 or more",
            "team id 0",
        ),
        (
            server.client.get(server.url("/heroes?limit=0")),
            422,
            "limit",
            "limit 0",
        ),
        (
            server.client.get(server.url("/heroes?limit=1001")),
            422,
            "limit",
            "limit 1001",
        ),
        (
            server.client.get(server.url("/heroes?offset=-1")),
            422,
            "offset",
            "a negative offset",
        ),
        (
            server.client.get(server.url("/heroes?limit=ten")),
            400,
            "limit",
            "a non-numeric limit",
        ),
        (
            server.client.get(server.url("/heroes?lmit=10")),
            400,
            "lmit",
            "an unknown query parameter",
        ),
        (
            server
                .client
                .get(server.url(&format!("/heroes/by-name/{}", "n".repeat(201)))),
            422,
            "201 characters",
            "an over-long name in the path",
        ),
        (
            server.client.get(server.url("/heroes/by-name/a%00b")),
            422,
            "NUL",
            "a NUL in the path",
        ),
        (
            server.client.get(server.url("/nowhere")),
            404,
            "no such route",
            "an unknown route",
        ),
        (
            server.client.put(server.url("/heroes/1")),
            405,
            "method",
            "a method the route does not take",
        ),
    ];
    for (request, status, detail, what) in cases {
        read(request, what)
            .await?
            .expect_problem(status, detail, what)?;
    }
    if hero_count(&observe).await? != 0 {
        return Err("bad input reached the database: heroes were stored".into());
    }
    // The server is still fine.
    get(&server, "/heroes/count")
        .await?
        .expect(200, "GET /heroes/count after bad input")?;
    server.stop().await
}

/// A duplicate name is 409 naming it, and nothing of the request is stored:
/// not the rows before it in the batch, nor a team-less half of a batch.
pub async fn duplicates<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;
    post(&server, "/heroes", &json!({"name": "sandy"}))
        .await?
        .expect(201, "POST sandy")?;
    post(&server, "/heroes", &json!({"name": "sandy"}))
        .await?
        .expect_problem(409, "'sandy'", "POST sandy again")?;
    post(
        &server,
        "/heroes",
        &json!([{"name": "a"}, {"name": "b"}, {"name": "sandy"}, {"name": "c"}]),
    )
    .await?
    .expect_problem(409, "'sandy'", "a batch ending in a taken name")?;
    post(
        &server,
        "/heroes",
        &json!([{"name": "twin"}, {"name": "twin"}]),
    )
    .await?
    .expect_problem(409, "'twin'", "a batch with the same name twice")?;
    post(
        &server,
        "/heroes",
        &json!([{"name": "d"}, {"name": "e", "team_id": 424242}]),
    )
    .await?
    .expect_problem(409, "team_id", "a batch naming a missing team")?;
    post(&server, "/teams", &json!({"name": "Treedome"}))
        .await?
        .expect(201, "POST team")?;
    post(&server, "/teams", &json!({"name": "Treedome"}))
        .await?
        .expect_problem(409, "'Treedome'", "POST the team again")?;
    let names = hero_names(&observe).await?;
    if names != BTreeSet::from(["sandy".to_owned()]) {
        return Err(format!("failed requests left rows behind: {names:?}"));
    }
    server.stop().await
}

/// Overlapping batches posted at once: each is stored whole or not at all,
/// and no reader ever sees part of one.
pub async fn overlapping_batches<C: Contender>() -> Check {
    const BATCHES: usize = 12;
    const OWN: usize = 8;
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;
    // Batch i: eight names of its own, plus `shared-i` and `shared-(i+1)`,
    // so neighbours collide on one name.
    let batch = |i: usize| -> Vec<String> {
        let mut names: Vec<String> = (0..OWN).map(|k| format!("b{i}-{k}")).collect();
        names.push(format!("shared-{i}"));
        names.push(format!("shared-{}", i + 1));
        names
    };
    let server = std::sync::Arc::new(server);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Readers: every snapshot must hold each batch's own names all or none.
    let reader = {
        let (server, done) = (server.clone(), done.clone());
        tokio::spawn(async move {
            let mut snapshots = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || snapshots == 0 {
                let reply = get(&server, "/heroes?limit=1000")
                    .await?
                    .expect(200, "GET /heroes while writing")?;
                let seen: BTreeSet<String> = reply
                    .body
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|h| h["name"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                for i in 0..BATCHES {
                    let own = (0..OWN)
                        .filter(|k| seen.contains(&format!("b{i}-{k}")))
                        .count();
                    if own != 0 && own != OWN {
                        return Err(format!(
                            "a reader saw {own} of batch {i}'s {OWN} rows: a partial batch"
                        ));
                    }
                }
                snapshots += 1;
            }
            Ok::<usize, String>(snapshots)
        })
    };
    let writers: Vec<_> = (0..BATCHES)
        .map(|i| {
            let server = server.clone();
            let body = json!(
                batch(i)
                    .iter()
                    .map(|n| json!({"name": n}))
                    .collect::<Vec<_>>()
            );
            tokio::spawn(async move { post(&server, "/heroes", &body).await.map(|r| (i, r)) })
        })
        .collect();
    let mut stored = BTreeSet::new();
    let mut created = 0;
    for writer in writers {
        let (i, reply) = writer.await.map_err(|e| e.to_string())??;
        match reply.status.as_u16() {
            201 => {
                created += 1;
                stored.extend(batch(i));
            }
            409 => {
                reply.expect_problem(409, "shared-", &format!("batch {i}"))?;
            }
            other => {
                return Err(format!(
                    "batch {i}: expected 201 or 409, got {other} {}",
                    reply.body
                ));
            }
        }
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.await.map_err(|e| e.to_string())??;
    if created == 0 {
        return Err("no batch was stored".into());
    }
    let names = hero_names(&observe).await?;
    if names != stored {
        return Err(format!(
            "the table holds {} names, the 201s account for {}",
            names.len(),
            stored.len()
        ));
    }
    std::sync::Arc::try_unwrap(server)
        .map_err(|_| "server still shared".to_owned())?
        .stop()
        .await
}

/// With every connection held, a request gets 503 + Retry-After within the
/// pool's timeout instead of waiting for a connection forever.
pub async fn pool_exhausted<C: Contender>() -> Check {
    let timeout = Duration::from_millis(800);
    let db = test_database(&format!("http_{}", C::NAME.replace('-', "_"))).await?;
    let store = C::connect(
        db.url(),
        PoolConfig {
            max_size: 1,
            acquire_timeout: timeout,
            ..Default::default()
        },
    )
    .await?;
    let server = TestServer::start(store.clone(), DEADLINE).await?;
    // Hold the only connection, as a long request would.
    let held = store
        .begin()
        .await
        .map_err(|e| format!("holding the connection: {e}"))?;
    let began = Instant::now();
    let reply = get(&server, "/heroes/count").await?.expect_problem(
        503,
        "",
        "GET with the pool exhausted",
    )?;
    let waited = began.elapsed();
    if reply.retry_after.is_none() {
        return Err("a 503 without Retry-After".into());
    }
    if waited < timeout / 2 || waited > timeout + Duration::from_secs(3) {
        return Err(format!(
            "the 503 came after {waited:?}; the pool's timeout is {timeout:?}"
        ));
    }
    <C::Store as HeroStore>::rollback(held);
    // The connection came back: the next request succeeds.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = get(&server, "/heroes/count").await?;
        if reply.status == StatusCode::OK {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "after the connection was released: {} {}",
                reply.status, reply.body
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await
}

/// The database stops under a running server: requests get 503 with
/// Retry-After (never a hang), `/readyz` says so within its 1 s, `/healthz`
/// stays 200, and once the database is back the same server recovers.
pub async fn database_stopped<C: Contender>() -> Check {
    // A private cluster: stopping the shared one would break every other test.
    let cluster = ScratchCluster::start().await?;
    let url = cluster.database_url("heroes").await?;
    let pool = PoolConfig {
        max_size: 4,
        acquire_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let server = TestServer::start(C::connect(&url, pool).await?, DEADLINE).await?;
    post(&server, "/heroes", &json!({"name": "spongebob"}))
        .await?
        .expect(201, "POST before the stop")?;
    get(&server, "/heroes/1")
        .await?
        .expect(200, "GET before the stop")?;

    cluster.stop().await?;
    for path in ["/heroes/1", "/heroes/count"] {
        let began = Instant::now();
        let reply = get(&server, path).await?.expect_problem(
            503,
            "",
            &format!("GET {path} with the database stopped"),
        )?;
        if reply.retry_after.is_none() {
            return Err(format!("GET {path}: a 503 without Retry-After"));
        }
        let waited = began.elapsed();
        if waited > pool.acquire_timeout + Duration::from_secs(4) {
            return Err(format!(
                "GET {path}: the 503 took {waited:?} (pool timeout {:?})",
                pool.acquire_timeout
            ));
        }
    }
    post(&server, "/heroes", &json!({"name": "sandy"}))
        .await?
        .expect_problem(503, "", "POST with the database stopped")?;
    let began = Instant::now();
    get(&server, "/readyz").await?.expect_problem(
        503,
        "not ready",
        "GET /readyz with the database stopped",
    )?;
    if began.elapsed() > Duration::from_secs(3) {
        return Err(format!("GET /readyz took {:?}", began.elapsed()));
    }
    get(&server, "/healthz")
        .await?
        .expect(200, "GET /healthz with the database stopped")?;

    cluster.start_again().await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = get(&server, "/heroes/1").await?;
        if reply.status == StatusCode::OK {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no recovery 30 s after the database came back: {} {}",
                reply.status, reply.body
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    post(&server, "/heroes", &json!({"name": "sandy"}))
        .await?
        .expect(201, "POST after the restart")?;
    get(&server, "/readyz")
        .await?
        .expect(200, "GET /readyz after the restart")?;
    server.stop().await
}

/// The served OpenAPI document is the one the code generates, and says
/// OpenAPI 3.1 with every route.
pub async fn openapi<C: Contender>() -> Check {
    let (_db, server) = start::<C>(PoolConfig::default()).await?;
    let doc = get(&server, "/openapi.json")
        .await?
        .expect(200, "GET /openapi.json")?
        .body;
    let generated = serde_json::to_value(<heroes_api::ApiDoc as utoipa::OpenApi>::openapi())
        .map_err(|e| e.to_string())?;
    if doc != generated {
        return Err("GET /openapi.json differs from ApiDoc::openapi()".into());
    }
    if !doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1."))
    {
        return Err(format!("openapi version {}", doc["openapi"]));
    }
    for path in [
        "/heroes",
        "/heroes/{id}",
        "/heroes/by-name/{name}",
        "/heroes/by-public-id/{public_id}",
        "/heroes/count",
        "/teams",
        "/teams/{id}/heroes",
        "/heroes/export",
        "/healthz",
        "/readyz",
    ] {
        if doc["paths"][path].is_null() {
            return Err(format!("the document lacks {path}"));
        }
    }
    // PostgreSQL's own types: the enum's values in order, and the formats.
    let schemas = &doc["components"]["schemas"];
    // `HeroOut` is `HeroBrief` and revision 3's columns (`allOf`).
    let hero = schemas["HeroOut"]["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .chain([&schemas["HeroOut"]])
        .map(|part| &part["properties"])
        .find(|properties| !properties["salary"].is_null())
        .unwrap_or(&Value::Null);
    let documented = [
        (
            &schemas["Rank"]["enum"],
            json!(["rookie", "veteran", "legend"]),
        ),
        (&hero["public_id"]["format"], json!("uuid")),
        (&schemas["Salary"]["format"], json!("decimal")),
        (
            &schemas["Salary"]["pattern"],
            json!(heroes_api::schema::SALARY),
        ),
        (&schemas["Name"]["pattern"], json!(heroes_api::schema::NAME)),
        (
            &schemas["Powers"]["maxItems"],
            json!(heroes_api::types::MAX_POWERS),
        ),
    ];
    for (found, expected) in documented {
        if *found != expected {
            return Err(format!(
                "the document says {found} where {expected} was expected"
            ));
        }
    }
    server.stop().await
}

/// Requests whose clients give up mid-flight (a closed tab, a client
/// timeout, wrk stopping) must not poison the pool: right after a burst of
/// them, a request is served promptly, not after the pool's timeout.
pub async fn abandoned_requests<C: Contender>() -> Check {
    let pool = PoolConfig {
        max_size: 2,
        acquire_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let (_db, server) = start::<C>(pool).await?;
    post(&server, "/heroes", &json!({"name": "spongebob"}))
        .await?
        .expect(201, "POST")?;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(3))
        .build()
        .map_err(|e| e.to_string())?;
    let burst: Vec<_> = (0..64)
        .map(|_| {
            let request = impatient.get(server.url("/heroes/1"));
            tokio::spawn(async move { request.send().await.map(|r| r.status()) })
        })
        .collect();
    for request in burst {
        let _ = request.await;
    }
    let began = Instant::now();
    get(&server, "/heroes/1")
        .await?
        .expect(200, "GET after 64 abandoned requests")?;
    let waited = began.elapsed();
    if waited > Duration::from_secs(2) {
        return Err(format!(
            "the first request after 64 abandoned ones took {waited:?}: abandoned work held or discarded pooled connections"
        ));
    }
    server.stop().await
}
