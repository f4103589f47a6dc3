//! The heroes API contract, asked of all four servers the same way.
//!
//! Each check ([`checks`]) starts the real server ([`TestServer`]: the
//! crate's store behind `heroes_api::serve_on`, on a free port of
//! 127.0.0.1) on a database of its own, talks to it over TCP with reqwest,
//! and checks the database itself through its own tokio-postgres connection
//! where a response alone could hide a partial write. `tests/contract.rs`
//! runs every check against every crate ([`contenders`]).

/// The checks for relations, filters and exports.
pub mod beyond;
/// The contract's checks, generic over the crate under test.
pub mod checks;
/// The four crates, each as a way to build its store from a URL.
pub mod contenders;
/// What a read and a write send on the wire, counted.
pub mod round_trips;
/// A proxy that counts the statements a server sends.
pub mod statements;
/// PostgreSQL's own types over HTTP: rank, powers, profile, public id, salary.
pub mod types;

use std::future::Future;
use std::time::Duration;

use heroes_api::HeroStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What a check reports: `Err` with what was wrong.
pub type Check = Result<(), String>;

/// The pool a check asks for (the same knobs the conformance suite turns).
pub use conformance::PoolConfig;

/// One example crate as the suite drives it.
pub trait Contender: Send + Sync + 'static {
    /// The crate's name, which is also the `app_src` its server stamps.
    const NAME: &'static str;
    /// The crate's store.
    type Store: HeroStore;

    /// Connects with `pool` and migrates to head: what `serve` does first.
    fn connect(
        url: &str,
        pool: PoolConfig,
    ) -> impl Future<Output = Result<Self::Store, String>> + Send;
}

/// A server under test: the real router and middleware on a real socket.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// A client with a 30 s deadline per request, so no check can hang.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Serves `store` on a free port of 127.0.0.1 with a request deadline of
    /// `deadline`.
    pub async fn start<S: HeroStore>(store: S, deadline: Duration) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind a port: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(heroes_api::serve::serve_on(
            listener,
            store,
            deadline,
            async {
                let _ = stopped.await;
            },
        ));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            base: format!("http://{addr}"),
            client,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Shuts the server down gracefully and waits for it.
    pub async fn stop(mut self) -> Check {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| format!("the server task failed: {e}"))?
                .map_err(|e| format!("the server failed: {e}")),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A database of the test's own on the shared server, created (blocking
/// work, so on a blocking thread) and dropped when the guard goes.
pub async fn test_database(prefix: &str) -> Result<devdb::TestDatabase, String> {
    let prefix = prefix.to_owned();
    tokio::task::spawn_blocking(move || devdb::TestDatabase::create(&prefix))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Runs `check` on a fresh multi-threaded runtime and panics with its
/// failure (for `#[test]` functions).
pub fn run(check: impl Future<Output = Check>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the tokio runtime: {e}"));
    if let Err(failure) = runtime.block_on(check) {
        panic!("{failure}");
    }
}
