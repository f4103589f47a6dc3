//! The Rust contenders: each example crate through its own engine (pool) and
//! query functions, as an application would call them, and raw
//! tokio-postgres with prepared statements, the floor.
//!
//! Reads take a connection from the pool and run one query, with no
//! transaction around it (a read needs none); the insert workload runs in the
//! crate's session (one transaction), like `add_all` + `commit`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::SinkExt as _;
use heroes_model::{Hero, NewHero, Profile, TypedHero};
use sea_orm::TransactionTrait as _;
use tokio_postgres::{Client, NoTls, Statement};

use crate::workloads::{
    TYPED_POWER, Workload, insert_batch, nth_app_src, nth_id, nth_name, to_csv,
};

/// An error while measuring, as text (the run stops with it).
pub type BenchResult<T> = Result<T, String>;

pub(crate) fn text<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

/// Connections each Rust contender's pool may open (every crate's default).
pub const POOL_SIZE: usize = 8;

/// A Rust contender, connected.
pub enum Rust {
    /// Diesel + r2d2 over libpq (blocking: measured on threads).
    SyncDiesel(sync_diesel::production::Pool),
    /// diesel-async + deadpool.
    AsyncDiesel(async_diesel::production::Pool),
    /// sqlx's `PgPool` with the `query!` functions.
    SqlxRaw(sqlx::PgPool),
    /// SeaORM's `DatabaseConnection`.
    SeaOrm(sea_orm::DatabaseConnection),
    /// tokio-postgres, prepared statements, no pool: the floor.
    Raw(Arc<RawClients>),
    /// diesel-async without a pool: 8 connections, each shared by every task
    /// that lands on it, whose queries pipeline (get by PK only; the
    /// concurrent runs measure it as async-diesel's fastest path).
    AsyncDieselShared(Vec<diesel_async::AsyncPgConnection>),
}

/// [`Rust::AsyncDieselShared`]'s name in the report.
pub const PIPELINED: &str = "async-diesel, 8 shared connections (pipelined)";

/// How a contender's pool is built.
#[derive(Clone, Copy, Debug)]
pub struct Pool {
    /// Connections it may open.
    pub size: u32,
    /// Keep a prepared-statement cache on each connection.
    pub statement_cache: bool,
    /// Test every connection as it leaves the pool.
    pub ping_every_checkout: bool,
}

/// Every Rust contender's identifier, in report order.
pub const RUST: [&str; 5] = [
    "sync-diesel",
    "async-diesel",
    "sqlx-raw",
    "seaorm-migrate",
    "tokio-postgres",
];

/// Insert batches made so far, so every inserted name is new.
static INSERTS: AtomicU64 = AtomicU64::new(0);

impl Rust {
    /// Connects contender `name` to `url` with its crate's default pool;
    /// `ping_every_checkout: true` instead tests every connection as it
    /// leaves the pool, each library's own default, to measure what that
    /// costs.
    pub async fn connect(name: &str, url: &str, ping_every_checkout: bool) -> BenchResult<Self> {
        let pool = Pool {
            size: POOL_SIZE as u32,
            // STATEMENT_CACHE=off, as the crates' defaults read it.
            statement_cache: support::statement_cache_from_env().unwrap_or(true),
            ping_every_checkout,
        };
        Self::connect_with(name, url, pool).await
    }

    /// [`Self::connect`] with the pool `pool` describes (the scale runs
    /// use pools of 500, and no statement cache behind PgBouncer).
    pub async fn connect_with(name: &str, url: &str, pool: Pool) -> BenchResult<Self> {
        let Pool {
            size,
            statement_cache,
            ping_every_checkout,
        } = pool;
        // What the crates' production::pool adds, as `serve` runs it.
        let deployment = support::production::Settings {
            ping_every_checkout,
            statement_cache,
            ..Default::default()
        };
        Ok(match name {
            "sync-diesel" => {
                let url = url.to_owned();
                let settings = sync_diesel::db::Settings {
                    max_size: size,
                    ..Default::default()
                };
                let pool = tokio::task::spawn_blocking(move || {
                    sync_diesel::production::pool(&url, &settings, &deployment)
                })
                .await
                .map_err(text)?
                .map_err(text)?;
                Self::SyncDiesel(pool)
            }
            "async-diesel" => {
                let settings = async_diesel::db::Settings {
                    max_size: size as usize,
                    ..Default::default()
                };
                Self::AsyncDiesel(
                    async_diesel::production::pool(url, &settings, &deployment)
                        .await
                        .map_err(text)?,
                )
            }
            "sqlx-raw" => {
                let settings = sqlx_raw::db::Settings {
                    max_connections: size,
                    ..Default::default()
                };
                Self::SqlxRaw(
                    sqlx_raw::production::pool(url, &settings, &deployment)
                        .await
                        .map_err(text)?,
                )
            }
            "seaorm-migrate" => {
                let settings = seaorm_migrate::db::Settings {
                    max_connections: size,
                    ..Default::default()
                };
                Self::SeaOrm(
                    seaorm_migrate::production::pool(url, &settings, &deployment)
                        .await
                        .map_err(text)?,
                )
            }
            "tokio-postgres" => Self::Raw(Arc::new(RawClients::connect(url, size as usize).await?)),
            PIPELINED => {
                use diesel_async::AsyncConnection as _;
                let mut conns = Vec::with_capacity(size as usize);
                for _ in 0..size {
                    let conn = diesel_async::AsyncPgConnection::establish(url)
                        .await
                        .map_err(text)?;
                    conns.push(conn);
                }
                Self::AsyncDieselShared(conns)
            }
            other => return Err(format!("no Rust contender called {other}")),
        })
    }

    /// Closes every connection of the contender's pool.
    pub async fn close(self) {
        match self {
            Self::SqlxRaw(pool) => pool.close().await,
            Self::SeaOrm(db) => {
                let _ = db.close().await;
            }
            // r2d2, deadpool and the raw clients close theirs when dropped.
            Self::SyncDiesel(_)
            | Self::AsyncDiesel(_)
            | Self::Raw(_)
            | Self::AsyncDieselShared(_) => {}
        }
    }

    /// Whether operations block the thread (sync-diesel): measure them with
    /// [`Self::op_blocking`] on threads rather than on the async runtime.
    pub fn is_blocking(&self) -> bool {
        matches!(self, Self::SyncDiesel(_))
    }

    /// One operation of `workload` (the `k`-th parameters), for sync-diesel.
    /// Returns the rows it touched.
    pub fn op_blocking(&self, workload: Workload, k: u64) -> BenchResult<usize> {
        let Self::SyncDiesel(pool) = self else {
            return Err("op_blocking is for sync-diesel".to_owned());
        };
        use sync_diesel::queries;
        let found = |hero: Option<Hero>| usize::from(hero.is_some());
        if matches!(workload, Workload::Insert100 | Workload::Insert100Fast) {
            let rows = insert_batch("sync-diesel", INSERTS.fetch_add(1, Ordering::Relaxed));
            return sync_diesel::production::session(pool, |conn| match workload {
                Workload::Insert100Fast => sync_diesel::beyond::add_all_unnest(conn, &rows),
                _ => queries::add_all(conn, &rows),
            })
            .map(|saved| saved.len())
            .map_err(text);
        }
        let mut conn = pool.get().map_err(text)?;
        match workload {
            Workload::GetByPk => queries::get(&mut conn, nth_id(k)).map(found),
            Workload::ByName => queries::by_name(&mut conn, &nth_name(k)).map(found),
            Workload::Scalar => {
                queries::secret_name_of(&mut conn, &nth_name(k)).map(|s| usize::from(s.is_some()))
            }
            Workload::Filter100 => queries::by_app_src(&mut conn, &nth_app_src(k)).map(|v| v.len()),
            Workload::Types1000 => {
                sync_diesel::types::with_power(&mut conn, TYPED_POWER).map(|v| v.len())
            }
            Workload::Insert100 | Workload::Insert100Fast => Ok(0),
        }
        .map_err(text)
    }

    /// One operation of `workload` (the `k`-th parameters) on an async
    /// contender; `slot` picks the raw client (tasks spread over them).
    pub async fn op(&self, workload: Workload, k: u64, slot: usize) -> BenchResult<usize> {
        let found = |hero: Option<Hero>| usize::from(hero.is_some());
        let some = |s: Option<Option<String>>| usize::from(s.is_some());
        match self {
            Self::SyncDiesel(_) => self.op_blocking(workload, k),
            Self::AsyncDiesel(engine) => {
                use async_diesel::queries;
                if matches!(workload, Workload::Insert100 | Workload::Insert100Fast) {
                    let rows =
                        insert_batch("async-diesel", INSERTS.fetch_add(1, Ordering::Relaxed));
                    return async_diesel::production::session(
                        engine,
                        async |conn| match workload {
                            Workload::Insert100Fast => {
                                async_diesel::beyond::add_all_unnest(conn, &rows).await
                            }
                            _ => queries::add_all(conn, &rows).await,
                        },
                    )
                    .await
                    .map(|saved| saved.len())
                    .map_err(text);
                }
                let mut conn = engine.get().await.map_err(text)?;
                match workload {
                    Workload::GetByPk => queries::get(&mut conn, nth_id(k)).await.map(found),
                    Workload::ByName => queries::by_name(&mut conn, &nth_name(k)).await.map(found),
                    Workload::Scalar => queries::secret_name_of(&mut conn, &nth_name(k))
                        .await
                        .map(some),
                    Workload::Filter100 => queries::by_app_src(&mut conn, &nth_app_src(k))
                        .await
                        .map(|v| v.len()),
                    Workload::Types1000 => async_diesel::types::with_power(&mut conn, TYPED_POWER)
                        .await
                        .map(|v| v.len()),
                    Workload::Insert100 | Workload::Insert100Fast => Ok(0),
                }
                .map_err(text)
            }
            Self::SqlxRaw(pool) => {
                use sqlx_raw::queries;
                // Its `add_all` is already the `UNNEST` of arrays: the fast
                // path and the idiomatic one are the same function.
                if matches!(workload, Workload::Insert100 | Workload::Insert100Fast) {
                    let rows = insert_batch("sqlx-raw", INSERTS.fetch_add(1, Ordering::Relaxed));
                    let mut tx = pool.begin().await.map_err(text)?;
                    let saved = queries::add_all(&mut tx, &rows).await.map_err(text)?;
                    tx.commit().await.map_err(text)?;
                    return Ok(saved.len());
                }
                let mut conn = pool.acquire().await.map_err(text)?;
                match workload {
                    Workload::GetByPk => queries::get(&mut conn, nth_id(k)).await.map(found),
                    Workload::ByName => queries::by_name(&mut conn, &nth_name(k)).await.map(found),
                    Workload::Scalar => queries::secret_name_of(&mut conn, &nth_name(k))
                        .await
                        .map(some),
                    Workload::Filter100 => queries::by_app_src(&mut conn, &nth_app_src(k))
                        .await
                        .map(|v| v.len()),
                    Workload::Types1000 => sqlx_raw::types::with_power(&mut conn, TYPED_POWER)
                        .await
                        .map(|v| v.len()),
                    Workload::Insert100 | Workload::Insert100Fast => Ok(0),
                }
                .map_err(text)
            }
            Self::SeaOrm(db) => {
                use seaorm_migrate::queries;
                match workload {
                    Workload::GetByPk => queries::get(db, nth_id(k)).await.map(found),
                    Workload::ByName => queries::by_name(db, &nth_name(k)).await.map(found),
                    Workload::Scalar => queries::secret_name_of(db, &nth_name(k)).await.map(some),
                    Workload::Filter100 => queries::by_app_src(db, &nth_app_src(k))
                        .await
                        .map(|v| v.len()),
                    Workload::Types1000 => seaorm_migrate::types::with_power(db, TYPED_POWER)
                        .await
                        .map(|v| v.len()),
                    Workload::Insert100 | Workload::Insert100Fast => {
                        let rows =
                            insert_batch("seaorm-migrate", INSERTS.fetch_add(1, Ordering::Relaxed));
                        let txn = db.begin().await.map_err(text)?;
                        let saved = if workload == Workload::Insert100Fast {
                            seaorm_migrate::beyond::add_all_json(&txn, &rows).await
                        } else {
                            queries::add_all(&txn, &rows).await
                        }
                        .map_err(text)?;
                        txn.commit().await.map_err(text)?;
                        Ok(saved.len())
                    }
                }
                .map_err(text)
            }
            Self::Raw(raw) => raw.op(workload, k, slot).await,
            Self::AsyncDieselShared(conns) => match workload {
                Workload::GetByPk => {
                    let conn = &conns[slot % conns.len()];
                    async_diesel::concurrency::get_shared(conn, nth_id(k))
                        .await
                        .map(found)
                        .map_err(text)
                }
                other => Err(format!(
                    "{PIPELINED} runs get by PK only, not {}",
                    other.id()
                )),
            },
        }
    }

    /// Loads `rows` the crate's fastest way, all or nothing, in one
    /// transaction: COPY FROM STDIN (sync Diesel's `diesel::copy_from`,
    /// sqlx-raw's `bulk::load_copy`, SeaORM through the sqlx pool inside it,
    /// tokio-postgres), or for diesel-async, which has no COPY, one
    /// `INSERT ... SELECT FROM UNNEST(arrays)` per `INSERT_CHUNK` rows.
    /// Returns the rows loaded.
    pub async fn bulk(&self, rows: &[NewHero]) -> BenchResult<u64> {
        match self {
            Self::SyncDiesel(pool) => {
                sync_diesel::production::session(pool, |conn| Ok(diesel_copy(conn, rows)?))
                    .map(|n| n as u64)
                    .map_err(text)
            }
            Self::AsyncDiesel(engine) => async_diesel::production::session(engine, async |conn| {
                Ok(diesel_async_load(conn, rows).await?)
            })
            .await
            .map(|n| n as u64)
            .map_err(text),
            Self::SqlxRaw(pool) => sqlx_raw::production::bulk::load_copy(pool, rows, |_| {})
                .await
                .map_err(text),
            Self::SeaOrm(db) => seaorm_copy(db, rows).await.map_err(text),
            Self::Raw(raw) => raw.copy(rows).await,
            Self::AsyncDieselShared(_) => Err(format!("{PIPELINED} runs get by PK only")),
        }
    }

    /// How this contender loads in bulk, for the report.
    pub fn bulk_method(name: &str) -> &'static str {
        match name {
            "sqlx-raw" | "tokio-postgres" => "COPY FROM STDIN (csv)",
            "sync-diesel" => "diesel::copy_from (COPY FROM STDIN, binary)",
            "seaorm-migrate" => "COPY FROM STDIN (csv) on SeaORM's sqlx pool",
            _ => {
                "INSERT ... SELECT FROM UNNEST(arrays), 10,000 rows each (no COPY in diesel-async)"
            }
        }
    }
}

/// The prepared statements of one raw connection.
struct Prepared {
    get: Statement,
    by_name: Statement,
    scalar: Statement,
    filter: Statement,
    insert: Statement,
    typed: Statement,
}

/// Raw tokio-postgres: `n` connections with their statements prepared once;
/// task `slot` uses connection `slot % n` (a tokio-postgres client pipelines
/// the queries of tasks that share it).
pub struct RawClients {
    clients: Vec<(Client, Prepared)>,
}

/// The columns every hero query returns, in `Hero` order (pgbench uses them too).
pub const HERO_COLUMNS: &str = "id, name, secret_name, age, app_src, created_at, team_id";

/// The columns of `TypedHero`, in its order (pgbench uses them too).
pub const TYPED_COLUMNS: &str = "id, name, rank, powers, profile, public_id, salary";

/// A `TypedHero` from a row of [`TYPED_COLUMNS`] with the rank read as text
/// (`rank::text`, as SeaORM reads it): every column decoded, the profile
/// through serde as the crates do. `None` when the rank or the profile does
/// not read.
fn typed_hero_of(row: &tokio_postgres::Row) -> Option<TypedHero> {
    let rank: &str = row.get(2);
    let profile: Option<tokio_postgres::types::Json<Profile>> = row.get(4);
    Some(TypedHero {
        id: row.get(0),
        name: row.get(1),
        rank: rank.parse().ok()?,
        powers: row.get(3),
        profile: profile.map(|p| p.0),
        public_id: row.get(5),
        salary: row.get(6),
    })
}

pub(crate) fn hero_of(row: &tokio_postgres::Row) -> Hero {
    Hero {
        id: row.get(0),
        name: row.get(1),
        secret_name: row.get(2),
        age: row.get(3),
        app_src: row.get(4),
        created_at: row.get(5),
        team_id: row.get(6),
    }
}

impl RawClients {
    async fn connect(url: &str, n: usize) -> BenchResult<Self> {
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(text)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            let prepared = Prepared {
                get: client
                    .prepare(&format!("SELECT {HERO_COLUMNS} FROM heroes WHERE id = $1"))
                    .await
                    .map_err(text)?,
                by_name: client
                    .prepare(&format!("SELECT {HERO_COLUMNS} FROM heroes WHERE name = $1"))
                    .await
                    .map_err(text)?,
                scalar: client
                    .prepare("SELECT secret_name FROM heroes WHERE name = $1")
                    .await
                    .map_err(text)?,
                filter: client
                    .prepare(&format!(
                        "SELECT {HERO_COLUMNS} FROM heroes WHERE app_src = $1 ORDER BY id"
                    ))
                    .await
                    .map_err(text)?,
                typed: client
                    .prepare(
                        "SELECT id, name, rank::text, powers, profile, public_id, salary \
                           FROM heroes WHERE powers @> ARRAY[$1] ORDER BY id",
                    )
                    .await
                    .map_err(text)?,
                insert: client
                    .prepare(&format!(
                        "INSERT INTO heroes (name, secret_name, age, app_src, team_id) \
                         SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::text[], $5::int8[]) \
                         RETURNING {HERO_COLUMNS}"
                    ))
                    .await
                    .map_err(text)?,
            };
            clients.push((client, prepared));
        }
        Ok(Self { clients })
    }

    async fn op(&self, workload: Workload, k: u64, slot: usize) -> BenchResult<usize> {
        let (client, st) = &self.clients[slot % self.clients.len()];
        match workload {
            Workload::GetByPk => {
                let row = client
                    .query_opt(&st.get, &[&nth_id(k)])
                    .await
                    .map_err(text)?;
                Ok(usize::from(row.as_ref().map(hero_of).is_some()))
            }
            Workload::ByName => {
                let row = client
                    .query_opt(&st.by_name, &[&nth_name(k)])
                    .await
                    .map_err(text)?;
                Ok(usize::from(row.as_ref().map(hero_of).is_some()))
            }
            Workload::Scalar => {
                let row = client
                    .query_opt(&st.scalar, &[&nth_name(k)])
                    .await
                    .map_err(text)?;
                Ok(usize::from(
                    row.map(|r| r.get::<_, Option<String>>(0)).is_some(),
                ))
            }
            Workload::Filter100 => {
                let rows = client
                    .query(&st.filter, &[&nth_app_src(k)])
                    .await
                    .map_err(text)?;
                Ok(rows.iter().map(hero_of).count())
            }
            Workload::Types1000 => {
                let rows = client
                    .query(&st.typed, &[&TYPED_POWER])
                    .await
                    .map_err(text)?;
                let heroes: Option<Vec<TypedHero>> = rows.iter().map(typed_hero_of).collect();
                heroes
                    .map(|h| h.len())
                    .ok_or_else(|| "a typed hero did not decode".to_owned())
            }
            Workload::Insert100 | Workload::Insert100Fast => {
                // In a transaction, as every other contender runs it (BEGIN,
                // INSERT, COMMIT: the session's work). Only one task runs this
                // workload, so nothing else is pipelined on this client.
                client.batch_execute("BEGIN").await.map_err(text)?;
                let rows = insert_batch("tokio-postgres", INSERTS.fetch_add(1, Ordering::Relaxed));
                let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
                let secrets: Vec<Option<&str>> =
                    rows.iter().map(|r| r.secret_name.as_deref()).collect();
                let ages: Vec<Option<i32>> = rows.iter().map(|r| r.age).collect();
                let srcs: Vec<&str> = rows.iter().map(|r| r.app_src.as_str()).collect();
                let teams: Vec<Option<i64>> = rows.iter().map(|r| r.team_id).collect();
                let saved = client
                    .query(&st.insert, &[&names, &secrets, &ages, &srcs, &teams])
                    .await
                    .map_err(text)?;
                client.batch_execute("COMMIT").await.map_err(text)?;
                Ok(saved.iter().map(hero_of).count())
            }
        }
    }

    async fn copy(&self, rows: &[NewHero]) -> BenchResult<u64> {
        let (client, _) = &self.clients[0];
        let sink = client
            .copy_in(
                "COPY heroes (name, secret_name, age, app_src, team_id) FROM STDIN (FORMAT csv)",
            )
            .await
            .map_err(text)?;
        let mut sink = std::pin::pin!(sink);
        for chunk in rows.chunks(20_000) {
            sink.send(bytes::Bytes::from(to_csv(chunk)))
                .await
                .map_err(text)?;
        }
        sink.as_mut().finish().await.map_err(text)
    }
}

/// Rows per statement in diesel-async's UNNEST load below.
const INSERT_CHUNK: usize = 10_000;

/// Sync Diesel's bulk path: `diesel::copy_from(..).from_insertable(rows)`,
/// a `COPY ... FROM STDIN (FORMAT binary)` fed from the `Insertable` rows,
/// on the caller's transaction.
fn diesel_copy(conn: &mut diesel::PgConnection, rows: &[NewHero]) -> diesel::QueryResult<usize> {
    use diesel::ExecuteCopyFromDsl as _;
    diesel::copy_from(heroes_model::schema::heroes::table)
        .from_insertable(rows)
        .execute(conn)
}

/// diesel-async's best bulk path: 0.9.2 has no COPY (its `AsyncPgConnection`
/// implements no `copy_from` and does not hand out the tokio-postgres
/// client), so the rows go as five arrays per statement, unpacked by
/// PostgreSQL's `UNNEST`: one statement and five binds per chunk.
async fn diesel_async_load(
    conn: &mut diesel_async::AsyncPgConnection,
    rows: &[NewHero],
) -> diesel::QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
    use diesel_async::RunQueryDsl as _;
    let mut done = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let names: Vec<&str> = chunk.iter().map(|h| h.name.as_str()).collect();
        let secrets: Vec<Option<&str>> = chunk.iter().map(|h| h.secret_name.as_deref()).collect();
        let ages: Vec<Option<i32>> = chunk.iter().map(|h| h.age).collect();
        let sources: Vec<&str> = chunk.iter().map(|h| h.app_src.as_str()).collect();
        let teams: Vec<Option<i64>> = chunk.iter().map(|h| h.team_id).collect();
        done += diesel::sql_query(
            "INSERT INTO heroes (name, secret_name, age, app_src, team_id) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[])",
        )
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Nullable<Text>>, _>(secrets)
        .bind::<Array<Nullable<Integer>>, _>(ages)
        .bind::<Array<Text>, _>(sources)
        .bind::<Array<Nullable<BigInt>>, _>(teams)
        .execute(conn)
        .await?;
    }
    Ok(done)
}

/// SeaORM's bulk path: SeaORM has no COPY, but its `DatabaseConnection` hands
/// out the sqlx pool it runs on, and sqlx does: one `COPY ... FROM STDIN
/// (FORMAT csv)` in a transaction of its own.
async fn seaorm_copy(db: &sea_orm::DatabaseConnection, rows: &[NewHero]) -> BenchResult<u64> {
    let pool = db.get_postgres_connection_pool();
    let mut tx = pool.begin().await.map_err(text)?;
    let mut copy = tx
        .copy_in_raw(
            "COPY heroes (name, secret_name, age, app_src, team_id) FROM STDIN (FORMAT csv)",
        )
        .await
        .map_err(text)?;
    for chunk in rows.chunks(INSERT_CHUNK) {
        if let Err(err) = copy.send(to_csv(chunk).into_bytes()).await {
            let _ = copy.abort("client error").await;
            return Err(text(err));
        }
    }
    let loaded = copy.finish().await.map_err(text)?;
    tx.commit().await.map_err(text)?;
    Ok(loaded)
}
