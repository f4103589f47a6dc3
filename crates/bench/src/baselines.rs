//! The baselines outside Rust: pgbench with custom scripts (the server's
//! ceiling), `psql \copy` (bulk), and the seed's own stack, SQLAlchemy 2 ORM
//! over psycopg2 and asyncpg, run from `python/sqlalchemy_bench.py` in a venv
//! this module creates.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::contenders::{BenchResult, HERO_COLUMNS, TYPED_COLUMNS};
use crate::workloads::{TYPED_POWER, Workload, to_csv};
use heroes_model::NewHero;

/// The pgbench script for `workload` (run with `-M prepared`).
pub fn pgbench_script(workload: Workload) -> String {
    let name = "'hero-' || lpad(:id::text, 5, '0')";
    match workload {
        Workload::GetByPk => format!(
            "\\set id random(1, 10000)\nSELECT {HERO_COLUMNS} FROM heroes WHERE id = :id;\n"
        ),
        Workload::ByName => format!(
            "\\set id random(1, 10000)\nSELECT {HERO_COLUMNS} FROM heroes WHERE name = {name};\n"
        ),
        Workload::Scalar => {
            format!(
                "\\set id random(1, 10000)\nSELECT secret_name FROM heroes WHERE name = {name};\n"
            )
        }
        Workload::Filter100 => format!(
            "\\set a random(0, 99)\nSELECT {HERO_COLUMNS} FROM heroes \
             WHERE app_src = 'bench-' || lpad(:a::text, 2, '0') ORDER BY id;\n"
        ),
        Workload::Types1000 => format!(
            "SELECT {TYPED_COLUMNS} FROM heroes WHERE powers @> ARRAY['{TYPED_POWER}'] ORDER BY id;\n"
        ),
        // pgbench does not run the fast path (`Workload::rust_only`).
        Workload::Insert100 | Workload::Insert100Fast => format!(
            "INSERT INTO heroes (name, secret_name, age, app_src) \
             SELECT 'pgbench-' || md5(random()::text || clock_timestamp()::text) || '-' || g, \
             NULL, 30, 'bench-insert' FROM generate_series(1, 100) g RETURNING {HERO_COLUMNS};\n"
        ),
    }
}

/// Where the external programs are.
#[derive(Clone, Debug)]
pub struct Tools {
    /// `pgbench`.
    pub pgbench: PathBuf,
    /// `psql`.
    pub psql: PathBuf,
    /// The venv's `python`.
    pub python: PathBuf,
    /// `python/sqlalchemy_bench.py`.
    pub script: PathBuf,
    /// A folder for scripts and CSV files.
    pub scratch: PathBuf,
}

fn run(cmd: &mut Command, what: &str) -> BenchResult<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what} ({:?}): {e}", cmd.get_program()))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Tools {
    /// Finds pgbench and psql (beside the server binaries, or `PG_BINDIR`)
    /// and makes the Python venv in `venv` if it is missing.
    pub fn locate(venv: &Path, scratch: &Path) -> BenchResult<Self> {
        let settings = devdb::Settings::from_env().map_err(|e| e.to_string())?;
        let bindir = devdb::cluster::find_bindir(settings.bindir())?;
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = venv.join("bin").join("python");
        let check = Command::new(&python)
            .args([
                "-c",
                "import sqlalchemy.ext.asyncio, psycopg2, asyncpg, greenlet, fastapi, uvicorn, uvloop, httptools",
            ])
            .output();
        if !check.is_ok_and(|o| o.status.success()) {
            eprintln!(
                "creating the Python venv for the SQLAlchemy baseline in {}",
                venv.display()
            );
            run(
                Command::new("python3").args(["-m", "venv"]).arg(venv),
                "python3 -m venv (on Debian: apt-get install python3-venv)",
            )?;
            run(
                Command::new(venv.join("bin").join("pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                    .arg(manifest.join("python").join("requirements.txt")),
                "pip install -r crates/bench/python/requirements.txt",
            )?;
        }
        std::fs::create_dir_all(scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        Ok(Self {
            pgbench: bindir.join("pgbench"),
            psql: bindir.join("psql"),
            python,
            script: manifest.join("python").join("sqlalchemy_bench.py"),
            scratch: scratch.to_path_buf(),
        })
    }

    /// Versions of the baselines, for the report's header.
    pub fn versions(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Ok(text) = run(Command::new(&self.pgbench).arg("--version"), "pgbench") {
            out.push(("pgbench".to_owned(), text.trim().to_owned()));
        }
        let probe = "import sys, sqlalchemy, psycopg2, asyncpg; \
                     print(sys.version.split()[0], sqlalchemy.__version__, psycopg2.__version__.split()[0], asyncpg.__version__)";
        if let Ok(text) = run(Command::new(&self.python).args(["-c", probe]), "python") {
            let parts: Vec<&str> = text.split_whitespace().collect();
            if let [py, sqla, pg2, apg] = parts.as_slice() {
                out.push(("Python".to_owned(), (*py).to_owned()));
                out.push(("SQLAlchemy".to_owned(), (*sqla).to_owned()));
                out.push(("psycopg2".to_owned(), (*pg2).to_owned()));
                out.push(("asyncpg".to_owned(), (*apg).to_owned()));
            }
        }
        out
    }

    /// pgbench on `workload` with `clients` connections for `seconds`:
    /// (transactions per second, mean latency in µs).
    pub fn pgbench(
        &self,
        url: &str,
        workload: Workload,
        clients: u32,
        seconds: u64,
    ) -> BenchResult<(f64, f64)> {
        let script = self.scratch.join(format!("{}.pgbench.sql", workload.id()));
        std::fs::write(&script, pgbench_script(workload))
            .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
        let text = run(
            Command::new(&self.pgbench)
                .args(["--no-vacuum", "--protocol=prepared", "--time"])
                .arg(seconds.max(1).to_string())
                .arg("--client")
                .arg(clients.to_string())
                .arg("--jobs")
                .arg(clients.min(2).to_string())
                .arg("--file")
                .arg(&script)
                .arg(url),
            "pgbench",
        )?;
        let number_after = |prefix: &str| -> Option<f64> {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(prefix))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        };
        let tps =
            number_after("tps = ").ok_or_else(|| format!("no tps in pgbench output: {text}"))?;
        let latency_ms = number_after("latency average = ")
            .ok_or_else(|| format!("no latency in pgbench output: {text}"))?;
        Ok((tps, latency_ms * 1000.0))
    }

    /// `psql \copy` of `rows` from a CSV file: rows per second (the file is
    /// written first, outside the timing; psql's start-up is inside it).
    pub fn psql_copy(&self, url: &str, rows: &[NewHero]) -> BenchResult<f64> {
        let file = self.scratch.join("bulk.csv");
        std::fs::write(&file, to_csv(rows))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        let command = format!(
            "\\copy heroes (name, secret_name, age, app_src, team_id) FROM '{}' WITH (FORMAT csv)",
            file.display()
        );
        let began = Instant::now();
        run(
            Command::new(&self.psql).args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                &command,
                url,
            ]),
            "psql \\copy",
        )?;
        Ok(rows.len() as f64 / began.elapsed().as_secs_f64())
    }

    /// The SQLAlchemy script: `(operations, seconds, rows)` as it reports them.
    #[allow(clippy::too_many_arguments)]
    pub fn sqlalchemy(
        &self,
        driver: &str,
        url: &str,
        workload: &str,
        tasks: u32,
        warmup: Duration,
        seconds: Duration,
        rows: usize,
        prefix: &str,
    ) -> BenchResult<(f64, f64, f64)> {
        let value =
            self.sqlalchemy_json(driver, url, workload, tasks, warmup, seconds, rows, prefix)?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0)
        };
        Ok((field("ops"), field("seconds"), field("rows")))
    }

    /// [`Self::sqlalchemy`], returning the script's whole JSON object (the
    /// stream adds `peak_rss_kib`).
    #[allow(clippy::too_many_arguments)]
    pub fn sqlalchemy_json(
        &self,
        driver: &str,
        url: &str,
        workload: &str,
        tasks: u32,
        warmup: Duration,
        seconds: Duration,
        rows: usize,
        prefix: &str,
    ) -> BenchResult<serde_json::Value> {
        let url = url.replacen("postgres://", "postgresql://", 1);
        let text = run(
            Command::new(&self.python)
                .arg(&self.script)
                .args(["--driver", driver, "--url", &url, "--workload", workload])
                .args(["--tasks", &tasks.to_string(), "--rows", &rows.to_string()])
                .args(["--warmup", &warmup.as_secs_f64().to_string()])
                .args([
                    "--seconds",
                    &seconds.as_secs_f64().to_string(),
                    "--prefix",
                    prefix,
                ]),
            "the SQLAlchemy benchmark",
        )?;
        serde_json::from_str(text.trim())
            .map_err(|e| format!("bad output from the SQLAlchemy benchmark ({e}): {text}"))
    }
}
