//! Running a scenario: the runtime a test needs, and the private cluster the
//! server-restart scenario stops and starts (never the shared one other tests
//! are using).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use devdb::{DevDb, Settings};

use crate::Stack;
use crate::scenarios::{self, Env, Verdict};

/// Runs scenario `number` for stack `S` on a fresh multi-threaded runtime
/// and returns its verdict. `cli` is the `conformance` binary (scenario 8).
pub fn run_scenario<S: Stack>(number: u8, cli: &Path) -> Verdict {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    let env = Env {
        cli: cli.to_path_buf(),
    };
    runtime.block_on(scenarios::run::<S>(number, &env))
}

/// For `tests/conformance.rs`: runs the scenario and panics (failing the
/// test) with its failure, or prints what it observed.
pub fn assert_scenario<S: Stack>(number: u8, cli: &Path) {
    match run_scenario::<S>(number, cli) {
        Ok(observed) => println!("{} scenario {number}: {observed}", S::NAME),
        Err(failure) => panic!("{} scenario {number} failed: {failure}", S::NAME),
    }
}

/// A PostgreSQL cluster of its own (own folder, free port), stopped and
/// deleted on drop. Uses the local-dev credentials of `.env.example`.
pub struct ScratchCluster {
    devdb: DevDb,
    dir: PathBuf,
}

impl ScratchCluster {
    /// Creates and starts the cluster (`initdb` + `pg_ctl start`, ~1 s).
    pub async fn start() -> Result<Self, String> {
        static N: AtomicU32 = AtomicU32::new(0);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!(
            "pgdev-conformance-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut settings = Settings::new(&format!(
            "postgres://admin:changethis@localhost:{port}/postgres"
        ))
        .map_err(|e| e.to_string())?
        .with_cluster_dir(&dir);
        // Same server binaries as the shared cluster (PG_BINDIR), if set.
        if let Some(bindir) = Settings::from_env()
            .ok()
            .and_then(|s| s.bindir().map(Path::to_path_buf))
        {
            settings = settings.with_bindir(bindir);
        }
        let cluster = Self {
            devdb: DevDb::new(settings),
            dir,
        };
        cluster.start_again().await?;
        Ok(cluster)
    }

    /// Creates database `name` if missing; returns its URL.
    pub async fn database_url(&self, name: &str) -> Result<String, String> {
        let devdb = self.devdb.clone();
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || devdb.database_url(&name))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("scratch cluster: {e}"))
    }

    /// Stops the server (fast shutdown: open sessions are ended).
    pub async fn stop(&self) -> Result<(), String> {
        let devdb = self.devdb.clone();
        tokio::task::spawn_blocking(move || devdb.stop())
            .await
            .map_err(|e| e.to_string())?
            .map(drop)
            .map_err(|e| format!("cannot stop the scratch cluster: {e}"))
    }

    /// Starts the (stopped) server again on the same port and folder.
    pub async fn start_again(&self) -> Result<(), String> {
        let devdb = self.devdb.clone();
        tokio::task::spawn_blocking(move || devdb.ensure_server())
            .await
            .map_err(|e| e.to_string())?
            .map(drop)
            .map_err(|e| format!("cannot start the scratch cluster: {e}"))
    }
}

impl Drop for ScratchCluster {
    fn drop(&mut self) {
        let _ = self.devdb.cluster().stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
