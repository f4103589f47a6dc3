//! The contract for PostgreSQL's own types (schema revision 3): a hero's
//! `rank`, `powers`, `profile`, `public_id` and `salary` go in and come out
//! exactly, in the response and in the database; `GET /heroes` filters on
//! the rank and a power; a wrong value is a 422 naming the field, in a body
//! and in a query string; and a rank written by a newer deploy is an error
//! for that row only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::checks::{check_hero_shape, get, observer, post, send, start};
use crate::{Check, Contender, PoolConfig};

/// One value of every awkward kind (the edges of `heroes_model::types::edge_values`).
fn typed_hero() -> Value {
    json!({
        "name": "mermaid man",
        "rank": "legend",
        "powers": ["écho", "with,comma", "{brace}", "NULL", " spaced "],
        "profile": {
            "catchphrase": "¡Olé! — ñ, ü, 字",
            "weaknesses": ["", "a \"quoted\" one"],
            "nested": {"ünïcode": "日本語 🌊", "big": 9_007_199_254_740_993_u64, "list": [1, null, true]},
            // PostgreSQL writes these out in full ("1797693134862315700…0"):
            // read back, each must be the same double.
            "doubles": [f64::MAX, -1.797_693_134_862_315_5e308, 5e-324, -2.225_073_858_507_203e-309, 0.1]
        },
        "salary": "9999999999.99"
    })
}

/// What the database holds for hero `id`, read as text by an observer.
async fn stored(db: &tokio_postgres::Client, id: i64) -> Result<Vec<Option<String>>, String> {
    let row = db
        .query_one(
            "SELECT rank::text, powers::text, profile::text, public_id::text, salary::text
               FROM heroes WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(|e| format!("observer: {e}"))?;
    Ok((0..5).map(|i| row.get(i)).collect())
}

/// Every typed field round-trips: POST, GET by id, by public id, the list
/// filters, PATCH, and the observer's view of the row.
pub async fn own_types<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;

    // A hero with every typed field, and one with none (the defaults).
    let sent = typed_hero();
    let made = post(&server, "/heroes", &sent)
        .await?
        .expect(201, "POST /heroes (typed)")?
        .body;
    check_hero_shape(&made, "POST /heroes (typed)")?;
    for field in ["rank", "powers", "profile", "salary"] {
        if made[field] != sent[field] {
            return Err(format!(
                "POST /heroes: {field} came back as {}, sent {}",
                made[field], sent[field]
            ));
        }
    }
    let id = made["id"].as_i64().ok_or("POST /heroes: no id")?;
    let public_id = made["public_id"].as_str().unwrap_or_default().to_owned();
    let row = stored(&observe, id).await?;
    let profile = row[2].clone().unwrap_or_default();
    if row[0].as_deref() != Some("legend")
        || row[1].as_deref() != Some(r#"{écho,"with,comma","{brace}","NULL"," spaced "}"#)
        || !profile.contains("9007199254740993")
        || row[3].as_deref() != Some(public_id.as_str())
        || row[4].as_deref() != Some("9999999999.99")
    {
        return Err(format!("the database holds {row:?} for {sent}"));
    }

    let plain = post(&server, "/heroes", &json!({"name": "barnacle boy"}))
        .await?
        .expect(201, "POST /heroes (no typed field)")?
        .body;
    let defaults = json!({"rank": "rookie", "powers": [], "profile": null, "salary": null});
    for (field, value) in defaults.as_object().into_iter().flatten() {
        if &plain[field] != value {
            return Err(format!(
                "POST /heroes without {field}: {} (expected the default {value})",
                plain[field]
            ));
        }
    }
    let plain_public = plain["public_id"].as_str().unwrap_or_default();
    if plain_public.len() != 36 || plain_public == public_id {
        return Err(format!("public_id {plain_public:?} is not a fresh UUID"));
    }

    // Reads give the same hero, by id and by public id.
    let by_id = get(&server, &format!("/heroes/{id}"))
        .await?
        .expect(200, "GET /heroes/{id}")?
        .body;
    let by_public = get(&server, &format!("/heroes/by-public-id/{public_id}"))
        .await?
        .expect(200, "GET /heroes/by-public-id/{public_id}")?
        .body;
    if by_id != made || by_public != made {
        return Err(format!(
            "reads differ from the created hero: {by_id} / {by_public} / {made}"
        ));
    }
    get(
        &server,
        "/heroes/by-public-id/00000000-0000-4000-8000-000000000000",
    )
    .await?
    .expect_problem(404, "no hero has public_id", "an unknown public_id")?;
    get(&server, "/heroes/by-public-id/not-a-uuid")
        .await?
        .expect_problem(400, "", "a public_id that is not a UUID")?;

    // The filters, alone and with the others.
    let found = |query: &'static str| {
        let server = &server;
        async move {
            let list = get(server, &format!("/heroes?{query}"))
                .await?
                .expect(200, query)?
                .body;
            let names: Vec<String> = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| h["name"].as_str().unwrap_or_default().to_owned())
                .collect();
            Ok::<_, String>(names)
        }
    };
    for (query, expected) in [
        ("rank=legend", vec!["mermaid man"]),
        ("rank=rookie", vec!["barnacle boy"]),
        ("rank=veteran", vec![]),
        ("power=NULL", vec!["mermaid man"]),
        ("power=%20spaced%20", vec!["mermaid man"]),
        ("power=spaced", vec![]),
        ("power=with,comma&rank=legend", vec!["mermaid man"]),
        ("power=with,comma&rank=rookie", vec![]),
        ("rank=rookie&name_contains=boy", vec!["barnacle boy"]),
    ] {
        let names = found(query).await?;
        if names != expected {
            return Err(format!(
                "GET /heroes?{query}: {names:?}, expected {expected:?}"
            ));
        }
    }

    // PATCH sets what it names and clears with null.
    let patched = send(
        &server,
        Method::PATCH,
        &format!("/heroes/{id}"),
        Some(&json!({"rank": "veteran", "powers": [], "profile": null, "salary": "0.10"})),
    )
    .await?
    .expect(200, "PATCH /heroes/{id} (typed)")?
    .body;
    let expected = json!({"rank": "veteran", "powers": [], "profile": null, "salary": "0.10"});
    for (field, value) in expected.as_object().into_iter().flatten() {
        if &patched[field] != value {
            return Err(format!(
                "PATCH: {field} is {} (expected {value})",
                patched[field]
            ));
        }
    }
    if patched["name"] != "mermaid man" || patched["public_id"] != made["public_id"] {
        return Err(format!("PATCH changed what it did not name: {patched}"));
    }
    let row = stored(&observe, id).await?;
    if row[0].as_deref() != Some("veteran")
        || row[1].as_deref() != Some("{}")
        || row[2].is_some()
        || row[4].as_deref() != Some("0.10")
    {
        return Err(format!("after PATCH the database holds {row:?}"));
    }
    server.stop().await
}

/// A wrong typed value is a 422 problem naming the field and what is allowed,
/// in a body (one hero, a batch, a PATCH) and in a query string; nothing is
/// stored.
pub async fn own_types_rejected<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;
    let made = post(
        &server,
        "/heroes",
        &json!({"name": "sandy", "salary": "1.00"}),
    )
    .await?
    .expect(201, "POST /heroes")?
    .body;
    let id = made["id"].as_i64().ok_or("POST /heroes: no id")?;

    let bodies = [
        (
            json!({"name": "a", "rank": "mythic"}),
            "rank",
            "an unknown rank",
        ),
        (
            json!({"name": "a", "rank": 1}),
            "rank",
            "a number for a rank",
        ),
        (
            json!({"name": "a", "powers": "karate"}),
            "powers",
            "powers not an array",
        ),
        (
            json!({"name": "a", "powers": ["karate", 7]}),
            "powers[1]",
            "a number among the powers",
        ),
        (
            json!({"name": "a", "powers": ["a\u{0}b"]}),
            "powers[0]",
            "a NUL in a power",
        ),
        (
            json!({"name": "a", "profile": "strong"}),
            "profile",
            "a profile that is not an object",
        ),
        (
            json!({"name": "a", "profile": {"catchphrase": 5}}),
            "catchphrase",
            "a number for a catchphrase",
        ),
        (
            json!({"name": "a", "profile": {"x": "a\u{0}b"}}),
            "profile",
            "a NUL in the profile",
        ),
        (
            json!({"name": "a", "salary": "12345678901"}),
            "at most 10 digits",
            "11 digits before the point",
        ),
        (
            json!({"name": "a", "salary": "0.125"}),
            "2 after",
            "3 decimals",
        ),
        (
            json!({"name": "a", "salary": 1.5}),
            "salary",
            "a salary sent as a JSON number",
        ),
        (
            json!({"name": "a", "salary": "1e3"}),
            "salary",
            "an exponent",
        ),
        (
            json!([{"name": "a"}, {"name": "b", "rank": "mythic"}]),
            "[1]",
            "an unknown rank in a batch",
        ),
    ];
    for (body, detail, what) in bodies {
        post(&server, "/heroes", &body)
            .await?
            .expect_problem(422, detail, what)?;
    }
    let patches = [
        (
            json!({"rank": null}),
            "rank cannot be null",
            "PATCH rank to null",
        ),
        (
            json!({"powers": null}),
            "powers cannot be null",
            "PATCH powers to null",
        ),
        (
            json!({"salary": "0.001"}),
            "salary",
            "PATCH an over-precise salary",
        ),
        (json!({"rank": "mythic"}), "rank", "PATCH an unknown rank"),
    ];
    for (body, detail, what) in patches {
        send(
            &server,
            Method::PATCH,
            &format!("/heroes/{id}"),
            Some(&body),
        )
        .await?
        .expect_problem(422, detail, what)?;
    }
    for (query, detail) in [
        ("rank=mythic", "rookie, veteran or legend"),
        ("rank=", "rank"),
        ("power=a%00b", "power"),
    ] {
        get(&server, &format!("/heroes?{query}"))
            .await?
            .expect_problem(422, detail, query)?;
    }

    let count: i64 = observe
        .query_one("SELECT count(*) FROM heroes", &[])
        .await
        .map_err(|e| format!("observer: {e}"))?
        .get(0);
    let salary: Option<String> = observe
        .query_one("SELECT salary::text FROM heroes WHERE id = $1", &[&id])
        .await
        .map_err(|e| format!("observer: {e}"))?
        .get(0);
    if count != 1 || salary.as_deref() != Some("1.00") {
        return Err(format!(
            "after rejected requests: {count} heroes, salary {salary:?} (expected 1, 1.00)"
        ));
    }
    server.stop().await
}

/// A newer deploy has added a rank (`ALTER TYPE hero_rank ADD VALUE
/// 'mythic'`) and written a hero with it while this server runs. The server
/// answers a problem naming the value for that row, keeps serving every
/// other row, and its pool stays whole.
pub async fn newer_enum_value<C: Contender>() -> Check {
    let (db, server) = start::<C>(PoolConfig::default()).await?;
    let observe = observer(db.url()).await?;
    let known = post(
        &server,
        "/heroes",
        &json!({"name": "sandy", "rank": "legend"}),
    )
    .await?
    .expect(201, "POST /heroes")?
    .body;
    let known_id = known["id"].as_i64().ok_or("POST /heroes: no id")?;
    // Warm every pooled connection up first, as a running server's are.
    for _ in 0..16 {
        get(&server, &format!("/heroes/{known_id}"))
            .await?
            .expect(200, "GET a known hero")?;
    }
    observe
        .batch_execute("ALTER TYPE hero_rank ADD VALUE 'mythic'")
        .await
        .map_err(|e| format!("observer: {e}"))?;
    let mythic: i64 = observe
        .query_one(
            "INSERT INTO heroes (name, app_src, rank) VALUES ('kraken', 'newer deploy', 'mythic')
             RETURNING id",
            &[],
        )
        .await
        .map_err(|e| format!("observer: {e}"))?
        .get(0);

    let reply = get(&server, &format!("/heroes/{mythic}")).await?;
    let detail = reply.body["detail"].as_str().unwrap_or_default().to_owned();
    let reply = reply.expect_problem(500, "mythic", "GET the mythic hero")?;
    if reply.retry_after.is_some() {
        return Err(format!("the mythic hero's 500 says to retry: {detail}"));
    }
    get(&server, "/heroes?rank=legend")
        .await?
        .expect(200, "GET /heroes?rank=legend (no mythic row)")?;
    get(&server, "/heroes").await?.expect_problem(
        500,
        "mythic",
        "GET /heroes (a page holding the mythic row)",
    )?;
    for _ in 0..16 {
        get(&server, &format!("/heroes/{known_id}"))
            .await?
            .expect(200, "GET a known hero after the mythic row")?;
    }
    let ready = get(&server, "/readyz").await?.expect(200, "GET /readyz")?;
    if ready.body["status"] != "ready" {
        return Err(format!("GET /readyz after the mythic row: {}", ready.body));
    }
    server.stop().await
}
