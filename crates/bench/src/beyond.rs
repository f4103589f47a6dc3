//! The workloads beyond the study: relations, the row-count sweep and a
//! stream of a million rows, after the workloads of diesel's own
//! `diesel_bench` ("trivial query", "medium complex query", "loading
//! associations"), measured for the four crates and raw tokio-postgres.
//!
//! Each data set lives in a database of its own beside the main one, so
//! that the other workloads keep their 10,000 heroes:
//!
//! - `<db>_sweep`: 100 teams, and for each size N of [`SIZES`] N heroes
//!   with `app_src = sweep-N`, spread over the teams. `rows_N` is the
//!   study's `scalars().all()` on them (`queries::by_app_src`), `join_N` its
//!   hero-LEFT-JOIN-team into tuples (`queries::with_teams`).
//! - `<db>_assoc`: 100 teams of 10 heroes. `associations` loads every team
//!   with its heroes, once per strategy of each crate's `beyond.rs`.
//! - `<db>_stream`: a million heroes, streamed by each crate's
//!   `beyond::stream` in a process of its own (`bench stream-one`), whose
//!   peak resident memory is read from `/proc/self/status`.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, TryStreamExt as _};
use heroes_model::HeroSearch;
use serde::{Deserialize, Serialize};
use tokio_postgres::NoTls;

use crate::contenders::{BenchResult, Rust, hero_of, text};

/// A tokio-postgres error with the server's message, not only "db error".
#[allow(clippy::needless_pass_by_value)] // used as `.map_err(pg)`
fn pg(err: tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => err.to_string(),
    }
}
use crate::results::{Sample, median};

/// Heroes per query in the sweeps (`rows_N`, `join_N`).
pub const SIZES: [usize; 5] = [1, 10, 100, 1_000, 10_000];

/// Teams in the association data set, and heroes per team.
pub const TEAMS: usize = 100;
/// Heroes per team in the association data set.
pub const PER_TEAM: usize = 10;

/// The workload id of the association loads.
pub const ASSOCIATIONS: &str = "associations";
/// The workload id of the stream.
pub const STREAM: &str = "stream_1m";

/// The four crates, then raw tokio-postgres.
pub const CONTENDERS: [&str; 5] = [
    "sync-diesel",
    "async-diesel",
    "sqlx-raw",
    "seaorm-migrate",
    "tokio-postgres",
];

/// One association load of the SQLAlchemy script: (its workload, the strategy's name).
pub type Load = (&'static str, &'static str);

/// The SQLAlchemy contenders: (driver, name in the report, its association
/// loads as (script workload, strategy name)). Under asyncpg a lazy load
/// raises `MissingGreenlet`, so its N+1 is the loop written out.
pub const SQLALCHEMY: [(&str, &str, [Load; 3]); 2] = [
    (
        "psycopg2",
        "SQLAlchemy + psycopg2",
        [
            ("assoc_lazy", "N+1 (lazy loading)"),
            ("assoc_selectin", "selectinload"),
            ("assoc_joined", "joinedload"),
        ],
    ),
    (
        "asyncpg",
        "SQLAlchemy + asyncpg",
        [
            ("assoc_lazy", "N+1 (written out)"),
            ("assoc_selectin", "selectinload"),
            ("assoc_joined", "joinedload"),
        ],
    ),
];

/// Runs the SQLAlchemy script: (driver, database URL, workload) → its JSON.
pub type Sqla<'a> = dyn Fn(&str, &str, &str) -> BenchResult<serde_json::Value> + 'a;

/// Each crate's strategies in `beyond.rs`, in the order they are reported.
pub const STRATEGIES: [(&str, [&str; 3]); 4] = [
    (
        "sync-diesel",
        ["N+1", "belonging_to + grouped_by", "left_join"],
    ),
    (
        "async-diesel",
        ["N+1", "belonging_to + grouped_by", "left_join"],
    ),
    ("sqlx-raw", ["N+1", "JOIN, folded", "json_agg"]),
    ("seaorm-migrate", ["N+1", "load_many", "find_with_related"]),
];

/// How long and how often.
#[derive(Clone, Debug)]
pub struct Config {
    /// Rounds over every contender (figures are medians).
    pub rounds: usize,
    /// Warm-up before each measurement.
    pub warmup: Duration,
    /// Length of each measurement.
    pub measure: Duration,
    /// Rows in the stream data set.
    pub stream_rows: i64,
}

impl Config {
    /// The report's run.
    pub fn full() -> Self {
        Self {
            rounds: 3,
            warmup: Duration::from_millis(200),
            measure: Duration::from_secs(1),
            stream_rows: 1_000_000,
        }
    }

    /// A smoke run: every workload once, briefly, 20,000 rows streamed.
    pub fn quick() -> Self {
        Self {
            rounds: 1,
            warmup: Duration::from_millis(20),
            measure: Duration::from_millis(100),
            stream_rows: 20_000,
        }
    }
}

/// The workload id of the sweep of size `n`.
pub fn sweep_id(join: bool, n: usize) -> String {
    format!("{}_{n}", if join { "join" } else { "rows" })
}

/// The `app_src` of the sweep's heroes of size `n`.
pub fn sweep_app_src(n: usize) -> String {
    format!("sweep-{n}")
}

/// The three databases' URLs, beside `url`'s database `database`.
pub struct Urls {
    /// The sweeps'.
    pub sweep: String,
    /// The association loads'.
    pub assoc: String,
    /// The stream's.
    pub stream: String,
}

impl Urls {
    /// Creates (if missing) `<database>_sweep`, `_assoc` and `_stream`.
    pub fn create(database: &str) -> BenchResult<Self> {
        let url = |suffix: &str| {
            devdb::database_url(&format!("{database}_{suffix}")).map_err(|e| e.to_string())
        };
        Ok(Self {
            sweep: url("sweep")?,
            assoc: url("assoc")?,
            stream: url("stream")?,
        })
    }
}

async fn connect(url: &str) -> BenchResult<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(pg)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Migrates the three databases and loads their data sets.
pub async fn prepare(urls: &Urls, config: &Config) -> BenchResult<()> {
    for url in [&urls.sweep, &urls.assoc, &urls.stream] {
        crate::dataset::migrate(url).await?;
        connect(url)
            .await?
            .batch_execute("TRUNCATE heroes, teams RESTART IDENTITY CASCADE")
            .await
            .map_err(pg)?;
    }
    let teams =
        format!("INSERT INTO teams (name) SELECT 'team-' || g FROM generate_series(1, {TEAMS}) g");
    let sweep = connect(&urls.sweep).await?;
    sweep.batch_execute(&teams).await.map_err(pg)?;
    for n in SIZES {
        sweep
            .execute(
                &format!(
                    "INSERT INTO heroes (name, secret_name, age, app_src, team_id)
                     SELECT $1::text || '-' || g, 'secret ' || g, g % 90, $1::text, 1 + g % {TEAMS}
                       FROM generate_series(1, $2::int8) g"
                ),
                &[&sweep_app_src(n), &(n as i64)],
            )
            .await
            .map_err(pg)?;
    }
    let assoc = connect(&urls.assoc).await?;
    assoc.batch_execute(&teams).await.map_err(pg)?;
    assoc
        .batch_execute(&format!(
            "INSERT INTO heroes (name, secret_name, age, app_src, team_id)
             SELECT 'member-' || g, 'secret ' || g, g % 90, 'assoc', 1 + (g - 1) / {PER_TEAM}
               FROM generate_series(1, {}) g",
            TEAMS * PER_TEAM
        ))
        .await
        .map_err(pg)?;
    connect(&urls.stream)
        .await?
        .execute(
            "INSERT INTO heroes (name, secret_name, age, app_src)
             SELECT 'streamed-' || g, 'secret ' || g, g % 90, 'stream'
               FROM generate_series(1, $1::int8) g",
            &[&config.stream_rows],
        )
        .await
        .map_err(pg)?;
    for url in [&urls.sweep, &urls.assoc, &urls.stream] {
        connect(url)
            .await?
            .batch_execute("VACUUM ANALYZE heroes, teams")
            .await
            .map_err(pg)?;
    }
    Ok(())
}

/// Raw tokio-postgres for the sweeps: one connection, both statements
/// prepared once, rows read into the same `Hero`/`Team` values.
struct RawSweep {
    client: tokio_postgres::Client,
    rows: tokio_postgres::Statement,
    join: tokio_postgres::Statement,
}

impl RawSweep {
    async fn connect(url: &str) -> BenchResult<Self> {
        let client = connect(url).await?;
        let rows = client
            .prepare(
                "SELECT id, name, secret_name, age, app_src, created_at, team_id
                   FROM heroes WHERE app_src = $1 ORDER BY id",
            )
            .await
            .map_err(pg)?;
        let join = client
            .prepare(
                "SELECT h.id, h.name, h.secret_name, h.age, h.app_src, h.created_at, h.team_id,
                        t.id, t.name, t.headquarters
                   FROM heroes h LEFT JOIN teams t ON t.id = h.team_id
                  WHERE h.app_src = $1 ORDER BY h.id",
            )
            .await
            .map_err(pg)?;
        Ok(Self { client, rows, join })
    }

    async fn sweep(&self, app_src: &str, join: bool) -> BenchResult<usize> {
        let statement = if join { &self.join } else { &self.rows };
        let rows = self
            .client
            .query(statement, &[&app_src])
            .await
            .map_err(pg)?;
        if join {
            let tuples: Vec<_> = rows
                .iter()
                .map(|row| {
                    let team = row.get::<_, Option<i64>>(7).map(|id| heroes_model::Team {
                        id,
                        name: row.get(8),
                        headquarters: row.get(9),
                    });
                    (hero_of(row), team)
                })
                .collect();
            Ok(tuples.len())
        } else {
            Ok(rows.iter().map(hero_of).count())
        }
    }
}

/// A contender of the sweeps.
enum Sweeper {
    Crate(Rust),
    Raw(RawSweep),
}

impl Sweeper {
    async fn connect(name: &str, url: &str) -> BenchResult<Self> {
        Ok(if name == "tokio-postgres" {
            Self::Raw(RawSweep::connect(url).await?)
        } else {
            Self::Crate(Rust::connect(name, url, false).await?)
        })
    }

    /// One query of the sweep: the heroes of `app_src`, joined or not.
    /// sync-diesel's blocks the runtime's thread while it runs, which one
    /// task measured alone can afford.
    async fn sweep(&self, app_src: &str, join: bool) -> BenchResult<usize> {
        match self {
            Self::Raw(raw) => raw.sweep(app_src, join).await,
            Self::Crate(Rust::SyncDiesel(pool)) => {
                use sync_diesel::queries;
                let mut conn = pool.get().map_err(text)?;
                if join {
                    queries::with_teams(&mut conn, app_src).map(|v| v.len())
                } else {
                    queries::by_app_src(&mut conn, app_src).map(|v| v.len())
                }
                .map_err(text)
            }
            Self::Crate(Rust::AsyncDiesel(pool)) => {
                use async_diesel::queries;
                let mut conn = pool.get().await.map_err(text)?;
                if join {
                    queries::with_teams(&mut conn, app_src)
                        .await
                        .map(|v| v.len())
                } else {
                    queries::by_app_src(&mut conn, app_src)
                        .await
                        .map(|v| v.len())
                }
                .map_err(text)
            }
            Self::Crate(Rust::SqlxRaw(pool)) => {
                use sqlx_raw::queries;
                let mut conn = pool.acquire().await.map_err(text)?;
                if join {
                    queries::with_teams(&mut conn, app_src)
                        .await
                        .map(|v| v.len())
                } else {
                    queries::by_app_src(&mut conn, app_src)
                        .await
                        .map(|v| v.len())
                }
                .map_err(text)
            }
            Self::Crate(Rust::SeaOrm(db)) => {
                use seaorm_migrate::queries;
                if join {
                    queries::with_teams(db, app_src).await.map(|v| v.len())
                } else {
                    queries::by_app_src(db, app_src).await.map(|v| v.len())
                }
                .map_err(text)
            }
            Self::Crate(Rust::Raw(_)) => Err("the raw sweep has its own client".to_owned()),
            Self::Crate(Rust::AsyncDieselShared(_)) => {
                Err("the pipelined connections run get by PK only".to_owned())
            }
        }
    }
}

/// Every team with its heroes by strategy `i` of `rust`'s crate (see
/// [`STRATEGIES`]); returns the heroes loaded.
async fn load_teams(rust: &Rust, strategy: usize) -> BenchResult<usize> {
    let count = |teams: Vec<heroes_model::TeamWithHeroes>| -> usize {
        teams.iter().map(|(_, heroes)| heroes.len()).sum()
    };
    match rust {
        Rust::SyncDiesel(pool) => {
            use sync_diesel::beyond;
            let mut conn = pool.get().map_err(text)?;
            match strategy {
                0 => beyond::teams_one_by_one(&mut conn).map(|(t, _)| t),
                1 => beyond::teams_with_heroes(&mut conn),
                _ => beyond::teams_joined(&mut conn),
            }
            .map(count)
            .map_err(text)
        }
        Rust::AsyncDiesel(pool) => {
            use async_diesel::beyond;
            let mut conn = pool.get().await.map_err(text)?;
            match strategy {
                0 => beyond::teams_one_by_one(&mut conn).await.map(|(t, _)| t),
                1 => beyond::teams_with_heroes(&mut conn).await,
                _ => beyond::teams_joined(&mut conn).await,
            }
            .map(count)
            .map_err(text)
        }
        Rust::SqlxRaw(pool) => {
            use sqlx_raw::beyond;
            let mut conn = pool.acquire().await.map_err(text)?;
            match strategy {
                0 => beyond::teams_one_by_one(&mut conn).await.map(|(t, _)| t),
                1 => beyond::teams_with_heroes(&mut conn).await,
                _ => beyond::teams_with_heroes_json(&mut conn).await,
            }
            .map(count)
            .map_err(text)
        }
        Rust::SeaOrm(db) => {
            use seaorm_migrate::beyond;
            match strategy {
                0 => beyond::teams_one_by_one(db).await.map(|(t, _)| t),
                1 => beyond::teams_with_heroes(db).await,
                _ => beyond::teams_joined(db).await,
            }
            .map(count)
            .map_err(text)
        }
        Rust::Raw(_) | Rust::AsyncDieselShared(_) => {
            Err("no association strategies for this contender".to_owned())
        }
    }
}

/// Operations per second of `op` over `measure`, after `warmup`.
async fn rate<F, Fut>(warmup: Duration, measure: Duration, mut op: F) -> BenchResult<f64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = BenchResult<usize>>,
{
    let began = Instant::now();
    while began.elapsed() < warmup {
        op().await?;
    }
    let began = Instant::now();
    let mut ops = 0u64;
    while ops == 0 || began.elapsed() < measure {
        op().await?;
        ops += 1;
    }
    Ok(ops as f64 / began.elapsed().as_secs_f64())
}

/// Figures per (workload, contender): every round's.
type Rounds = std::collections::BTreeMap<(String, String), (String, Vec<f64>)>;

/// What the stream child process reports.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Streamed {
    /// Rows read.
    pub rows: u64,
    /// Seconds from the query to the last row.
    pub seconds: f64,
    /// The process's peak resident memory, KiB (`VmHWM`).
    pub peak_rss_kib: u64,
}

/// Measures everything of this module (`urls` prepared), every contender
/// interleaved round by round in a rotating order; `stream` runs one
/// stream in a process of its own (`bench stream-one NAME URL`).
pub fn measure(
    urls: &Urls,
    config: &Config,
    stream: &dyn Fn(&str, &str) -> BenchResult<Streamed>,
    sqla: &Sqla<'_>,
) -> BenchResult<Vec<Sample>> {
    let runtime = tokio::runtime::Runtime::new().map_err(text)?;
    let mut rounds = Rounds::new();
    let mut peak: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let mut record = |workload: String, contender: String, method: &str, figure: f64| {
        rounds
            .entry((workload, contender))
            .or_insert_with(|| (method.to_owned(), Vec::new()))
            .1
            .push(figure);
    };
    let field = |value: &serde_json::Value, name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0)
    };
    for round in 0..config.rounds {
        let mut order: Vec<&str> = CONTENDERS
            .iter()
            .copied()
            .chain(SQLALCHEMY.iter().map(|s| s.1))
            .collect();
        let turn = round % order.len();
        order.rotate_left(turn);
        for name in &order {
            if let Some((driver, _, loads)) = SQLALCHEMY.iter().find(|s| s.1 == *name) {
                eprintln!("beyond, round {}: {name}", round + 1);
                for join in [false, true] {
                    for n in SIZES {
                        let id = sweep_id(join, n);
                        let out = sqla(driver, &urls.sweep, &id)?;
                        let ops = field(&out, "ops") / field(&out, "seconds");
                        let method = if join {
                            "select(Hero, Team).outerjoin(Team) + .all()"
                        } else {
                            "select(Hero).where(app_src) + .scalars().all()"
                        };
                        record(id, (*name).to_owned(), method, ops * n as f64);
                    }
                }
                for (workload, strategy) in loads {
                    let out = sqla(driver, &urls.assoc, workload)?;
                    record(
                        ASSOCIATIONS.to_owned(),
                        format!("{name}, {strategy}"),
                        "every team with its heroes, loads per second (ORM relationship)",
                        field(&out, "ops") / field(&out, "seconds"),
                    );
                }
                let out = sqla(driver, &urls.stream, "stream")?;
                if field(&out, "rows") as i64 != config.stream_rows {
                    return Err(format!("{name} streamed {} rows", field(&out, "rows")));
                }
                record(
                    STREAM.to_owned(),
                    (*name).to_owned(),
                    "select(Hero) with yield_per=1000, one row at a time, in the script's own process",
                    field(&out, "rows") / field(&out, "seconds"),
                );
                peak.entry((*name).to_owned())
                    .or_default()
                    .push(field(&out, "peak_rss_kib"));
                continue;
            }
            eprintln!("beyond, round {}: {name}", round + 1);
            runtime.block_on(async {
                let sweeper = Sweeper::connect(name, &urls.sweep).await?;
                for join in [false, true] {
                    for n in SIZES {
                        let app_src = sweep_app_src(n);
                        let ops = rate(config.warmup, config.measure, || async {
                            let got = sweeper.sweep(&app_src, join).await?;
                            if got == n {
                                Ok(got)
                            } else {
                                Err(format!("{name} read {got} of {n} rows"))
                            }
                        })
                        .await?;
                        let method = if join {
                            "heroes LEFT JOIN teams into (Hero, Option<Team>), one query (queries::with_teams)"
                        } else {
                            "one query, every row into a Hero (queries::by_app_src)"
                        };
                        record(sweep_id(join, n), (*name).to_owned(), method, ops * n as f64);
                    }
                }
                if let Sweeper::Crate(rust) = sweeper {
                    rust.close().await;
                }
                Ok::<(), String>(())
            })?;
            if let Some((_, strategies)) = STRATEGIES.iter().find(|(c, _)| c == name) {
                runtime.block_on(async {
                    let rust = Rust::connect(name, &urls.assoc, false).await?;
                    for (i, strategy) in strategies.iter().enumerate() {
                        let ops = rate(config.warmup, config.measure, || async {
                            let got = load_teams(&rust, i).await?;
                            if got == TEAMS * PER_TEAM {
                                Ok(got)
                            } else {
                                Err(format!("{name}, {strategy}: loaded {got} heroes"))
                            }
                        })
                        .await?;
                        record(
                            ASSOCIATIONS.to_owned(),
                            format!("{name}, {strategy}"),
                            "every team with its heroes, loads per second (beyond.rs)",
                            ops,
                        );
                    }
                    rust.close().await;
                    Ok::<(), String>(())
                })?;
            }
            let streamed = stream(name, &urls.stream)?;
            if streamed.rows != config.stream_rows as u64 {
                return Err(format!(
                    "{name} streamed {} of {} rows",
                    streamed.rows, config.stream_rows
                ));
            }
            record(
                STREAM.to_owned(),
                (*name).to_owned(),
                "every row of the table, one at a time, in a process of its own (beyond::stream; raw: query_raw)",
                streamed.rows as f64 / streamed.seconds,
            );
            peak.entry((*name).to_owned())
                .or_default()
                .push(streamed.peak_rss_kib as f64);
        }
    }
    Ok(rounds
        .into_iter()
        .map(|((workload, contender), (method, figures))| {
            let per_sec = median(&figures);
            let rows_per_op = workload
                .split_once('_')
                .and_then(|(_, n)| n.parse::<f64>().ok())
                .filter(|_| workload != STREAM)
                .unwrap_or(1.0);
            let peak_rss_kib = (workload == STREAM)
                .then(|| peak.get(&contender).map(|p| median(p) as u64))
                .flatten();
            Sample {
                mean_us: if workload == STREAM {
                    config.stream_rows as f64 * 1e6 / per_sec
                } else {
                    rows_per_op * 1e6 / per_sec
                },
                workload,
                contender,
                tasks: 1,
                per_sec,
                method,
                rounds: figures,
                cpu_us: None,
                peak_rss_kib,
            }
        })
        .collect())
}

/// `bench stream-one NAME URL`: streams every hero of `url` with contender
/// `name` and reports rows, seconds and this process's peak memory.
pub fn stream_one(name: &str, url: &str) -> BenchResult<Streamed> {
    let runtime = tokio::runtime::Runtime::new().map_err(text)?;
    let everyone = HeroSearch::default();
    let (rows, seconds) = runtime.block_on(async {
        let count = |n: u64, _| async move { Ok(n + 1) };
        if name == "tokio-postgres" {
            let client = connect(url).await?;
            let began = Instant::now();
            let rows = client
                .query_raw(
                    "SELECT id, name, secret_name, age, app_src, created_at, team_id
                       FROM heroes ORDER BY id",
                    std::iter::empty::<i64>(),
                )
                .await
                .map_err(text)?;
            let n = rows
                .map(|row| row.map(|r| hero_of(&r)).map_err(text))
                .try_fold(0u64, count)
                .await?;
            return Ok((n, began.elapsed().as_secs_f64()));
        }
        let rust = Rust::connect(name, url, false).await?;
        let began = Instant::now();
        let n = match &rust {
            Rust::SyncDiesel(pool) => {
                let mut conn = pool.get().map_err(text)?;
                sync_diesel::beyond::stream(&mut conn, &everyone)
                    .map_err(text)?
                    .try_fold(0u64, |n, hero| hero.map(|_| n + 1))
                    .map_err(text)?
            }
            Rust::AsyncDiesel(pool) => {
                let mut conn = pool.get().await.map_err(text)?;
                async_diesel::beyond::stream(&mut conn, &everyone)
                    .await
                    .map_err(text)?
                    .map_err(text)
                    .try_fold(0u64, count)
                    .await?
            }
            Rust::SqlxRaw(pool) => {
                let mut conn = pool.acquire().await.map_err(text)?;
                sqlx_raw::beyond::stream(&mut conn, &everyone)
                    .map_err(text)
                    .try_fold(0u64, count)
                    .await?
            }
            Rust::SeaOrm(db) => {
                seaorm_migrate::beyond::stream(db, &everyone)
                    .await
                    .map_err(text)?
                    .map_err(text)
                    .try_fold(0u64, count)
                    .await?
            }
            Rust::Raw(_) | Rust::AsyncDieselShared(_) => 0,
        };
        let seconds = began.elapsed().as_secs_f64();
        rust.close().await;
        Ok::<_, String>((n, seconds))
    })?;
    let status = std::fs::read_to_string("/proc/self/status").map_err(text)?;
    let peak_rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    Ok(Streamed {
        rows,
        seconds,
        peak_rss_kib,
    })
}
