//! What a run measured, kept as JSON beside the report
//! (`docs/COMPARISON.json`) so the report can be re-rendered and checked.

use serde::{Deserialize, Serialize};

/// One contender's figure for one workload (the median over the rounds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sample {
    /// The workload's identifier (`get_by_pk`, …, `concurrent_get_by_pk`, `bulk`).
    pub workload: String,
    /// Who was measured (`sqlx-raw`, `SQLAlchemy + psycopg2`, `pgbench`, …).
    pub contender: String,
    /// Concurrent tasks (1 for single-operation workloads).
    pub tasks: u32,
    /// Operations per second (rows per second for the bulk load).
    pub per_sec: f64,
    /// Mean time per operation, microseconds (per whole load for bulk).
    pub mean_us: f64,
    /// How it was measured (criterion, fixed-duration loop, pgbench, …).
    pub method: String,
    /// Every round's figure, to show the spread.
    pub rounds: Vec<f64>,
    /// For the concurrent runs: CPU time per operation, microseconds, of the
    /// client (this process and the children it waited for: pgbench, the
    /// SQLAlchemy runner) and of the server (every `postgres` process, with
    /// the backends that exited meanwhile, which the postmaster has reaped),
    /// the medians over rounds. Both share the machine's cores.
    #[serde(default)]
    pub cpu_us: Option<CpuPerOp>,
    /// For the stream: the measuring process's peak resident memory, KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<u64>,
}

/// CPU time per operation, microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuPerOp {
    /// The client's.
    pub client: f64,
    /// PostgreSQL's.
    pub server: f64,
}

/// Clock ticks per second: 100 on every Linux we run on (USER_HZ).
const TICKS: f64 = 100.0;

/// A `/proc/PID/stat` line: the command, and the fields after it (state
/// first, so utime is index 11 and stime 12).
fn fields(stat: &str) -> Option<(String, Vec<f64>)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_owned();
    let rest: Vec<f64> = stat[close + 2..]
        .split(' ')
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    Some((comm, rest))
}

/// User and system CPU seconds of process `pid` (all its threads).
pub(crate) fn process_cpu_seconds(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| fields(&s))
        .map_or(0.0, |(_, f)| f.iter().skip(11).take(2).sum::<f64>() / TICKS)
}

/// CPU seconds used so far by this process with its waited-for children, and
/// by every `postgres` process, read from `/proc` (Linux; zeros elsewhere).
pub fn cpu_seconds() -> (f64, f64) {
    // After the command: state is field 3, utime 14, stime 15, cutime 16,
    // cstime 17 (1-based), so 11..=14 here.
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| fields(&s))
        .map_or(0.0, |(_, f)| f.iter().skip(11).take(4).sum::<f64>() / TICKS);
    let mut server = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            if let Some((comm, f)) = fields(&stat)
                && comm == "postgres"
            {
                // Its own time, and that of the children it has reaped: the
                // postmaster's counts the backends that have already exited.
                server += f.iter().skip(11).take(4).sum::<f64>() / TICKS;
            }
        }
    }
    (own, server)
}

/// Cold release build of one crate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BuildCost {
    /// The crate.
    pub krate: String,
    /// Seconds for `cargo build --release -p <crate>` in a fresh target dir.
    pub seconds: f64,
    /// Size of the release binary, bytes.
    pub binary_bytes: u64,
    /// Packages in its dependency tree (normal and build dependencies, itself included).
    pub packages: usize,
}

/// The whole run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Results {
    /// Lines describing the machine, versions and settings.
    pub context: Vec<(String, String)>,
    /// Every measured figure.
    pub samples: Vec<Sample>,
    /// Build cost per crate (empty when not measured).
    pub build: Vec<BuildCost>,
    /// Whether this was a `--quick` smoke run.
    pub quick: bool,
    /// Rows per bulk load.
    #[serde(default)]
    pub bulk_rows: usize,
    /// What the build cost depends on (Cargo.lock, rustc, CPU): figures with
    /// the same fingerprint are reused instead of rebuilding.
    #[serde(default)]
    pub build_fingerprint: String,
    /// When the build cost was measured.
    #[serde(default)]
    pub build_measured: String,
    /// The application over HTTP (empty in runs from before it existed).
    #[serde(default)]
    pub http: crate::http::HttpResults,
    /// Many clients, PgBouncer and the replica (empty in runs from before).
    #[serde(default)]
    pub scale: Vec<crate::scale::ScaleRow>,
    /// What isolating one test costs, per strategy (empty in runs from
    /// before it existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub testing: Vec<crate::testing::TestingRow>,
    /// When the testing section was measured, if apart from the rest
    /// (`bench testing`); empty when by `bench report`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub testing_measured: String,
    /// When the section beyond the study was measured, if it was measured
    /// apart from the rest (`bench beyond`); empty when by `bench report`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub beyond_measured: String,
    /// Client-side instructions per operation, counted by Callgrind (empty
    /// in runs from before they were counted).
    #[serde(default)]
    pub instructions: Vec<crate::instructions::InstructionSample>,
    /// The pool-size sweep: each server and the floor under 64 HTTP
    /// connections, each crate's concurrent get-by-PK, at pool sizes 1–32.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pool_sweep: Vec<crate::pools::PoolSweepRow>,
    /// How the sweep ran (rounds, durations).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pool_sweep_method: String,
    /// When the sweep was measured apart from the rest (`bench pools`);
    /// empty when it ran with the report.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pool_sweep_measured: String,
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Results {
    /// The sample of `contender` on `workload` at `tasks`.
    pub fn find(&self, workload: &str, contender: &str, tasks: u32) -> Option<&Sample> {
        self.samples
            .iter()
            .find(|s| s.workload == workload && s.contender == contender && s.tasks == tasks)
    }
}

/// The median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if !n.is_multiple_of(2) => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(&[4.0, 1.0, 3.0, 2.0]) - 2.5).abs() < f64::EPSILON);
        assert!(median(&[]).abs() < f64::EPSILON);
    }
}
