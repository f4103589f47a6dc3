//! The application over HTTP: each crate's `serve`, the floor (the same
//! routes by hand in axum over tokio-postgres, `floor.rs`) and the study's own
//! stack (FastAPI + SQLAlchemy `AsyncSession` over asyncpg, under uvicorn, from
//! `python/fastapi_app.py`) under the same load from `wrk`, one server at a
//! time, interleaved round by round. Load goes only to 127.0.0.1 and every
//! wrk run is bounded in time (and killed if it overstays).
//!
//! Each server gets a database of its own, migrated by its own tool at start
//! and then loaded with the benchmark's 10,000 heroes. Per-request logging is
//! off in every server (`RUST_LOG=warn`, uvicorn `--no-access-log`): a log
//! line per request is I/O that would measure the terminal, not the stack.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::baselines::Tools;
use crate::contenders::{BenchResult, RUST};
use crate::dataset;
pub use crate::floor::FLOOR;
use crate::results::median;

/// The study's stack, the HTTP section's reference.
pub const FASTAPI: &str = "FastAPI + SQLAlchemy (asyncpg)";

/// The same FastAPI server with its one-statement reads in AUTOCOMMIT
/// (`AUTOCOMMIT_READS=1`): what the study's stack gains from what the Rust
/// servers' `db.autocommit()` does.
pub const FASTAPI_AUTOCOMMIT: &str = "FastAPI + SQLAlchemy (asyncpg, AUTOCOMMIT reads)";

/// The servers measured, in report order: the floor, the four crates, FastAPI.
pub const SERVERS: [&str; 7] = [
    FLOOR,
    RUST[0],
    RUST[1],
    RUST[2],
    RUST[3],
    FASTAPI,
    FASTAPI_AUTOCOMMIT,
];

/// Whether `server` is one of the two FastAPI rows.
pub fn is_fastapi(server: &str) -> bool {
    server == FASTAPI || server == FASTAPI_AUTOCOMMIT
}

/// Whether `server` has its schema from the benchmark's migrations rather
/// than migrating at start (FastAPI, the floor).
fn migrated_here(server: &str) -> bool {
    is_fastapi(server) || server == FLOOR
}

/// Whether `server` answers `workload` (the floor has `GET /heroes/{id}`
/// and `POST /heroes` only).
pub fn serves(server: &str, workload: &str) -> bool {
    server != FLOOR || workload == GET || workload == POST
}

/// `GET /heroes/{id}`, a random hero of the 10,000.
pub const GET: &str = "http_get_by_pk";
/// `POST /heroes` with an array of 10 new heroes.
pub const POST: &str = "http_post_10";

/// `GET /teams?include=heroes`: 100 teams of 10 heroes, nested.
pub const TEAMS: &str = "http_teams_heroes";
/// `GET /heroes/export`: the 10,000 heroes as NDJSON, streamed.
pub const EXPORT: &str = "http_export";
/// Exports at once: a quarter of the pool of 8, as many as a Rust server
/// streams before it answers 503 (`heroes_api::export::ExportSlots`).
pub const EXPORT_CONNECTIONS: u32 = 2;

/// The loads: (workload, connections), in the order they run; the POSTs
/// last, so that every export reads the same 10,000 heroes.
pub const LOADS: [(&str, u32); 6] = [
    (GET, 1),
    (GET, 64),
    (GET, 256),
    (TEAMS, 64),
    (EXPORT, EXPORT_CONNECTIONS),
    (POST, 64),
];

/// An export takes most of a second in the baseline: its load runs at
/// least this long, so that even a `--quick` run completes some.
const EXPORT_LEAST: Duration = Duration::from_secs(3);

/// The path a plain GET workload requests, `None` for the scripted ones.
fn plain_path(workload: &str) -> Option<&'static str> {
    match workload {
        TEAMS => Some("/teams?include=heroes"),
        EXPORT => Some("/heroes/export"),
        _ => None,
    }
}

/// One server's figure under one load (medians over the rounds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HttpSample {
    /// [`GET`] or [`POST`].
    pub workload: String,
    /// The server.
    pub contender: String,
    /// Open connections.
    pub connections: u32,
    /// Requests per second.
    pub per_sec: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
    /// Non-2xx responses and socket errors, summed over the rounds.
    pub errors: u64,
    /// Each round's requests per second.
    pub rounds: Vec<f64>,
}

/// What one wrk run reported.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WrkFigures {
    /// Requests per second.
    pub per_sec: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// Non-2xx responses plus socket errors.
    pub errors: u64,
}

/// How long each load runs.
#[derive(Clone, Copy, Debug)]
pub struct HttpConfig {
    /// Rounds over every server.
    pub rounds: usize,
    /// Warm-up load per server per round (not recorded).
    pub warmup: Duration,
    /// Each measured load.
    pub measure: Duration,
}

impl HttpConfig {
    /// The full run.
    pub fn full() -> Self {
        Self {
            rounds: 3,
            warmup: Duration::from_secs(2),
            measure: Duration::from_secs(5),
        }
    }

    /// `--quick`: once, briefly.
    pub fn quick() -> Self {
        Self {
            rounds: 1,
            warmup: Duration::from_secs(1),
            measure: Duration::from_secs(1),
        }
    }
}

/// Everything the HTTP section measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HttpResults {
    /// Every server × load.
    pub samples: Vec<HttpSample>,
    /// Each server's peak resident memory (KiB; uvicorn: master + workers).
    pub peak_rss_kib: Vec<(String, u64)>,
    /// The wrk command line, for the report.
    pub method: String,
}

pub(crate) const GET_SCRIPT: &str = r#"-- GET /heroes/{id} over the 10,000 heroes, a different order per thread.
local n = 0
request = function()
  n = n + 1
  local id = (n * 7919 + math.random(0, 9999)) % 10000 + 1
  return wrk.format("GET", "/heroes/" .. id)
end
"#;

const POST_SCRIPT: &str = r#"-- POST /heroes with 10 new heroes; names unique per run, thread and request.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local tag = "x"
local n = 0
function init(args)
  tag = args[1] .. "-" .. tid
end
request = function()
  n = n + 1
  local heroes = {}
  for k = 1, 10 do
    heroes[k] = string.format('{"name":"%s-%d-%d","age":%d}', tag, n, k, k)
  end
  return wrk.format("POST", "/heroes", {["Content-Type"] = "application/json"}, "[" .. table.concat(heroes, ",") .. "]")
end
"#;

/// A server process under test, stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// SIGTERM, then SIGKILL if it is still there after 10 s.
fn stop(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub(crate) fn free_port() -> BenchResult<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The database of `server` for the HTTP section.
pub fn database_name(server: &str) -> String {
    let slug: String = server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!("bench_http_{slug}");
    name.truncate(63); // PostgreSQL's longest name
    name
}

/// Starts `server` on a free port of 127.0.0.1 with its database at `url`.
pub(crate) fn start(server: &str, url: &str, database: &str, tools: &Tools) -> BenchResult<Server> {
    start_with(server, url, database, tools, &[])
}

/// [`start`] with `env` set for the server's process on top of this one's
/// (another cluster's `DATABASE_URL` and `PGDEV_DIR`, a statement timeout).
pub(crate) fn start_with(
    server: &str,
    url: &str,
    database: &str,
    tools: &Tools,
    env: &[(&str, String)],
) -> BenchResult<Server> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let mut command = if is_fastapi(server) {
        let uvicorn = tools.python.with_file_name("uvicorn");
        let app_dir = tools.script.parent().unwrap_or_else(|| Path::new("."));
        let mut c = Command::new(uvicorn);
        c.args(["--app-dir"])
            .arg(app_dir)
            .args([
                "fastapi_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .args([
                "--workers",
                &workers().to_string(),
                "--no-access-log",
                "--log-level",
                "warning",
            ])
            .env(
                "DATABASE_URL",
                url.replacen("postgres://", "postgresql+asyncpg://", 1),
            );
        if server == FASTAPI_AUTOCOMMIT {
            c.env("AUTOCOMMIT_READS", "1");
        }
        c
    } else if server == FLOOR {
        let mut c = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        c.args(["serve-floor", "--database", database, "--addr", &addr])
            .env("RUST_LOG", "warn");
        c
    } else {
        // The crate's own command line, run by this binary (`bench
        // serve-crate`): the same code as `cargo run -p <crate> -- serve`.
        let mut c = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        c.args([
            "serve-crate",
            server,
            "--database",
            database,
            "serve",
            "--addr",
            &addr,
        ])
        .env("RUST_LOG", "warn")
        .env_remove("ECHO");
        c
    };
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {server}: {e}"))?;
    let mut server_process = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if get_status(port, "/readyz") == Some(200) {
            return Ok(server_process);
        }
        if let Ok(Some(status)) = server_process.child.try_wait() {
            return Err(format!("{server} exited before it was ready ({status})"));
        }
        if Instant::now() > deadline {
            return Err(format!("{server} was not ready on {addr} within 60 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// uvicorn workers: one per core, as the Rust servers use every core.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The status of `GET path`, or `None` if nothing answered.
pub(crate) fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Peak resident memory (VmHWM) of `pid` and every process below it, KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    memory_kib(pid, "VmHWM:")
}

/// `field` of /proc/PID/status (`VmHWM:` the peak, `VmRSS:` now) summed
/// over `pid` and every process below it, KiB.
pub(crate) fn memory_kib(pid: u32, field: &str) -> u64 {
    let parent_of = |p: &str| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        // The fields after the command name, which is in parentheses.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let hwm = |p: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{p}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    };
    let mut family = vec![pid];
    let all: Vec<u32> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut grew = true;
    while grew {
        grew = false;
        for p in &all {
            if !family.contains(p)
                && parent_of(&p.to_string()).is_some_and(|pp| family.contains(&pp))
            {
                family.push(*p);
                grew = true;
            }
        }
    }
    family.into_iter().map(hwm).sum()
}

/// One wrk run against `port`; killed if it runs 20 s past its duration.
pub(crate) fn wrk(
    port: u16,
    script: &Path,
    connections: u32,
    duration: Duration,
    tag: &str,
) -> BenchResult<WrkFigures> {
    let threads = connections.min(2);
    let mut child = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        // wrk takes whole seconds (or minutes, hours).
        .args([
            "-d",
            &format!("{}s", duration.as_secs().max(1)),
            "--timeout",
            "10s",
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["--", tag])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run wrk ({e}); on Debian: apt-get install wrk"))?;
    let deadline = Instant::now() + duration + Duration::from_secs(20);
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("wrk did not stop by itself".to_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}"))
}

/// Reads wrk's `--latency` report.
pub fn parse_wrk(text: &str) -> Option<WrkFigures> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix).map(str::trim).map(str::to_owned))
    };
    let duration_us = |v: &str| -> Option<f64> {
        let (number, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
        let n: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => n,
            "ms" => n * 1e3,
            "s" => n * 1e6,
            "m" => n * 60e6,
            _ => return None,
        })
    };
    let per_sec = field("Requests/sec:")?.parse().ok()?;
    let p50_us = duration_us(&field("50%")?)?;
    let p99_us = duration_us(&field("99%")?)?;
    let non_2xx: u64 = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let socket: u64 = field("Socket errors:")
        .map(|v| {
            v.split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Some(WrkFigures {
        per_sec,
        p50_us,
        p99_us,
        errors: non_2xx + socket,
    })
}

/// Measures every server under every load, `config.rounds` times with the
/// servers' order rotating each round.
pub fn run(tools: &Tools, scratch: &Path, config: HttpConfig) -> BenchResult<HttpResults> {
    let get_script = scratch.join("http_get.lua");
    let post_script = scratch.join("http_post.lua");
    std::fs::write(&get_script, GET_SCRIPT).map_err(|e| e.to_string())?;
    std::fs::write(&post_script, POST_SCRIPT).map_err(|e| e.to_string())?;
    let mut plain_scripts = Vec::new();
    for (workload, _) in LOADS {
        if let Some(path) = plain_path(workload) {
            let script = scratch.join(format!("{workload}.lua"));
            let text =
                format!("request = function()\n  return wrk.format(\"GET\", \"{path}\")\nend\n");
            std::fs::write(&script, text).map_err(|e| e.to_string())?;
            plain_scripts.push((workload, script));
        }
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let mut figures: Vec<(String, &str, u32, WrkFigures)> = Vec::new();
    let mut peak: Vec<(String, u64)> = SERVERS.iter().map(|s| ((*s).to_owned(), 0)).collect();
    let stamp = chrono::Utc::now().timestamp();
    for round in 0..config.rounds {
        for i in 0..SERVERS.len() {
            let server = SERVERS[(i + round) % SERVERS.len()];
            let database = database_name(server);
            let url = devdb::database_url(&database).map_err(|e| e.to_string())?;
            if migrated_here(server) {
                // FastAPI and the floor have no migrations of their own: the
                // schema comes from the same migrations as everyone else's.
                runtime.block_on(dataset::migrate(&url))?;
            }
            eprintln!("http round {}/{}: {server}", round + 1, config.rounds);
            let process = start(server, &url, &database, tools)?;
            runtime.block_on(dataset::reload(&url))?;
            runtime.block_on(dataset::add_teams(&url))?;
            wrk(process.port, &get_script, 64, config.warmup, "warmup")?;
            for (workload, connections) in LOADS {
                if !serves(server, workload) {
                    continue;
                }
                let script = if workload == POST {
                    &post_script
                } else if let Some((_, script)) = plain_scripts.iter().find(|(w, _)| *w == workload)
                {
                    script
                } else {
                    &get_script
                };
                let tag = format!("{stamp}-{round}-{connections}");
                let measure = if workload == EXPORT {
                    config.measure.max(EXPORT_LEAST)
                } else {
                    config.measure
                };
                let result = wrk(process.port, script, connections, measure, &tag)?;
                figures.push((server.to_owned(), workload, connections, result));
            }
            let rss = peak_rss_kib(process.child.id());
            if let Some(entry) = peak.iter_mut().find(|(s, _)| s == server) {
                entry.1 = entry.1.max(rss);
            }
            drop(process);
        }
    }
    let mut samples = Vec::new();
    for server in SERVERS {
        for (workload, connections) in LOADS.into_iter().filter(|(w, _)| serves(server, w)) {
            let runs: Vec<WrkFigures> = figures
                .iter()
                .filter(|(s, w, c, _)| s == server && *w == workload && *c == connections)
                .map(|(_, _, _, f)| *f)
                .collect();
            let pick = |f: fn(&WrkFigures) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
            samples.push(HttpSample {
                workload: workload.to_owned(),
                contender: server.to_owned(),
                connections,
                per_sec: pick(|f| f.per_sec),
                p50_us: pick(|f| f.p50_us),
                p99_us: pick(|f| f.p99_us),
                errors: runs.iter().map(|f| f.errors).sum(),
                rounds: runs.iter().map(|f| f.per_sec).collect(),
            });
        }
    }
    Ok(HttpResults {
        samples,
        peak_rss_kib: peak,
        method: format!(
            "wrk 4 (2 threads, 1 for 1 connection), {} ms per load (exports {} ms) after a {} ms warm-up, {} round(s); uvicorn --workers {}",
            config.measure.as_millis(),
            config.measure.max(EXPORT_LEAST).as_millis(),
            config.warmup.as_millis(),
            config.rounds,
            workers()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_reports_are_read_with_their_units() {
        let text = "Running 1s test @ http://127.0.0.1:1\n  2 threads and 64 connections\n  Latency Distribution\n     50%  635.00us\n     75%    1.02ms\n     90%    1.55ms\n     99%    1.20s \n  1000 requests in 1.00s, 1.00MB read\n  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\nRequests/sec:  15234.56\nTransfer/sec:      1.00MB\n";
        let f = parse_wrk(text).unwrap_or_default();
        assert!((f.per_sec - 15_234.56).abs() < 1e-6);
        assert!((f.p50_us - 635.0).abs() < 1e-6);
        assert!((f.p99_us - 1_200_000.0).abs() < 1e-3);
        assert_eq!(f.errors, 9);
    }
}
