//! Build cost: each example crate built cold, in release, in a target folder
//! of its own (the registry is already downloaded: this is compile time only).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::contenders::BenchResult;
use crate::results::BuildCost;

/// The crates whose build is measured.
pub const CRATES: [&str; 4] = ["sync-diesel", "async-diesel", "sqlx-raw", "seaorm-migrate"];

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Packages in `krate`'s dependency tree (normal and build dependencies).
pub fn packages(workspace: &Path, krate: &str) -> BenchResult<usize> {
    let out = cargo()
        .current_dir(workspace)
        .args([
            "tree",
            "--locked",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "-p",
            krate,
        ])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree -p {krate} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let unique: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect();
    Ok(unique.len())
}

/// Builds `krate` cold in `scratch/target-<krate>` and measures it; the
/// folder is deleted afterwards.
pub fn measure(workspace: &Path, scratch: &Path, krate: &str) -> BenchResult<BuildCost> {
    let target = scratch.join(format!("target-{krate}"));
    let _ = std::fs::remove_dir_all(&target);
    let began = Instant::now();
    let out = cargo()
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--locked",
            "--quiet",
            "-p",
            krate,
            "--target-dir",
        ])
        .arg(&target)
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let seconds = began.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "cargo build -p {krate} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let binary = target.join("release").join(krate);
    let binary_bytes = std::fs::metadata(&binary)
        .map_err(|e| format!("no binary at {}: {e}", binary.display()))?
        .len();
    let _ = std::fs::remove_dir_all(&target);
    Ok(BuildCost {
        krate: krate.to_owned(),
        seconds,
        binary_bytes,
        packages: packages(workspace, krate)?,
    })
}
