//! Running a scenario: the runtime a test needs, and the private cluster the
//! server-restart scenario stops and starts (never the shared one other tests
//! are using).

use std::path::Path;

use devdb::DevDb;

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

/// The private cluster of the server-restart scenario
/// ([`devdb::testing::ScratchCluster`]), driven from async code.
pub struct ScratchCluster {
    cluster: devdb::testing::ScratchCluster,
}

impl ScratchCluster {
    /// Creates and starts the cluster (`initdb` + `pg_ctl start`, ~1 s).
    pub async fn start() -> Result<Self, String> {
        let cluster = Self {
            cluster: devdb::testing::ScratchCluster::new().map_err(|e| e.to_string())?,
        };
        cluster.start_again().await?;
        Ok(cluster)
    }

    /// Runs `work` on the cluster's helper on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce(&DevDb) -> devdb::Result<T> + Send + 'static,
    ) -> Result<T, String> {
        let devdb = self.cluster.devdb().clone();
        tokio::task::spawn_blocking(move || work(&devdb))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{what}: {e}"))
    }

    /// Creates database `name` if missing; returns its URL.
    pub async fn database_url(&self, name: &str) -> Result<String, String> {
        let name = name.to_owned();
        self.blocking("scratch cluster", move |devdb| devdb.database_url(&name))
            .await
    }

    /// Stops the server (fast shutdown: open sessions are ended).
    pub async fn stop(&self) -> Result<(), String> {
        self.blocking("cannot stop the scratch cluster", |devdb| devdb.stop())
            .await
            .map(drop)
    }

    /// Starts the (stopped) server again on the same port and folder.
    pub async fn start_again(&self) -> Result<(), String> {
        self.blocking("cannot start the scratch cluster", |devdb| {
            devdb.ensure_server()
        })
        .await
        .map(drop)
    }
}
