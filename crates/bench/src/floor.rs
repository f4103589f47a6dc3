//! The floor of the HTTP section: `GET /heroes/{id}` and `POST /heroes`
//! written by hand in axum over tokio-postgres, the shape of TechEmpower's
//! Rust entries. It answers the same JSON as the crates' servers (the
//! hero's twelve fields, the salary as a decimal string) through the tower
//! layers the servers have for tracing, the deadline and the body limit
//! (`TraceLayer`, `TimeoutLayer`, `DefaultBodyLimit`), so what a crate's
//! server costs beyond it is the library and the shared API code on top of
//! it, not axum.
//!
//! The pool: deadpool's generic `managed` pool over tokio-postgres clients
//! (a manager of a few lines below; what deadpool-postgres does, without
//! its statement cache), each connection preparing the two statements once
//! when it opens. `POOL_SIZE` sets its size, 8 unless set, as in the
//! crates. A benchmark contender, not a lesson: the heroes API the book
//! teaches is `crates/heroes-api`.
//!
//! Started by the benchmark as `bench serve-floor --database NAME --addr
//! HOST:PORT`, on a database already migrated.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, NoTls, Statement};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::contenders::BenchResult;

/// The floor's name in the report.
pub const FLOOR: &str = "axum + tokio-postgres (floor)";

/// The twelve columns, in the order the crates' servers answer them; the
/// rank as text and the salary as `numeric`, decoded below.
const COLUMNS: &str = "id, name, secret_name, age, app_src, created_at, team_id, \
                       rank::text, powers, profile, public_id, salary";

/// A tokio-postgres connection with its statements prepared.
pub struct Conn {
    client: Client,
    get: Statement,
    insert: Statement,
}

/// Opens connections to one database for deadpool.
pub struct Manager {
    config: tokio_postgres::Config,
}

impl managed::Manager for Manager {
    type Type = Conn;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<Conn, tokio_postgres::Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let get = client
            .prepare(&format!("SELECT {COLUMNS} FROM heroes WHERE id = $1"))
            .await?;
        let insert = client
            .prepare(&format!(
                "INSERT INTO heroes (name, secret_name, age, app_src) \
                 SELECT n, s, a, 'floor' FROM UNNEST($1::text[], $2::text[], $3::int4[]) AS t(n, s, a) \
                 RETURNING {COLUMNS}"
            ))
            .await?;
        Ok(Conn {
            client,
            get,
            insert,
        })
    }

    async fn recycle(&self, conn: &mut Conn, _: &Metrics) -> RecycleResult<tokio_postgres::Error> {
        if conn.client.is_closed() {
            return Err(RecycleError::message("the connection is closed"));
        }
        Ok(())
    }
}

/// The pool the handlers share.
pub type Pool = managed::Pool<Manager>;

/// A hero as the crates' servers answer it.
#[derive(Serialize)]
struct HeroOut {
    id: i64,
    name: String,
    secret_name: Option<String>,
    age: Option<i32>,
    app_src: String,
    created_at: chrono::DateTime<chrono::Utc>,
    team_id: Option<i64>,
    rank: String,
    powers: Vec<String>,
    profile: Option<serde_json::Value>,
    public_id: uuid::Uuid,
    salary: Option<String>,
}

impl HeroOut {
    fn of(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        let profile: Option<tokio_postgres::types::Json<serde_json::Value>> = row.try_get(9)?;
        let salary: Option<rust_decimal::Decimal> = row.try_get(11)?;
        Ok(Self {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            secret_name: row.try_get(2)?,
            age: row.try_get(3)?,
            app_src: row.try_get(4)?,
            created_at: row.try_get(5)?,
            team_id: row.try_get(6)?,
            rank: row.try_get(7)?,
            powers: row.try_get(8)?,
            profile: profile.map(|p| p.0),
            public_id: row.try_get(10)?,
            salary: salary.map(|s| s.to_string()),
        })
    }
}

/// One hero of a `POST /heroes` body (the fields the benchmark sends).
#[derive(Deserialize)]
struct NewHero {
    name: String,
    #[serde(default)]
    secret_name: Option<String>,
    #[serde(default)]
    age: Option<i32>,
}

/// Any failure: a status and one line of text.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl From<managed::PoolError<tokio_postgres::Error>> for Failure {
    fn from(err: managed::PoolError<tokio_postgres::Error>) -> Self {
        Self(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(err: tokio_postgres::Error) -> Self {
        let status = match err.code() {
            Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, err.to_string())
    }
}

async fn get_hero(State(pool): State<Pool>, Path(id): Path<i64>) -> Result<Response, Failure> {
    let conn = pool.get().await?;
    let row = conn.client.query_opt(&conn.get, &[&id]).await?;
    drop(conn);
    Ok(match row {
        Some(row) => Json(HeroOut::of(&row)?).into_response(),
        None => (StatusCode::NOT_FOUND, "no such hero").into_response(),
    })
}

async fn add_heroes(
    State(pool): State<Pool>,
    Json(heroes): Json<Vec<NewHero>>,
) -> Result<Response, Failure> {
    if heroes.is_empty() || heroes.len() > 1000 {
        return Err(Failure(
            StatusCode::UNPROCESSABLE_ENTITY,
            "send 1 to 1000 heroes".to_owned(),
        ));
    }
    let names: Vec<&str> = heroes.iter().map(|h| h.name.as_str()).collect();
    let secrets: Vec<Option<&str>> = heroes.iter().map(|h| h.secret_name.as_deref()).collect();
    let ages: Vec<Option<i32>> = heroes.iter().map(|h| h.age).collect();
    let conn = pool.get().await?;
    // One statement: atomic without a transaction around it.
    let rows = conn
        .client
        .query(&conn.insert, &[&names, &secrets, &ages])
        .await?;
    drop(conn);
    let out = rows
        .iter()
        .map(HeroOut::of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn ready(State(pool): State<Pool>) -> Result<&'static str, Failure> {
    let conn = pool.get().await?;
    conn.client.simple_query("SELECT 1").await?;
    Ok("ready")
}

/// The floor's routes over `pool`, with the crates' servers' tower layers.
pub fn router(pool: Pool) -> Router {
    Router::new()
        .route("/readyz", get(ready))
        .route("/heroes", axum::routing::post(add_heroes))
        .route("/heroes/{id}", get(get_hero))
        .with_state(pool)
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(10),
        ))
        .layer(TraceLayer::new_for_http())
}

/// Serves the floor on `addr` against the database at `url` until SIGTERM
/// or Ctrl-C.
pub async fn serve(url: &str, addr: SocketAddr) -> BenchResult<()> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATABASE_URL is not a usable PostgreSQL URL: {e}"))?;
    let pool = Pool::builder(Manager { config })
        // `POOL_SIZE` as the crates read it (8 unless set).
        .max_size(support::pool_size_from_env()?.unwrap_or(8) as usize)
        .wait_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    axum::serve(listener, router(pool))
        .with_graceful_shutdown(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = async {
                    match term.as_mut() {
                        Some(t) => { t.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
            }
        })
        .await
        .map_err(|e| e.to_string())
}
