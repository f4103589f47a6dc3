//! The routes, written once: each handler validates its input, runs the
//! store's query in the request's [`Session`], commits, and shapes the
//! answer. The same handlers serve all four crates; only `S` changes.
//!
//! A handler whose whole unit of work is one statement (the four reads of
//! `/heroes`) takes its connection with `db.autocommit()`: no `BEGIN`, no
//! `COMMIT`, one round trip. A handler that writes (`db.write()`) or reads
//! with several statements (`db.tx()`) runs them in one transaction.
//!
//! | route | the study's Python | store call |
//! |---|---|---|
//! | `GET /heroes/{id}` | `await db.get(HeroModel, hero_id)` | [`HeroStore::get_hero`] |
//! | `GET /heroes/by-name/{name}` | `(await db.execute(select(...).where(...))).scalar_one_or_none()` | [`HeroStore::hero_by_name`] |
//! | `GET /heroes/by-public-id/{public_id}` | the same, on `public_id` | [`HeroStore::hero_by_public_id`] |
//! | `GET /heroes` | `select(...)` + a `.where()` per filter given, `.scalars().all()` | [`HeroStore::list_heroes`] |
//! | `GET /heroes/export` | `await db.stream_scalars(select(...))` | [`HeroStore::export_heroes`] |
//! | `GET /heroes/count` | `await db.scalar(select(func.count())...)` | [`HeroStore::count_heroes`] |
//! | `POST /heroes` | `db.add_all([...]); await db.commit()` | [`HeroStore::add_heroes`] |
//! | `PATCH /heroes/{id}` | `hero.age = ...; await db.commit()` | [`HeroStore::update_hero`] |
//! | `DELETE /heroes/{id}` | `await db.delete(hero); await db.commit()` | [`HeroStore::delete_hero`] |
//! | `POST /teams` | `db.add(team); await db.commit()` | [`HeroStore::add_team`] |
//! | `GET /teams?include=heroes` | `select(TeamModel).options(selectinload(TeamModel.heroes))` | [`HeroStore::teams_with_heroes`] |
//! | `GET /teams/{id}/heroes` | `select(HeroModel).where(HeroModel.team_id == team_id)` | [`HeroStore::get_team`], [`HeroStore::list_heroes`] |
//!
//! A hero is served with every column ([`HeroOut`](crate::types::HeroOut)), PostgreSQL's own types
//! included: the enum's label, the array, the JSON object, the UUID, and the
//! salary as a decimal string. The export and a team's nested heroes carry
//! the study's columns ([`HeroBrief`](crate::types::HeroBrief)). On `POST /heroes`, revision 3's
//! columns given are set on the new rows in the same transaction.

use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;

use crate::export::ExportSlots;
use crate::problem::PROBLEM_JSON;
use crate::schema::{
    Age, HeroesIn, Id, Include, Json as JsonValue, Limit, Name, Offset, OrderBy, Powers,
    ProfileDoc, Salary, Text,
};
use crate::session::CommitSent;
use crate::types::{
    Count, ExportParams, Health, HeroBrief, HeroIn, HeroOut, HeroPatch, ListParams, MAX_BATCH,
    OneOrMany, Rank, TeamIn, TeamOut, TeamsParams, path_id,
};
use crate::{HeroStore, PoolStatus, Problem, Session, StoreError};
use heroes_model::HeroSearch;
use uuid::Uuid;

/// Largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long `/readyz` waits for the database.
pub const READY_DEADLINE: Duration = Duration::from_secs(1);

/// How long an export may stream when no other deadline is given.
pub const EXPORT_DEADLINE: Duration = Duration::from_secs(300);

/// The two deadlines a server enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// Each request's, until its response begins (`TimeoutLayer`).
    pub request: Duration,
    /// How long `/heroes/export` may stream its body after that.
    pub export: Duration,
}

impl From<Duration> for Deadlines {
    /// `request`, with exports allowed [`EXPORT_DEADLINE`].
    fn from(request: Duration) -> Self {
        Self {
            request,
            export: EXPORT_DEADLINE,
        }
    }
}

/// The API for store `S`: every route, with one log line per request
/// (tower-http `TraceLayer`), a deadline per request (`TimeoutLayer`, 503
/// when it passes; 500 "outcome unknown" once a write's commit was sent), a
/// 1 MiB body limit, and problem+json for every error, including the ones
/// axum and tower-http produce themselves.
pub fn router<S: HeroStore>(store: S, deadlines: impl Into<Deadlines>) -> Router {
    let deadlines = deadlines.into();
    let deadline = deadlines.request;
    let slots = ExportSlots::for_pool(store.max_connections());
    Router::new()
        .route("/heroes", get(list_heroes::<S>).post(create_heroes::<S>))
        .route("/heroes/count", get(count_heroes::<S>))
        .route("/heroes/export", get(export_heroes::<S>))
        .route("/heroes/by-name/{name}", get(hero_by_name::<S>))
        .route(
            "/heroes/by-public-id/{public_id}",
            get(hero_by_public_id::<S>),
        )
        .route(
            "/heroes/{id}",
            get(get_hero::<S>)
                .patch(update_hero::<S>)
                .delete(delete_hero::<S>),
        )
        .route("/teams", get(list_teams::<S>).post(create_team::<S>))
        .route("/teams/{id}/heroes", get(team_heroes::<S>))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route("/openapi.json", get(openapi_json))
        .fallback(no_such_route)
        .layer(Extension(slots))
        .layer(Extension(deadlines))
        // Layers wrap what is above them: the body limit and the deadline
        // apply to the handlers, bare error responses are then given a
        // problem body, and the trace sees the final status.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        ))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .with_state(store)
}

/// The OpenAPI 3.1 document, generated from the handlers' annotations and
/// the types' derives (utoipa).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Heroes API",
        description = "The study's heroes, served by each example crate: the same contract four ways."
    ),
    paths(
        get_hero, hero_by_name, hero_by_public_id, list_heroes, export_heroes, count_heroes, create_heroes,
        update_hero, delete_hero, list_teams, create_team, team_heroes, healthz, readyz
    ),
    components(schemas(
        HeroOut, HeroBrief, Rank, HeroIn, HeroPatch, TeamIn, TeamOut, Count, Health, PoolStatus, Problem,
        Name, Text, Powers, Salary, Id, Age, Limit, Offset, OrderBy, Include, JsonValue, ProfileDoc,
        HeroesIn, OneOrMany<HeroOut>
    ))
)]
pub struct ApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ---------------------------------------------------------------------------
// Extractors whose failures are problem documents.

/// `axum::Json`, but a bad body is a [`Problem`]: 415 without a JSON
/// content type, 413 over the body limit, 400 for malformed JSON, 422 for
/// JSON of the wrong shape (naming the field).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, St: Send + Sync> FromRequest<St> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &St) -> Result<Self, Problem> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON, with Content-Type: application/json",
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    status,
                    format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                Problem::new(status, rejection.body_text())
            }
        })?;
        parse_json(&body).map(ApiJson)
    }
}

/// [`ApiJson`] for a body that must be one JSON object (a hero's changes, a
/// team): serde would also read a struct from an array of its fields in
/// order, which no client means.
pub struct ApiObject<T>(pub T);

impl<T: DeserializeOwned, St: Send + Sync> FromRequest<St> for ApiObject<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &St) -> Result<Self, Problem> {
        let ApiJson(body) = ApiJson::<serde_json::Value>::from_request(req, state).await?;
        object("", body).map(ApiObject)
    }
}

/// Reads `value` as `T` when it is a JSON object; `at` locates it in the body
/// (`[2]` for the third hero of a batch). Anything else is a 422.
fn object<T: DeserializeOwned>(at: &str, value: serde_json::Value) -> Result<T, Problem> {
    if !value.is_object() {
        let at = if at.is_empty() { "the body" } else { at };
        return Err(Problem::unprocessable(format!(
            "{at} must be a JSON object, not {}",
            match value {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            }
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| shape_error(at, e))
}

/// Parses `body` as `T`: syntax errors are 400, shape errors 422 with the path
/// of the offending field (e.g. `age: invalid type: string "x", expected i32`).
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let syntax =
        |e: serde_json::Error| Problem::bad_request(format!("the body is not valid JSON: {e}"));
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            deserializer.end().map_err(syntax)?;
            Ok(value)
        }
        Err(err) if err.inner().is_data() => Err(shape_error("", err)),
        Err(err) => Err(syntax(err.into_inner())),
    }
}

/// A 422 for JSON of the wrong shape, naming where: `prefix` locates the
/// value in the body (`[2]` for the third hero of a batch).
fn shape_error(prefix: &str, err: serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = err.path().to_string();
    let at = match (prefix.is_empty(), path == ".") {
        (true, true) => String::new(),
        (true, false) => format!("{path}: "),
        (false, true) => format!("{prefix}: "),
        (false, false) => format!("{prefix}.{path}: "),
    };
    Problem::unprocessable(format!("{at}{}", err.into_inner()))
}

/// `axum::extract::Path`, but an id that is not a number (or too large for
/// one) is a 400 [`Problem`].
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, St: Send + Sync> FromRequestParts<St> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|rejection| Problem::bad_request(rejection.body_text()))
    }
}

/// `axum::extract::Query`, but a bad query string is a 400 [`Problem`].
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, St: Send + Sync> FromRequestParts<St> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|rejection| Problem::bad_request(rejection.body_text()))
    }
}

// ---------------------------------------------------------------------------
// Handlers.

/// `hero = await db.get(HeroModel, hero_id)`.
#[utoipa::path(get, path = "/heroes/{id}", tag = "heroes",
    params(("id" = Id, Path, description = "The hero's id (1 or more)")),
    responses(
        (status = 200, description = "The hero", body = HeroOut),
        (status = 404, description = "No such hero", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
        (status = 400, description = "The id is not a number, or too large for one", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The id is below 1", body = Problem, content_type = PROBLEM_JSON),
    ))]
// ANCHOR: get_hero
async fn get_hero<S: HeroStore>(
    ApiPath(id): ApiPath<i64>,
    mut db: Session<S>,
) -> Result<Json<HeroOut>, Problem> {
    let id = path_id("id", id)?;
    let hero = S::get_hero(db.autocommit().await?, id).await?;
    let hero = hero.ok_or_else(|| Problem::not_found(format!("no hero has id {id}")))?;
    Ok(Json(hero.into()))
}
// ANCHOR_END: get_hero

/// `select(HeroModel).where(HeroModel.name == name)` + `scalar_one_or_none()`.
#[utoipa::path(get, path = "/heroes/by-name/{name}", tag = "heroes",
    params(("name" = Text, Path, description = "The exact name, percent-encoded")),
    responses(
        (status = 200, description = "The hero", body = HeroOut),
        (status = 404, description = "No hero has that name", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The name cannot exist (NUL, too long)", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn hero_by_name<S: HeroStore>(
    ApiPath(name): ApiPath<String>,
    mut db: Session<S>,
) -> Result<Json<HeroOut>, Problem> {
    let name = crate::types::text("name", name).map_err(Problem::unprocessable)?;
    let hero = S::hero_by_name(db.autocommit().await?, &name).await?;
    let hero = hero.ok_or_else(|| Problem::not_found(format!("no hero is named '{name}'")))?;
    Ok(Json(hero.into()))
}

/// `select(HeroModel).where(HeroModel.public_id == public_id)`: a hero by the
/// id it shows the world.
#[utoipa::path(get, path = "/heroes/by-public-id/{public_id}", tag = "heroes",
    params(("public_id" = Uuid, Path, description = "The hero's public_id")),
    responses(
        (status = 200, description = "The hero", body = HeroOut),
        (status = 400, description = "Not a UUID", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No hero has that public_id", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn hero_by_public_id<S: HeroStore>(
    ApiPath(public_id): ApiPath<Uuid>,
    mut db: Session<S>,
) -> Result<Json<HeroOut>, Problem> {
    let hero = S::hero_by_public_id(db.autocommit().await?, public_id).await?;
    let hero =
        hero.ok_or_else(|| Problem::not_found(format!("no hero has public_id {public_id}")))?;
    Ok(Json(hero.into()))
}

/// `select(HeroModel)` with a `.where()` for each filter given, then
/// `.order_by()`, `.limit()`, `.offset()` and `scalars().all()`.
#[utoipa::path(get, path = "/heroes", tag = "heroes",
    params(ListParams),
    responses(
        (status = 200, description = "One page of the matching heroes, in the order asked", body = Vec<HeroOut>),
        (status = 400, description = "A query parameter is not a number, or is unknown", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "A value is out of range, rank is not a rank, or order_by is not id, name or age", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn list_heroes<S: HeroStore>(
    ApiQuery(params): ApiQuery<ListParams>,
    mut db: Session<S>,
) -> Result<Json<Vec<HeroOut>>, Problem> {
    let search = params.validate().map_err(Problem::unprocessable)?;
    let heroes = S::list_heroes(db.autocommit().await?, &search).await?;
    Ok(Json(heroes.into_iter().map(HeroOut::from).collect()))
}

/// `await db.stream_scalars(select(HeroModel).where(...))`, written out as
/// NDJSON while it is read (see [`crate::export`]).
#[utoipa::path(get, path = "/heroes/export", tag = "heroes",
    params(ExportParams),
    responses(
        (status = 200, description = "Every matching hero, one JSON object per line, in id order", body = HeroBrief, content_type = "application/x-ndjson"),
        (status = 400, description = "A query parameter is not a number, or is unknown", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "A value is out of range", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "Too many exports are running, or the database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn export_heroes<S: HeroStore>(
    State(store): State<S>,
    Extension(slots): Extension<ExportSlots>,
    Extension(deadlines): Extension<Deadlines>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, Problem> {
    let search = params.validate().map_err(Problem::unprocessable)?;
    let slot = slots.try_take().ok_or_else(|| {
        Problem::unavailable(format!(
            "{} exports are running, as many as this server streams at once; try again later",
            slots.count()
        ))
    })?;
    let (out, mut rows) = tokio::sync::mpsc::channel(crate::export::BUFFER_ROWS);
    tokio::spawn(async move {
        store.export_heroes(search, out).await;
        drop(slot);
    });
    // Wait for the first row (or the end, or a failure) before answering,
    // so that a pool time-out or a lost database is still a 503.
    let first = rows.recv().await;
    if let Some(Err(err)) = first {
        return Err(err.into());
    }
    let body = crate::export::body(first, rows, deadlines.export);
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// `await db.scalar(select(func.count()).select_from(HeroModel))`.
#[utoipa::path(get, path = "/heroes/count", tag = "heroes",
    responses(
        (status = 200, description = "How many heroes there are", body = Count),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn count_heroes<S: HeroStore>(mut db: Session<S>) -> Result<Json<Count>, Problem> {
    let count = S::count_heroes(db.autocommit().await?).await?;
    Ok(Json(Count { count }))
}

/// `db.add_all([...])` + `await db.commit()`: one hero or an array, stored all
/// or nothing.
#[utoipa::path(post, path = "/heroes", tag = "heroes",
    request_body(content = HeroesIn, description = "One hero, or an array of 1 to 1000"),
    responses(
        (status = 201, description = "The stored heroes, in the shape sent", body = OneOrMany<HeroOut>),
        (status = 409, description = "A name is taken, or team_id names no team; nothing was stored", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The body is over 1 MiB", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = PROBLEM_JSON),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn create_heroes<S: HeroStore>(
    mut db: Session<S>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<OneOrMany<HeroOut>>), Problem> {
    // One or many is decided by the JSON itself, so that a mistake is
    // reported against the field it is in, not as "matched no variant".
    let (input, many) = match body {
        serde_json::Value::Array(items) => (items, true),
        one => (vec![one], false),
    };
    if input.is_empty() || input.len() > MAX_BATCH {
        return Err(Problem::unprocessable(format!(
            "send from 1 to {MAX_BATCH} heroes, not {}",
            input.len()
        )));
    }
    let mut rows = Vec::with_capacity(input.len());
    let mut typed = Vec::with_capacity(input.len());
    for (i, item) in input.into_iter().enumerate() {
        let at = if many {
            format!("[{i}]")
        } else {
            String::new()
        };
        let hero: HeroIn = object(&at, item)?;
        let (row, types) = hero
            .validate(S::APP_SRC)
            .map_err(|e| Problem::unprocessable(if many { format!("{at}: {e}") } else { e }))?;
        rows.push(row);
        typed.push(types);
    }
    let tx = db.write().await?;
    let mut saved = S::add_heroes(tx, rows).await?;
    // Revision 3's columns, where given, in the same transaction: the rows
    // were inserted with the columns' defaults and are locked until commit.
    for (hero, types) in saved.iter_mut().zip(typed) {
        if let Some(types) = types {
            let updated = S::update_hero(tx, hero.hero.id, types).await?;
            *hero = updated.ok_or_else(|| {
                Problem::from(StoreError::Internal("an inserted hero was gone".into()))
            })?;
        }
    }
    db.commit().await?;
    let mut saved: Vec<HeroOut> = saved.into_iter().map(HeroOut::from).collect();
    let body = match (many, saved.pop()) {
        (false, Some(one)) if saved.is_empty() => OneOrMany::One(one),
        (_, last) => {
            saved.extend(last);
            OneOrMany::Many(saved)
        }
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `hero.age = ...` + `await db.commit()`: sets the fields given.
#[utoipa::path(patch, path = "/heroes/{id}", tag = "heroes",
    params(("id" = Id, Path, description = "The hero's id")),
    request_body = HeroPatch,
    responses(
        (status = 200, description = "The updated hero", body = HeroOut),
        (status = 404, description = "No such hero", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "The new name is taken, or team_id names no team", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "A field breaks a rule, or the id is below 1", body = Problem, content_type = PROBLEM_JSON),
        (status = 400, description = "The body is not valid JSON, or the id is not a number", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The body is over 1 MiB", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn update_hero<S: HeroStore>(
    ApiPath(id): ApiPath<i64>,
    mut db: Session<S>,
    ApiObject(patch): ApiObject<HeroPatch>,
) -> Result<Json<HeroOut>, Problem> {
    let id = path_id("id", id)?;
    let changes = patch.validate().map_err(Problem::unprocessable)?;
    let tx = db.write().await?;
    let hero = if changes.is_empty() {
        S::get_hero(tx, id).await?
    } else {
        S::update_hero(tx, id, changes).await?
    };
    db.commit().await?;
    let hero = hero.ok_or_else(|| Problem::not_found(format!("no hero has id {id}")))?;
    Ok(Json(hero.into()))
}

/// `await db.delete(hero)` + `await db.commit()`.
#[utoipa::path(delete, path = "/heroes/{id}", tag = "heroes",
    params(("id" = Id, Path, description = "The hero's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such hero", body = Problem, content_type = PROBLEM_JSON),
        (status = 400, description = "The id is not a number, or too large for one", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The id is below 1", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn delete_hero<S: HeroStore>(
    ApiPath(id): ApiPath<i64>,
    mut db: Session<S>,
) -> Result<StatusCode, Problem> {
    let id = path_id("id", id)?;
    let deleted = S::delete_hero(db.write().await?, id).await?;
    db.commit().await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found(format!("no hero has id {id}")))
    }
}

/// Every team; with `include=heroes`, each with its heroes:
/// `select(TeamModel).options(selectinload(TeamModel.heroes))`.
#[utoipa::path(get, path = "/teams", tag = "teams",
    params(TeamsParams),
    responses(
        (status = 200, description = "Every team in id order, with its heroes if asked", body = Vec<TeamOut>),
        (status = 400, description = "An unknown query parameter", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "include is not 'heroes'", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn list_teams<S: HeroStore>(
    ApiQuery(params): ApiQuery<TeamsParams>,
    mut db: Session<S>,
) -> Result<Json<Vec<TeamOut>>, Problem> {
    let include_heroes = params.include_heroes().map_err(Problem::unprocessable)?;
    let tx = db.tx().await?;
    let teams: Vec<TeamOut> = if include_heroes {
        let teams = S::teams_with_heroes(tx).await?;
        teams.into_iter().map(TeamOut::from).collect()
    } else {
        let teams = S::list_teams(tx).await?;
        teams.into_iter().map(TeamOut::from).collect()
    };
    db.commit().await?;
    Ok(Json(teams))
}

/// `db.add(team)` + `await db.commit()`.
#[utoipa::path(post, path = "/teams", tag = "teams",
    request_body = TeamIn,
    responses(
        (status = 201, description = "The stored team", body = TeamOut),
        (status = 409, description = "The name is taken", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = PROBLEM_JSON),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The body is over 1 MiB", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn create_team<S: HeroStore>(
    mut db: Session<S>,
    ApiObject(team): ApiObject<TeamIn>,
) -> Result<(StatusCode, Json<TeamOut>), Problem> {
    let team = team.validate().map_err(Problem::unprocessable)?;
    let saved = S::add_team(db.write().await?, team).await?;
    db.commit().await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// The join: a team's heroes, in id order.
#[utoipa::path(get, path = "/teams/{id}/heroes", tag = "teams",
    params(("id" = Id, Path, description = "The team's id")),
    responses(
        (status = 200, description = "The team's heroes", body = Vec<HeroOut>),
        (status = 404, description = "No such team", body = Problem, content_type = PROBLEM_JSON),
        (status = 400, description = "The id is not a number, or too large for one", body = Problem, content_type = PROBLEM_JSON),
        (status = 422, description = "The id is below 1", body = Problem, content_type = PROBLEM_JSON),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn team_heroes<S: HeroStore>(
    ApiPath(id): ApiPath<i64>,
    mut db: Session<S>,
) -> Result<Json<Vec<HeroOut>>, Problem> {
    let id = path_id("id", id)?;
    let tx = db.tx().await?;
    if S::get_team(tx, id).await?.is_none() {
        return Err(Problem::not_found(format!("no team has id {id}")));
    }
    let search = HeroSearch {
        team_id: Some(id),
        ..HeroSearch::default()
    };
    let heroes = S::list_heroes(tx, &search).await?;
    db.commit().await?;
    Ok(Json(heroes.into_iter().map(HeroOut::from).collect()))
}

/// The process is up (it answers HTTP); says nothing about the database.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        pool: None,
    })
}

/// The database answered within 1 s; reports the pool.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database did not answer in time", body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn readyz<S: HeroStore>(State(store): State<S>) -> Result<Json<Health>, Problem> {
    match tokio::time::timeout(READY_DEADLINE, store.ping()).await {
        Ok(Ok(pool)) => Ok(Json(Health {
            status: "ready".to_owned(),
            pool: Some(pool),
        })),
        Ok(Err(err)) => Err(Problem::unavailable(format!("not ready: {err}"))),
        Err(_) => Err(Problem::unavailable(format!(
            "not ready: the database did not answer within {} ms",
            READY_DEADLINE.as_millis()
        ))),
    }
}

async fn no_such_route() -> Problem {
    Problem::not_found("no such route; GET /openapi.json lists them")
}

/// Gives a problem body to error responses that were made without one: a
/// 405 from the router, the 503 of the request deadline. The deadline's
/// answer depends on how far the request got: until a write sends its
/// `COMMIT`, dropping the session rolls everything back and 503 "nothing was
/// saved" is true; once it is sent, the transaction may commit all the same
/// (a commit waiting for a synchronous standby through a failover does), so
/// the answer is a 500 that says its outcome is unknown, the one a lost
/// commit answer gets (`crate::outcome`), not a 503 over a saved write.
async fn problem_for_bare_errors(mut request: Request, next: Next) -> Response {
    let commit_sent = CommitSent::default();
    request.extensions_mut().insert(commit_sent.clone());
    let response = next.run(request).await;
    let status = response.status();
    let has_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || has_problem {
        return response;
    }
    let (status, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            (status, "this route does not take that method".to_owned())
        }
        StatusCode::SERVICE_UNAVAILABLE if commit_sent.is_sent() => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request's deadline passed while its commit was on its way, so whether it took effect was still unknown; look before you retry".to_owned(),
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            status,
            "the request did not finish within its deadline; nothing of it was saved".to_owned(),
        ),
        other => (other, other.canonical_reason().unwrap_or("error").to_owned()),
    };
    let mut problem = Problem::new(status, detail).into_response();
    // Keep what the original response said about allowed methods.
    if let Some(allow) = response.headers().get(header::ALLOW) {
        problem.headers_mut().insert(header::ALLOW, allow.clone());
    }
    problem
}
