//! Client-side instructions per operation (`benches/instructions.rs`, run
//! under Callgrind by gungraun): running it, and reading its figures back.
//! A count does not move with the machine's load or the round trip's length
//! (two runs agree within about 1%), so it is the figure that can catch a
//! regression in a library's own work, where a timing cannot.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::contenders::BenchResult;

/// Operations each benchmark runs; its count is divided by this.
pub const OPS: u64 = 20;

/// The gungraun-runner version this workspace's `gungraun` needs.
pub const RUNNER_VERSION: &str = "0.20.0";

/// How much above the committed count a new one may be before
/// [`regressions`] reports it: the run-to-run spread is about 1%.
pub const TOLERANCE: f64 = 0.05;

/// One contender's instructions per operation of one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstructionSample {
    /// The workload's identifier (`get_by_pk`, `by_name`, `filter_100`, `insert_100`, `types_1000`).
    pub workload: String,
    /// The contender (`sync-diesel`, …, `tokio-postgres`).
    pub contender: String,
    /// Instructions executed by the client per operation.
    pub per_op: f64,
}

/// What is missing to count instructions on this machine, as the commands
/// that install it; `None` when nothing is.
pub fn missing_tools() -> Option<String> {
    let on_path = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut missing = Vec::new();
    if !on_path("valgrind") {
        missing.push("apt-get install -y valgrind".to_owned());
    }
    let runner = std::env::var("GUNGRAUN_RUNNER").unwrap_or_else(|_| "gungraun-runner".into());
    let runner_version = Command::new(&runner)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if !runner_version.is_some_and(|v| v.contains(RUNNER_VERSION)) {
        missing.push(format!(
            "cargo install --locked --version {RUNNER_VERSION} gungraun-runner"
        ));
    }
    (!missing.is_empty()).then(|| missing.join(" && "))
}

/// Runs the benchmark against the database at `url` (which must hold the
/// data set) from `workspace`, and returns the counts per operation.
pub fn run(workspace: &Path, url: &str) -> BenchResult<Vec<InstructionSample>> {
    if let Some(install) = missing_tools() {
        return Err(format!(
            "counting instructions needs Valgrind and gungraun-runner {RUNNER_VERSION}: {install}"
        ));
    }
    let summaries = summaries_dir(workspace);
    let _ = std::fs::remove_dir_all(&summaries);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args(["bench", "-q", "-p", "bench", "--bench", "instructions"])
        .args(["--", "--save-summary=json"])
        .env("INSTRUCTIONS_DATABASE_URL", url)
        .output()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "the instruction benchmark failed ({}):\n{}",
            output.status,
            tail.join("\n")
        ));
    }
    read(&summaries)
}

/// Where gungraun writes this benchmark's summaries: under cargo's target
/// directory, which `CARGO_TARGET_DIR` moves (relative to the workspace,
/// where the benchmark runs).
fn summaries_dir(workspace: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("gungraun/bench/instructions/per_operation")
}

/// Reads every `summary.json` under `dir`: the benchmark function names the
/// workload (`bench_get_by_pk`), its id the contender (`sync_diesel`).
fn read(dir: &Path) -> BenchResult<Vec<InstructionSample>> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut samples = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path().join("summary.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        samples.push(parse(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    if samples.is_empty() {
        return Err(format!("no summary.json under {}", dir.display()));
    }
    samples.sort_by(|a, b| (&a.workload, &a.contender).cmp(&(&b.workload, &b.contender)));
    Ok(samples)
}

/// One gungraun summary as a sample: the instructions (`Ir`) of every
/// thread, divided by [`OPS`].
pub fn parse(summary: &str) -> BenchResult<InstructionSample> {
    let json: serde_json::Value = serde_json::from_str(summary).map_err(|e| e.to_string())?;
    let text = |key: &str| {
        json[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no {key}"))
    };
    let workload = text("function_name")?
        .trim_start_matches("bench_")
        .to_owned();
    let contender = text("id")?.replace('_', "-");
    let instructions = json["profiles"]
        .as_array()
        .and_then(|p| p.first())
        .and_then(|p| p["data"]["total"]["metrics"]["Ir"]["values"]["new"].as_f64())
        .ok_or("no instruction count (profiles[0].data.total.metrics.Ir)")?;
    Ok(InstructionSample {
        workload,
        contender,
        per_op: instructions / OPS as f64,
    })
}

/// The samples of `new` more than [`TOLERANCE`] above the same sample in
/// `committed`, as lines naming each.
pub fn regressions(new: &[InstructionSample], committed: &[InstructionSample]) -> Vec<String> {
    new.iter()
        .filter_map(|n| {
            let old = committed
                .iter()
                .find(|c| c.workload == n.workload && c.contender == n.contender)?;
            (n.per_op > old.per_op * (1.0 + TOLERANCE)).then(|| {
                format!(
                    "{} {}: {:.0} instructions per operation, {:.1}% above the committed {:.0}",
                    n.contender,
                    n.workload,
                    n.per_op,
                    100.0 * (n.per_op / old.per_op - 1.0),
                    old.per_op
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_read_as_instructions_per_operation() {
        let summary = r#"{"function_name": "bench_get_by_pk", "id": "sqlx_raw",
            "profiles": [{"data": {"total": {"metrics": {"Ir": {"values": {"new": 931963}}}}}}]}"#;
        let sample = parse(summary).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sample.workload, "get_by_pk");
        assert_eq!(sample.contender, "sqlx-raw");
        assert!((sample.per_op - 931_963.0 / OPS as f64).abs() < 1e-9);
        assert!(parse(r#"{"function_name": "x", "id": "y", "profiles": []}"#).is_err());
    }

    #[test]
    fn only_a_count_above_the_tolerance_is_a_regression() {
        let at = |per_op| InstructionSample {
            workload: "get_by_pk".into(),
            contender: "sqlx-raw".into(),
            per_op,
        };
        let committed = [at(100.0)];
        assert!(regressions(&[at(104.0)], &committed).is_empty());
        assert!(regressions(&[at(90.0)], &committed).is_empty());
        assert_eq!(regressions(&[at(106.0)], &committed).len(), 1);
    }
}
