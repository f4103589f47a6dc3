//! Faults under load (`just faults`): each server, in turn, answers a
//! steady mix of `GET /heroes/{id}` and `POST /heroes` on 127.0.0.1 while
//! PostgreSQL fails beneath it, and a ledger of every POST's outcome is
//! checked against the database afterwards.
//!
//! The faults, each in a load of its own against the same server process:
//! 1. every client backend ended with `pg_terminate_backend`, at once,
//!    three times, 2 s apart;
//! 2. PostgreSQL restarted (`pg_ctl stop -m fast`, then started again);
//! 3. `heroes` locked (`ACCESS EXCLUSIVE`) for longer than the servers'
//!    `statement_timeout`, then released;
//! 4. behind PgBouncer, in the mode each crate does best in
//!    (`pgbouncer_mode`): PgBouncer restarted;
//! 5. on a highly available cluster (devdb's `ha`: etcd, three Patroni
//!    nodes with synchronous replication, HAProxy), reached by a
//!    multi-host URL where the driver takes one (libpq, tokio-postgres)
//!    and through HAProxy where it does not (sqlx, so SeaORM; asyncpg
//!    under SQLAlchemy here): a planned switchover, then the leader
//!    killed with SIGKILL. Before them each crate's tour and server are
//!    tried through both kinds of URL (the truth table of the book's
//!    high-availability chapter).
//!
//! Everything runs on a cluster of the run's own ([`ScratchCluster`]: its
//! own folder and port, stopped and deleted at the end), never on the
//! shared one: restarting that would break every other user of it. Unlike
//! devdb's clusters, it runs with `fsync` and `synchronous_commit` on.
//!
//! The ledger: a POST answered 201 is acknowledged and must be in the
//! database (else it is *lost*); a POST answered with an error status must
//! not be (else it is a *phantom*); a POST with no answer (a client timeout,
//! a dropped connection) is *unknown*, counted apart. After the faults, a
//! soak: a moderate load for minutes, with the server's memory and its
//! connections to PostgreSQL read at the start and at the end.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use devdb::ha::{HaCluster, Via};
use devdb::scale::PoolMode;
use devdb::testing::ScratchCluster;
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

use crate::baselines::Tools;
use crate::contenders::{BenchResult, text};
use crate::dataset::{self, connect};
use crate::http::{self, FASTAPI, SERVERS};

/// Terminating every backend.
pub const TERMINATE: &str = "terminate_backends";
/// `pg_ctl` stop and start.
pub const RESTART: &str = "restart_postgres";
/// A table lock past the statement timeout.
pub const LOCK: &str = "table_lock";
/// PgBouncer stopped and started.
pub const PGBOUNCER: &str = "restart_pgbouncer";

/// A planned switchover on the HA cluster (Patroni's `POST /switchover`).
pub const SWITCHOVER: &str = "switchover";
/// The HA cluster's leader killed with SIGKILL (Patroni and PostgreSQL).
pub const LEADER_KILLED: &str = "leader killed";

/// The faults, in the order they run.
pub const FAULTS: [&str; 6] = [
    TERMINATE,
    RESTART,
    LOCK,
    PGBOUNCER,
    SWITCHOVER,
    LEADER_KILLED,
];

/// The faults of the HA cluster, whose recovery counts from the fault's
/// start (see [`FaultRow::recovery_ms`]).
pub const HA_FAULTS: [&str; 2] = [SWITCHOVER, LEADER_KILLED];

/// Each server's pool: 8 connections (per uvicorn worker for FastAPI).
const POOL_SIZE: u64 = 8;

/// A client gives up on a request after this long; the Rust servers answer
/// after 10 s at most (`REQUEST_TIMEOUT_MS`), so a request that reaches it has
/// no answer at all (an *unknown* POST).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// What heroes-api's 500 says when a commit's outcome stayed unknown.
const OUTCOME_UNKNOWN: &str = "whether it took effect was still unknown";

/// One POST in four, the rest GETs.
const POST_EVERY: u64 = 4;

/// How long each part of a run takes.
#[derive(Clone, Copy, Debug)]
pub struct FaultsConfig {
    /// Load before a fault begins.
    pub before: Duration,
    /// Load after a fault ends.
    pub after: Duration,
    /// Between two of the three terminations.
    pub terminate_gap: Duration,
    /// The servers' `statement_timeout` (`STATEMENT_TIMEOUT_MS`).
    pub statement_timeout: Duration,
    /// How long the table lock is held (longer than the statement timeout).
    pub lock_hold: Duration,
    /// Connections of the load.
    pub connections: u32,
    /// At most this many requests per connection in one fault's load.
    pub max_requests: u64,
    /// The soak's warm-up (not counted), then its length.
    pub soak_warmup: Duration,
    /// The soak.
    pub soak: Duration,
    /// The soak's connections, each pausing between requests.
    pub soak_connections: u32,
    /// The pause between a soak connection's requests.
    pub soak_think: Duration,
    /// Whether the HA faults run too (they need Patroni, etcd and HAProxy).
    pub ha: bool,
    /// Whether the single-server faults and the soak run (`--ha-only`: no).
    pub single: bool,
}

impl FaultsConfig {
    /// The full run (`just faults`): a 3-minute soak unless `soak` says otherwise.
    pub fn full(soak: Option<Duration>) -> Self {
        Self {
            before: Duration::from_secs(2),
            after: Duration::from_secs(5),
            terminate_gap: Duration::from_secs(2),
            statement_timeout: Duration::from_millis(1000),
            lock_hold: Duration::from_millis(3000),
            connections: 64,
            max_requests: 100_000,
            soak_warmup: Duration::from_secs(10),
            soak: soak.unwrap_or(Duration::from_secs(180)),
            soak_connections: 16,
            soak_think: Duration::from_millis(10),
            ha: true,
            single: true,
        }
    }

    /// `--quick`, the smoke test's: every fault on every server, briefly.
    pub fn quick() -> Self {
        Self {
            before: Duration::from_secs(1),
            after: Duration::from_secs(3),
            terminate_gap: Duration::from_secs(1),
            statement_timeout: Duration::from_millis(500),
            lock_hold: Duration::from_millis(1500),
            connections: 64,
            max_requests: 20_000,
            soak_warmup: Duration::from_secs(1),
            soak: Duration::from_secs(5),
            soak_connections: 16,
            soak_think: Duration::from_millis(10),
            ha: true,
            single: true,
        }
    }
}

/// One server under one fault.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FaultRow {
    /// The server.
    pub server: String,
    /// One of [`FAULTS`].
    pub fault: String,
    /// What the fault did (backends ended, how long the server was down).
    pub effect: String,
    /// Requests sent.
    pub requests: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Other answers by status (`"none"`: no answer at all).
    pub errors_by_status: BTreeMap<String, u64>,
    /// Answers other than 2xx, 4xx and 503, and requests with no answer.
    pub unexpected: u64,
    /// Of those, the 500s that say a commit's answer was lost and its
    /// outcome still unknown when the server gave up looking (heroes-api's
    /// `outcome.rs`): the honest answer when the database is away longer
    /// than the server looks.
    #[serde(default)]
    pub outcome_unknown: u64,
    /// POSTs answered 201.
    pub acknowledged: u64,
    /// Acknowledged POSTs whose hero is not in the database.
    pub lost: u64,
    /// POSTs answered with an error whose hero is in the database.
    pub phantom: u64,
    /// POSTs with no answer, or a 500 saying the outcome is unknown (their
    /// outcome cannot be known by the client).
    pub unknown: u64,
    /// Heroes of the run's names in the database more than once.
    pub duplicates: u64,
    /// From the fault's end to the first 2xx of a request sent after it, ms
    /// (`None`: no 2xx came). For the HA faults ([`HA_FAULTS`]), from the
    /// fault's start (the switchover's request, the kill) to the first 2xx
    /// of a request sent after the last one that failed: when the server
    /// answers again for good.
    pub recovery_ms: Option<u64>,
    /// The server's connections to PostgreSQL a second after the load.
    pub connections_after: u64,
    /// Its pool's size.
    pub pool_size: u64,
    /// Whether `/readyz` answered 200 after the run.
    pub ready_after: bool,
    /// The first unexpected outcome: its status (or `none`) and body (or
    /// the client's error).
    pub first_unexpected: Option<String>,
    /// How the server reached the HA cluster (`multi-host`, `haproxy`);
    /// `None` for the other faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// One crate's tour or server started with one kind of URL of the HA
/// cluster.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HaPath {
    /// The crate.
    pub server: String,
    /// `multi-host` or `haproxy`.
    pub via: String,
    /// `tour` or `serve`.
    pub command: String,
    /// Whether it ran (the tour to the end; the server to `/readyz` 200).
    pub ok: bool,
    /// Its last line on failure (its error), else what it printed last.
    pub detail: String,
}

/// One server's soak.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SoakRow {
    /// The server.
    pub server: String,
    /// Measured length, s.
    pub seconds: f64,
    /// Requests sent.
    pub requests: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Answers other than 2xx, 4xx and 503, and requests with no answer.
    pub unexpected: u64,
    /// Acknowledged POSTs missing from the database.
    pub lost: u64,
    /// Resident memory after the warm-up, KiB (uvicorn: master + workers).
    pub rss_start_kib: u64,
    /// At the end, KiB.
    pub rss_end_kib: u64,
    /// Connections to PostgreSQL after the warm-up.
    pub connections_start: u64,
    /// At the end.
    pub connections_end: u64,
    /// Its pool's size.
    pub pool_size: u64,
}

/// Everything `bench faults` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FaultsResults {
    /// When (UTC).
    pub date: String,
    /// The command that produced it.
    pub command: String,
    /// Loads, timings and settings, in words.
    pub method: String,
    /// Every server × fault.
    pub rows: Vec<FaultRow>,
    /// Every server's soak.
    pub soak: Vec<SoakRow>,
    /// Each crate's tour and server through each kind of HA URL.
    #[serde(default)]
    pub ha_paths: Vec<HaPath>,
}

/// One request's outcome, times in ms from the load's start.
#[derive(Clone, Debug)]
struct Outcome {
    sent_ms: f64,
    done_ms: f64,
    /// The hero's name, for a POST.
    posted: Option<String>,
    /// The answer's status; `None` when none came.
    status: Option<u16>,
    /// For an unexpected outcome: the answer's body, or the client's error.
    detail: Option<String>,
}

/// A load running on the runtime's threads until [`Load::finish`].
struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Outcome>>>,
    began: Instant,
}

impl Load {
    /// `connections` clients on `port`, each sending one request at a time
    /// (one POST in [`POST_EVERY`], names `{prefix}-{client}-{n}`), pausing
    /// `think` between requests, at most `max_requests` each.
    fn start(
        runtime: &Runtime,
        port: u16,
        connections: u32,
        prefix: &str,
        think: Duration,
        max_requests: u64,
    ) -> BenchResult<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let began = Instant::now();
        let mut tasks = Vec::new();
        for client_no in 0..connections {
            // A client of its own per connection, as wrk's connections are.
            let client = reqwest::Client::builder()
                .timeout(CLIENT_TIMEOUT)
                .pool_max_idle_per_host(1)
                .build()
                .map_err(text)?;
            let stop = Arc::clone(&stop);
            let base = format!("http://127.0.0.1:{port}");
            let prefix = format!("{prefix}-{client_no}");
            tasks.push(runtime.spawn(async move {
                let mut outcomes = Vec::new();
                let mut n: u64 = 0;
                while !stop.load(Ordering::Relaxed) && n < max_requests {
                    n += 1;
                    let sent = began.elapsed();
                    let (request, posted) = if n.is_multiple_of(POST_EVERY) {
                        let name = format!("{prefix}-{n}");
                        let body = serde_json::json!({ "name": name, "age": 30 });
                        (
                            client.post(format!("{base}/heroes")).json(&body),
                            Some(name),
                        )
                    } else {
                        let id = (u64::from(client_no) * 7919 + n * 104_729) % 10_000 + 1;
                        (client.get(format!("{base}/heroes/{id}")), None)
                    };
                    // The body is read, so that the connection is reused.
                    let (status, detail) = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            match response.text().await {
                                Ok(body) => (Some(status), Some(body)),
                                Err(err) => (None, Some(err.to_string())),
                            }
                        }
                        Err(err) => (None, Some(err.to_string())),
                    };
                    let detail = detail
                        .filter(|_| is_unexpected(status))
                        .map(|d| d.chars().take(600).collect());
                    outcomes.push(Outcome {
                        sent_ms: sent.as_secs_f64() * 1e3,
                        done_ms: began.elapsed().as_secs_f64() * 1e3,
                        posted,
                        status,
                        detail,
                    });
                    if !think.is_zero() {
                        tokio::time::sleep(think).await;
                    }
                }
                outcomes
            }));
        }
        Ok(Self { stop, tasks, began })
    }

    /// Milliseconds since the load began.
    fn now_ms(&self) -> f64 {
        self.began.elapsed().as_secs_f64() * 1e3
    }

    /// Stops the clients and gathers what they saw (each finishes the
    /// request it has in flight, bounded by the client timeout).
    fn finish(self, runtime: &Runtime) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        runtime.block_on(async {
            let mut all = Vec::new();
            for task in self.tasks {
                all.extend(task.await.unwrap_or_default());
            }
            all
        })
    }
}

/// The ledger's verdict on a load's POSTs, from the heroes named `prefix…`.
#[derive(Debug, Default)]
struct Ledger {
    acknowledged: u64,
    lost: u64,
    phantom: u64,
    unknown: u64,
    duplicates: u64,
}

async fn check_ledger(url: &str, prefix: &str, outcomes: &[Outcome]) -> BenchResult<Ledger> {
    let client = connect(url).await?;
    let rows = client
        .query(
            "SELECT name, count(*) FROM heroes WHERE name LIKE $1 GROUP BY name",
            &[&format!("{prefix}-%")],
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    let stored: HashMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut ledger = Ledger {
        duplicates: u64::try_from(stored.values().filter(|c| **c > 1).count()).unwrap_or(0),
        ..Ledger::default()
    };
    for outcome in outcomes {
        let Some(name) = &outcome.posted else {
            continue;
        };
        let present = stored.contains_key(name);
        match outcome.status {
            Some(201) => {
                ledger.acknowledged += 1;
                ledger.lost += u64::from(!present);
            }
            // The server said it does not know either.
            _ if says_outcome_unknown(outcome) => ledger.unknown += 1,
            Some(_) => ledger.phantom += u64::from(present),
            None => ledger.unknown += 1,
        }
    }
    Ok(ledger)
}

/// The server's connections to database `name` (not counting this one).
async fn connections_to(admin_url: &str, name: &str) -> BenchResult<u64> {
    let client = connect(admin_url).await?;
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
}

/// A 500 that says the commit's outcome is unknown (heroes-api's
/// `outcome.rs`): neither a claim that the write was kept nor that it was
/// not, so the ledger counts it with the POSTs that got no answer.
fn says_outcome_unknown(outcome: &Outcome) -> bool {
    outcome.status == Some(500)
        && outcome
            .detail
            .as_deref()
            .is_some_and(|d| d.contains(OUTCOME_UNKNOWN))
}

/// A 2xx answer.
fn is_ok(status: Option<u16>) -> bool {
    matches!(status, Some(200..=299))
}

/// Answers that are not 2xx, 4xx or 503, plus requests with no answer.
fn is_unexpected(status: Option<u16>) -> bool {
    !matches!(status, Some(200..=299 | 400..=499 | 503))
}

/// Where a fault's server keeps its data: the database's URL (for the
/// ledger) and the maintenance database's (to count connections), on the
/// scratch cluster or the HA cluster's leader.
struct Target {
    direct: String,
    admin: String,
    mode: Option<PoolMode>,
    via: Option<&'static str>,
}

/// What the fault did, and when (ms from the load's start) it ended.
struct Injected {
    effect: String,
    ended_ms: f64,
}

/// The run's cluster, and where each server's database is.
struct Bed {
    scratch: ScratchCluster,
    /// The HA cluster beside the scratch cluster, once started.
    ha: Option<HaCluster>,
    runtime: Runtime,
    tools: Tools,
    config: FaultsConfig,
}

impl Bed {
    fn admin_url(&self) -> String {
        self.scratch.url()
    }

    /// Runs `fault` against the server on `port` under load; `database` is
    /// the server's, `mode` PgBouncer's when the server goes through it.
    fn one_fault(
        &self,
        server: &str,
        fault: &str,
        port: u16,
        database: &str,
        target: &Target,
        stamp: i64,
    ) -> BenchResult<FaultRow> {
        let config = self.config;
        let prefix = format!("f{stamp}-{}", fault.replace(' ', "_"));
        let direct = &target.direct;
        let load = Load::start(
            &self.runtime,
            port,
            config.connections,
            &prefix,
            Duration::ZERO,
            config.max_requests,
        )?;
        std::thread::sleep(config.before);
        let injected = match self.inject(fault, &load, direct, target.mode) {
            Ok(injected) => injected,
            Err(err) => {
                let _ = load.finish(&self.runtime);
                return Err(format!("{fault} on {server}: {err}"));
            }
        };
        std::thread::sleep(config.after);
        let outcomes = load.finish(&self.runtime);
        std::thread::sleep(Duration::from_secs(1));
        let ledger = self
            .runtime
            .block_on(check_ledger(direct, &prefix, &outcomes))?;
        let connections_after = self
            .runtime
            .block_on(connections_to(&target.admin, database))?;
        let mut errors_by_status = BTreeMap::new();
        for outcome in outcomes.iter().filter(|o| !is_ok(o.status)) {
            let key = outcome.status.map_or("none".to_owned(), |s| s.to_string());
            *errors_by_status.entry(key).or_insert(0) += 1;
        }
        let recovery_ms = if HA_FAULTS.contains(&fault) {
            settled_ms(&outcomes, injected.ended_ms)
        } else {
            outcomes
                .iter()
                .filter(|o| is_ok(o.status) && o.sent_ms >= injected.ended_ms)
                .map(|o| o.done_ms - injected.ended_ms)
                .min_by(f64::total_cmp)
                .map(|ms| ms.round() as u64)
        };
        Ok(FaultRow {
            server: server.to_owned(),
            fault: fault.to_owned(),
            effect: injected.effect,
            requests: outcomes.len() as u64,
            ok: outcomes.iter().filter(|o| is_ok(o.status)).count() as u64,
            errors_by_status,
            unexpected: outcomes.iter().filter(|o| is_unexpected(o.status)).count() as u64,
            outcome_unknown: outcomes.iter().filter(|o| says_outcome_unknown(o)).count() as u64,
            acknowledged: ledger.acknowledged,
            lost: ledger.lost,
            phantom: ledger.phantom,
            unknown: ledger.unknown,
            duplicates: ledger.duplicates,
            recovery_ms,
            connections_after,
            pool_size: pool_size(server),
            ready_after: http::get_status(port, "/readyz") == Some(200),
            first_unexpected: outcomes
                .iter()
                .filter(|o| is_unexpected(o.status))
                .min_by(|a, b| a.sent_ms.total_cmp(&b.sent_ms))
                .map(|o| {
                    let status = o.status.map_or("none".to_owned(), |s| s.to_string());
                    format!("{status}: {}", o.detail.as_deref().unwrap_or(""))
                }),
            via: target.via.map(str::to_owned),
        })
    }

    /// Does `fault` now (`direct`: the server's database, on the cluster);
    /// returns when it has ended.
    fn inject(
        &self,
        fault: &str,
        load: &Load,
        direct: &str,
        mode: Option<PoolMode>,
    ) -> BenchResult<Injected> {
        let devdb = self.scratch.devdb();
        let effect = match fault {
            TERMINATE => {
                let mut ended = Vec::new();
                for round in 0..3 {
                    if round > 0 {
                        std::thread::sleep(self.config.terminate_gap);
                    }
                    let n: i64 = self.runtime.block_on(async {
                        let client = connect(&self.admin_url()).await?;
                        client
                            .query_one(
                                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                                 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                                &[],
                            )
                            .await
                            .map(|r| r.get(0))
                            .map_err(|e| format!("{e:?}"))
                    })?;
                    ended.push(n.to_string());
                }
                format!("backends ended: {}", ended.join(", "))
            }
            RESTART => {
                let began = Instant::now();
                devdb.cluster().stop().map_err(text)?;
                devdb.ensure_server().map_err(text)?;
                format!("down for {} ms", began.elapsed().as_millis())
            }
            LOCK => {
                let hold = self.config.lock_hold;
                self.runtime.block_on(async {
                    let client = connect(direct).await?;
                    client
                        .batch_execute("BEGIN; LOCK TABLE heroes IN ACCESS EXCLUSIVE MODE")
                        .await
                        .map_err(|e| format!("{e:?}"))?;
                    tokio::time::sleep(hold).await;
                    client
                        .batch_execute("COMMIT")
                        .await
                        .map_err(|e| format!("{e:?}"))
                })?;
                format!(
                    "locked for {} ms (statement_timeout {} ms)",
                    hold.as_millis(),
                    self.config.statement_timeout.as_millis()
                )
            }
            PGBOUNCER => {
                let mode = mode.ok_or("the PgBouncer fault needs a server behind PgBouncer")?;
                let began = Instant::now();
                devdb::scale::Pooler::new(devdb.settings(), mode)
                    .stop()
                    .map_err(text)?;
                devdb.pooler_url("postgres", mode).map_err(text)?;
                format!(
                    "PgBouncer ({} mode) down for {} ms",
                    mode.name(),
                    began.elapsed().as_millis()
                )
            }
            SWITCHOVER => {
                let ha = self.ha_ready()?;
                let began = load.now_ms();
                let (old, new) = ha.switchover().map_err(text)?;
                return Ok(Injected {
                    effect: format!(
                        "{} to {}: Patroni answered after {} ms",
                        old.name,
                        new.name,
                        (load.now_ms() - began).round()
                    ),
                    ended_ms: began,
                });
            }
            LEADER_KILLED => {
                let ha = self.ha_ready()?;
                let old = ha.kill_leader().map_err(text)?;
                let began = load.now_ms();
                let new = ha.wait_for_new_leader(&old).map_err(text)?;
                return Ok(Injected {
                    effect: format!(
                        "{} killed; {} the leader behind HAProxy after {} ms",
                        old.name,
                        new.name,
                        (load.now_ms() - began).round()
                    ),
                    ended_ms: began,
                });
            }
            other => return Err(format!("no fault named {other}")),
        };
        Ok(Injected {
            effect,
            ended_ms: load.now_ms(),
        })
    }

    /// The HA cluster, once healthy: a fault's time counts from its start,
    /// not from a wait for the cluster to settle after the last one.
    fn ha_ready(&self) -> BenchResult<&HaCluster> {
        let ha = self.ha.as_ref().ok_or("this fault needs the HA cluster")?;
        ha.ready().map_err(text)?;
        Ok(ha)
    }

    /// The environment of a server of this run: this cluster's folder, and
    /// `vars` on top.
    fn env(&self, vars: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
        let mut env = vec![(
            "PGDEV_DIR",
            self.scratch.dir().to_string_lossy().into_owned(),
        )];
        env.extend(vars.iter().cloned());
        env
    }

    /// Every fault and the soak against `server`: the first three and the
    /// soak with the server connected to PostgreSQL directly, the last with
    /// it behind PgBouncer.
    fn server(&self, server: &str, stamp: i64) -> BenchResult<(Vec<FaultRow>, SoakRow)> {
        let devdb = self.scratch.devdb();
        let database = database_name(server);
        let direct = devdb.direct_url(&database).map_err(text)?;
        if server == FASTAPI {
            // The schema from the same migrations as everyone else's.
            self.runtime.block_on(dataset::migrate(&direct))?;
        }
        let timeout = self.config.statement_timeout.as_millis().to_string();
        let mut vars = vec![("STATEMENT_TIMEOUT_MS", timeout)];
        if server != FASTAPI {
            vars.push(("DATABASE_URL", self.scratch.url()));
        }
        eprintln!("faults: {server}, connected directly");
        let process = http::start_with(server, &direct, &database, &self.tools, &self.env(&vars))?;
        self.runtime.block_on(dataset::reload(&direct))?;
        let mut rows = Vec::new();
        let target = Target {
            direct: direct.clone(),
            admin: self.admin_url(),
            mode: None,
            via: None,
        };
        for fault in [TERMINATE, RESTART, LOCK] {
            eprintln!("faults: {server}: {fault}");
            rows.push(self.one_fault(server, fault, process.port, &database, &target, stamp)?);
        }
        eprintln!("faults: {server}: soak ({} s)", self.config.soak.as_secs());
        let soak = self.soak(server, &process, &database, stamp)?;
        drop(process);

        let (mode, cache) = pgbouncer_mode(server);
        let mut vars = vec![(
            "STATEMENT_CACHE",
            if cache { "on" } else { "off" }.to_owned(),
        )];
        let url = if server == FASTAPI {
            // SQLAlchemy's own cache of prepared statements, off as well.
            let pooled = devdb.pooler_url(&database, mode).map_err(text)?;
            format!("{pooled}?prepared_statement_cache_size=0")
        } else {
            vars.push((
                "DATABASE_URL",
                devdb.pooler_url("postgres", mode).map_err(text)?,
            ));
            direct
        };
        eprintln!("faults: {server}, behind PgBouncer ({} mode)", mode.name());
        let process = http::start_with(server, &url, &database, &self.tools, &self.env(&vars))?;
        eprintln!("faults: {server}: {PGBOUNCER}");
        let target = Target {
            mode: Some(mode),
            ..target
        };
        rows.push(self.one_fault(server, PGBOUNCER, process.port, &database, &target, stamp)?);
        drop(process);
        Ok((rows, soak))
    }

    /// The HA faults against `server`, reached as [`ha_via`] says.
    fn ha_server(&self, server: &str, stamp: i64) -> BenchResult<Vec<FaultRow>> {
        let ha = self.ha.as_ref().ok_or("no HA cluster")?;
        let database = database_name(server);
        let direct = ha_database(ha, &database)?;
        if server == FASTAPI {
            self.runtime.block_on(dataset::migrate(&direct))?;
        }
        let via = ha_via(server);
        let timeout = self.config.statement_timeout.as_millis().to_string();
        let mut vars = vec![("STATEMENT_TIMEOUT_MS", timeout)];
        if server != FASTAPI {
            vars.push(("DATABASE_URL", ha.url("postgres", via).map_err(text)?));
        }
        let url = direct.clone();
        eprintln!("faults: {server}, on the HA cluster ({})", via_name(via));
        let process = http::start_with(server, &url, &database, &self.tools, &self.env(&vars))?;
        self.runtime.block_on(dataset::reload(&direct))?;
        let target = Target {
            direct,
            admin: ha.url("postgres", Via::Haproxy).map_err(text)?,
            mode: None,
            via: Some(via_name(via)),
        };
        let mut rows = Vec::new();
        for fault in HA_FAULTS {
            eprintln!("faults: {server}: {fault}");
            rows.push(self.one_fault(server, fault, process.port, &database, &target, stamp)?);
        }
        drop(process);
        // The killed node rejoins as a standby before the next server.
        ha.up().map_err(text)?;
        Ok(rows)
    }

    /// Each crate's tour and server through a multi-host URL and through
    /// HAProxy: which start, and what the others say.
    fn ha_paths(&self) -> BenchResult<Vec<HaPath>> {
        let ha = self.ha.as_ref().ok_or("no HA cluster")?;
        let exe = std::env::current_exe().map_err(text)?;
        let mut paths = Vec::new();
        for server in crate::scale::CRATES {
            for via in [Via::MultiHost, Via::Haproxy] {
                let database = format!("ha_paths_{}", server.replace('-', "_"));
                ha_database(ha, &database)?;
                let env = self.env(&[("DATABASE_URL", ha.url("postgres", via).map_err(text)?)]);
                for command in ["tour", "serve"] {
                    eprintln!("faults: {server} {command} through {}", via_name(via));
                    let (ok, detail) = try_crate(&exe, server, &database, command, &env)?;
                    paths.push(HaPath {
                        server: server.to_owned(),
                        via: via_name(via).to_owned(),
                        command: command.to_owned(),
                        ok,
                        detail,
                    });
                }
            }
        }
        Ok(paths)
    }

    /// A moderate load for [`FaultsConfig::soak`] after a warm-up, with the
    /// server's memory and connections read at both ends.
    fn soak(
        &self,
        server: &str,
        process: &http::Server,
        database: &str,
        stamp: i64,
    ) -> BenchResult<SoakRow> {
        let config = self.config;
        let prefix = format!("s{stamp}");
        let load = Load::start(
            &self.runtime,
            process.port,
            config.soak_connections,
            &prefix,
            config.soak_think,
            u64::MAX,
        )?;
        std::thread::sleep(config.soak_warmup);
        let pid = process.child.id();
        let rss_start_kib = http::memory_kib(pid, "VmRSS:");
        let connections_start = self
            .runtime
            .block_on(connections_to(&self.admin_url(), database))?;
        let began = Instant::now();
        std::thread::sleep(config.soak);
        let rss_end_kib = http::memory_kib(pid, "VmRSS:");
        let connections_end = self
            .runtime
            .block_on(connections_to(&self.admin_url(), database))?;
        let seconds = began.elapsed().as_secs_f64();
        let outcomes = load.finish(&self.runtime);
        let direct = self.scratch.devdb().direct_url(database).map_err(text)?;
        let ledger = self
            .runtime
            .block_on(check_ledger(&direct, &prefix, &outcomes))?;
        Ok(SoakRow {
            server: server.to_owned(),
            seconds,
            requests: outcomes.len() as u64,
            ok: outcomes.iter().filter(|o| is_ok(o.status)).count() as u64,
            unexpected: outcomes.iter().filter(|o| is_unexpected(o.status)).count() as u64,
            lost: ledger.lost,
            rss_start_kib,
            rss_end_kib,
            connections_start,
            connections_end,
            pool_size: pool_size(server),
        })
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        if let Some(ha) = &self.ha
            && let Err(err) = ha.down()
        {
            eprintln!("faults: could not stop the HA cluster: {err}");
        }
    }
}

/// The PgBouncer mode each server runs in as written (the crates' own
/// `..._run_through_pgbouncer_...` tests), and whether its statement cache
/// is on: sync Diesel's unnamed statements fit transaction mode;
/// diesel-async and sqlx (so SeaORM) name every statement, which only
/// session mode carries outside a transaction; FastAPI's asyncpg with
/// unique statement names and no cache, SQLAlchemy's documented setting.
fn pgbouncer_mode(server: &str) -> (PoolMode, bool) {
    match server {
        "sync-diesel" => (PoolMode::Transaction, false),
        FASTAPI => (PoolMode::Transaction, false),
        _ => (PoolMode::Session, true),
    }
}

/// How `server` reaches the HA cluster: a multi-host URL where its driver
/// takes one (libpq under sync Diesel, tokio-postgres under diesel-async),
/// HAProxy where it does not (sqlx, so SeaORM; and, here, SQLAlchemy's
/// asyncpg, whose multi-host form SQLAlchemy spells apart).
fn ha_via(server: &str) -> Via {
    match server {
        "sync-diesel" | "async-diesel" => Via::MultiHost,
        _ => Via::Haproxy,
    }
}

fn via_name(via: Via) -> &'static str {
    match via {
        Via::MultiHost => "multi-host",
        Via::Haproxy => "haproxy",
        Via::HaproxyReplica => "haproxy-replica",
    }
}

/// Creates `database` on the HA cluster's leader if missing and waits
/// until every standby has it (tokio-postgres, finding no writable host
/// mid-switchover, reports the last host's error: from a standby without
/// the database, "does not exist"); its URL through HAProxy.
fn ha_database(ha: &HaCluster, database: &str) -> BenchResult<String> {
    let primary = ha.url("postgres", Via::Haproxy).map_err(text)?;
    devdb::DevDb::new(devdb::Settings::new(&primary).map_err(text)?)
        .direct_url(database)
        .map_err(text)?;
    ha.wait_for_database(database).map_err(text)?;
    ha.url(database, Via::Haproxy).map_err(text)
}

/// From `start_ms` to the first 2xx answer to a request sent after the
/// last request that failed (one sent before the fault and answered after
/// it counts), ms; `None` when no 2xx came after it.
fn settled_ms(outcomes: &[Outcome], start_ms: f64) -> Option<u64> {
    let last_failure = outcomes
        .iter()
        .filter(|o| !is_ok(o.status) && o.done_ms >= start_ms)
        .map(|o| o.sent_ms)
        .max_by(f64::total_cmp)
        .unwrap_or(start_ms)
        .max(start_ms);
    outcomes
        .iter()
        .filter(|o| is_ok(o.status) && o.sent_ms >= last_failure)
        .map(|o| o.done_ms - start_ms)
        .min_by(f64::total_cmp)
        .map(|ms| ms.round() as u64)
}

/// Runs `server`'s `command` (`tour`, or `serve` until `/readyz` answers
/// 200, 60 s at most) by this binary's `serve-crate`: whether it ran, and
/// its last line of output.
fn try_crate(
    exe: &Path,
    server: &str,
    database: &str,
    command: &str,
    env: &[(&'static str, String)],
) -> BenchResult<(bool, String)> {
    let port = http::free_port()?;
    let mut args = vec!["serve-crate", server, "--database", database, command];
    let addr = format!("127.0.0.1:{port}");
    if command == "serve" {
        args.extend(["--addr", &addr]);
    }
    let log = std::env::temp_dir().join(format!(
        "bench-ha-{}-{server}-{command}.log",
        std::process::id()
    ));
    let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = std::process::Command::new(exe)
        .args(&args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .env_remove("ECHO")
        .stdout(file.try_clone().map_err(text)?)
        .stderr(file)
        .spawn()
        .map_err(|e| format!("cannot start {server}: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let ok = loop {
        if command == "serve" && http::get_status(port, "/readyz") == Some(200) {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
            break true;
        }
        if let Some(status) = child.try_wait().map_err(text)? {
            break status.success() && command == "tour";
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let detail = output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned();
    Ok((
        ok,
        if ok && command == "serve" {
            "ready".to_owned()
        } else {
            detail
        },
    ))
}

/// The database of `server` on the run's cluster.
fn database_name(server: &str) -> String {
    http::database_name(server).replacen("bench_http_", "faults_", 1)
}

/// How many connections `server` may hold.
fn pool_size(server: &str) -> u64 {
    if server == FASTAPI {
        POOL_SIZE * http::workers() as u64
    } else {
        POOL_SIZE
    }
}

/// Runs every fault and the soak against each of `servers` (all when
/// empty), on a cluster of the run's own that is stopped and deleted at
/// the end.
pub fn run(config: FaultsConfig, servers: &[String], tools: Tools) -> BenchResult<FaultsResults> {
    let known: Vec<&str> = SERVERS
        .iter()
        .copied()
        .filter(|s| *s != http::FASTAPI_AUTOCOMMIT) // the study's server is enough
        .filter(|s| *s != http::FLOOR) // a benchmark contender, not the API
        .collect();
    let chosen: Vec<&str> = known
        .iter()
        .copied()
        .filter(|s| servers.is_empty() || servers.iter().any(|w| w == s))
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "no server named {}; the servers: {}",
            servers.join(", "),
            known.join(", ")
        ));
    }
    let scratch = ScratchCluster::new().map_err(text)?;
    eprintln!(
        "faults: starting a cluster of the run's own on port {} ({})",
        scratch.port(),
        scratch.dir().display()
    );
    scratch.devdb().ensure_server().map_err(text)?;
    let runtime = Runtime::new().map_err(text)?;
    // devdb's clusters trade durability for speed (fsync and
    // synchronous_commit off); a run that asks what survives a restart
    // turns both back on.
    runtime.block_on(async {
        let client = connect(&scratch.url()).await?;
        for sql in [
            "ALTER SYSTEM SET fsync = on",
            "ALTER SYSTEM SET synchronous_commit = on",
            "SELECT pg_reload_conf()",
        ] {
            client
                .batch_execute(sql)
                .await
                .map_err(|e| format!("{e:?}"))?;
        }
        BenchResult::Ok(())
    })?;
    let mut bed = Bed {
        scratch,
        ha: None,
        runtime,
        tools,
        config,
    };
    let stamp = chrono::Utc::now().timestamp();
    let mut results = FaultsResults {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        method: format!(
            "A cluster of the run's own with fsync and synchronous_commit on. \
             {} connections, one request at a time each (one POST /heroes with a new name in {POST_EVERY}, \
             the rest GET /heroes/{{id}}), from {} s before each fault to {} s after it ends; \
             client timeout {} s; the servers' statement_timeout {} ms (`STATEMENT_TIMEOUT_MS`), \
             their pools {POOL_SIZE} connections (FastAPI: per uvicorn worker, {} workers); \
             the soak: {} connections pausing {} ms between requests, {} s after a {} s warm-up.",
            config.connections,
            config.before.as_secs_f64(),
            config.after.as_secs_f64(),
            CLIENT_TIMEOUT.as_secs(),
            config.statement_timeout.as_millis(),
            http::workers(),
            config.soak_connections,
            config.soak_think.as_millis(),
            config.soak.as_secs(),
            config.soak_warmup.as_secs(),
        ),
        ..FaultsResults::default()
    };
    for server in chosen.iter().filter(|_| config.single) {
        let (rows, soak) = bed.server(server, stamp)?;
        results.rows.extend(rows);
        results.soak.push(soak);
    }
    if config.ha {
        let ha = HaCluster::new(bed.scratch.devdb().settings());
        eprintln!(
            "faults: starting a highly available cluster of the run's own ({})",
            ha.dir().display()
        );
        // Stopped with the bed, before the scratch cluster's folder goes.
        bed.ha = Some(ha.clone());
        ha.up().map_err(text)?;
        results.ha_paths = bed.ha_paths()?;
        for server in &chosen {
            results.rows.extend(bed.ha_server(server, stamp)?);
        }
    }
    Ok(results)
}

/// Whether `server` is one of the four Rust servers (the goals are theirs).
pub fn is_rust(server: &str) -> bool {
    crate::scale::CRATES.contains(&server)
}

/// What each fault is, for the report.
fn title(fault: &str) -> &'static str {
    match fault {
        TERMINATE => "Every backend terminated, three times, 2 s apart",
        RESTART => "PostgreSQL restarted (`pg_ctl stop -m fast`, then started)",
        LOCK => "`heroes` locked past the statement timeout",
        PGBOUNCER => "PgBouncer restarted, the server behind it",
        SWITCHOVER => "HA cluster: a planned switchover to the synchronous standby",
        LEADER_KILLED => "HA cluster: the leader killed (Patroni and PostgreSQL, SIGKILL)",
        _ => "?",
    }
}

/// The recovery each fault's goal allows, ms.
pub fn recovery_goal_ms(fault: &str) -> u64 {
    match fault {
        SWITCHOVER => 5_000,
        LEADER_KILLED => 20_000,
        _ => 2_000,
    }
}

/// A count of unexpected answers, with how many of them were "outcome
/// unknown" 500s.
fn with_unknown(unexpected: u64, outcome_unknown: u64) -> String {
    if outcome_unknown == 0 {
        unexpected.to_string()
    } else {
        format!("{unexpected} ({outcome_unknown} outcome unknown)")
    }
}

/// docs/FAULTS.md from the figures.
pub fn render(results: &FaultsResults) -> String {
    let mut md = String::new();
    md.push_str(
        "<!-- Generated by `just faults` from docs/FAULTS.json (crates/bench/src/faults.rs); do not edit. -->\n\
         # Faults under load\n\n\
         Each server of the heroes API, and the study's FastAPI + SQLAlchemy, under steady \
         load on 127.0.0.1 while PostgreSQL fails beneath it, on a cluster of the run's own. \
         A ledger records every `POST /heroes` and is checked against the database afterwards: \
         an acknowledged (201) hero missing is **lost**, a hero whose POST got an error but is \
         stored is a **phantom**, a POST with no answer at all, or a 500 saying that the outcome of its commit \
         is unknown, is **unknown**. An answer other \
         than 2xx, 4xx or 503, or none at all, is **unexpected**. **Recovery** is the time from \
         the fault's end to the first 2xx answer to a request sent after it; on the highly \
         available cluster, from the switchover's request or the kill to the first 2xx answer \
         to a request sent after the last one that failed.\n\n",
    );
    md.push_str(&format!(
        "Measured {} with `{}`. {}\n\n",
        results.date, results.command, results.method
    ));
    md.push_str(
        "## Goals\n\nFor every Rust server: 0 lost, 0 phantom and 0 unexpected in every fault, \
         recovery within 2 s (on the HA cluster: 5 s after a switchover, 20 s after the leader \
         is killed, Patroni's `ttl` being 10 s), ready afterwards, and in the soak memory \
         within 10% of its start and no more connections than the pool's size. The FastAPI \
         row is measured the same way, without a goal.\n\n\
         | server | lost | phantom | unexpected | unknown | slowest recovery | HA recovery (switchover, leader killed) | soak memory | connections after (pool) | goals |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut servers: Vec<&str> = results.soak.iter().map(|s| s.server.as_str()).collect();
    for row in &results.rows {
        if !servers.contains(&row.server.as_str()) {
            servers.push(&row.server);
        }
    }
    for server in servers {
        let soak = results.soak.iter().find(|s| s.server == server);
        let rows: Vec<&FaultRow> = results.rows.iter().filter(|r| r.server == server).collect();
        let sum = |f: fn(&FaultRow) -> u64| rows.iter().map(|r| f(r)).sum::<u64>();
        let slowest = rows
            .iter()
            .filter(|r| !HA_FAULTS.contains(&r.fault.as_str()))
            .map(|r| r.recovery_ms)
            .try_fold(0, |acc, r| r.map(|ms| acc.max(ms)));
        let ms = |r: Option<u64>| r.map_or("never".to_owned(), |ms| format!("{ms} ms"));
        let ha_recovery = HA_FAULTS
            .iter()
            .filter_map(|f| rows.iter().find(|r| r.fault == *f))
            .map(|r| ms(r.recovery_ms))
            .collect::<Vec<_>>();
        let ha_recovery = if ha_recovery.is_empty() {
            "not run".to_owned()
        } else {
            ha_recovery.join(", ")
        };
        let growth = soak.map(|s| s.rss_end_kib as f64 / s.rss_start_kib.max(1) as f64 - 1.0);
        let most = rows
            .iter()
            .map(|r| r.connections_after)
            .chain(soak.map(|s| s.connections_end))
            .max()
            .unwrap_or(0);
        let pool_size = soak.map_or_else(|| pool_size(server), |s| s.pool_size);
        let unexpected = sum(|r| r.unexpected) + soak.map_or(0, |s| s.unexpected);
        let shown = with_unknown(unexpected, sum(|r| r.outcome_unknown));
        let met = sum(|r| r.lost) == 0
            && sum(|r| r.phantom) == 0
            && unexpected == 0
            && rows.iter().all(|r| {
                r.recovery_ms
                    .is_some_and(|ms| ms <= recovery_goal_ms(&r.fault))
            })
            && growth.is_none_or(|g| g.abs() <= 0.10)
            && most <= pool_size
            && rows.iter().all(|r| r.ready_after);
        let verdict = if !is_rust(server) {
            "(no goal)".to_owned()
        } else if met {
            "met".to_owned()
        } else {
            "**missed**".to_owned()
        };
        md.push_str(&format!(
            "| {server} | {} | {} | {shown} | {} | {} | {ha_recovery} | {} | {most} ({pool_size}) | {verdict} |\n",
            sum(|r| r.lost),
            sum(|r| r.phantom),
            sum(|r| r.unknown),
            ms(slowest),
            growth.map_or("not run".to_owned(), |g| format!("{:+.1}%", g * 100.0)),
        ));
    }
    for fault in FAULTS {
        let rows: Vec<&FaultRow> = results.rows.iter().filter(|r| r.fault == fault).collect();
        if rows.is_empty() {
            continue;
        }
        // The book's high-availability chapter includes the HA tables.
        let anchor = fault.replace(' ', "_");
        let about = if HA_FAULTS.contains(&fault) {
            format!(
                "On a highly available cluster of the run's own (`devdb ha`: etcd, three Patroni \
                 nodes with `synchronous_mode` and a {} s `ttl`, HAProxy), each server reaching \
                 it as the parentheses say (book/src/high-availability.md).\n\n",
                devdb::ha::TTL_S
            )
        } else {
            String::new()
        };
        md.push_str(&format!(
            "\n## {}\n\n{about}<!-- ANCHOR: {anchor} -->\n\
             | server | what it did | requests | 2xx | other answers | unexpected | POSTs acknowledged | lost | phantom | unknown | recovery | connections after (pool) | ready after |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
            title(fault)
        ));
        for r in &rows {
            let others = if r.errors_by_status.is_empty() {
                "none".to_owned()
            } else {
                r.errors_by_status
                    .iter()
                    .map(|(status, n)| format!("{status}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let server = match &r.via {
                Some(via) => format!("{} ({via})", r.server),
                None => r.server.clone(),
            };
            md.push_str(&format!(
                "| {server} | {} | {} | {} | {others} | {} | {} | {} | {} | {} | {} | {} ({}) | {} |\n",
                r.effect,
                r.requests,
                r.ok,
                with_unknown(r.unexpected, r.outcome_unknown),
                r.acknowledged,
                r.lost,
                r.phantom,
                r.unknown,
                r.recovery_ms
                    .map_or("never".to_owned(), |ms| format!("{ms} ms")),
                r.connections_after,
                r.pool_size,
                if r.ready_after { "yes" } else { "**no**" },
            ));
        }
        // What the first unexpected answer said: the server's own reason.
        let firsts: Vec<String> = rows
            .iter()
            .filter_map(|r| {
                let first = r.first_unexpected.as_deref()?;
                let first: String = first.chars().take(600).collect();
                Some(format!(
                    "- {}: `{}`\n",
                    r.server,
                    first.replace(['`', '\n', '\t'], " ")
                ))
            })
            .collect();
        if !firsts.is_empty() {
            md.push_str("\nThe first unexpected answer of each row that had one:\n\n");
            md.extend(firsts);
        }
        md.push_str(&format!("<!-- ANCHOR_END: {anchor} -->\n"));
    }
    if !results.ha_paths.is_empty() {
        md.push_str(
            "\n## Reaching the HA cluster\n\n\
             Each crate's tour, and its server until `/readyz` answers 200, with `DATABASE_URL` \
             naming every node (`target_session_attrs=read-write`) or HAProxy's primary port \
             (`devdb ha url --via multi-host|haproxy`).\n\n<!-- ANCHOR: ha_paths -->\n\
             | crate | command | multi-host URL | HAProxy |\n|---|---|---|---|\n",
        );
        for server in crate::scale::CRATES {
            for command in ["tour", "serve"] {
                let cell = |via: &str| {
                    results
                        .ha_paths
                        .iter()
                        .find(|p| p.server == server && p.command == command && p.via == via)
                        .map_or("not run".to_owned(), |p| {
                            if p.ok {
                                "runs".to_owned()
                            } else {
                                format!("**refused**: {}", p.detail.replace('|', "\\|"))
                            }
                        })
                };
                md.push_str(&format!(
                    "| {server} | {command} | {} | {} |\n",
                    cell("multi-host"),
                    cell("haproxy")
                ));
            }
        }
        md.push_str("<!-- ANCHOR_END: ha_paths -->\n");
    }
    md.push_str(
        "\n## Soak\n\n\
         | server | seconds | requests | 2xx | unexpected | lost | memory at start → end | connections start → end (pool) |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for s in &results.soak {
        md.push_str(&format!(
            "| {} | {:.0} | {} | {} | {} | {} | {:.1} → {:.1} MiB | {} → {} ({}) |\n",
            s.server,
            s.seconds,
            s.requests,
            s.ok,
            s.unexpected,
            s.lost,
            s.rss_start_kib as f64 / 1024.0,
            s.rss_end_kib as f64 / 1024.0,
            s.connections_start,
            s.connections_end,
            s.pool_size,
        ));
    }
    md
}

/// Writes the figures as JSON to `json` and the report to `out`.
pub fn write(results: &FaultsResults, json: &Path, out: &Path) -> BenchResult<()> {
    for path in [json, out] {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    let text = serde_json::to_string_pretty(results).map_err(text)?;
    std::fs::write(json, text + "\n").map_err(|e| format!("{}: {e}", json.display()))?;
    std::fs::write(out, render(results)).map_err(|e| format!("{}: {e}", out.display()))
}
