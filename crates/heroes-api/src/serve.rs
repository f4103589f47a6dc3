//! `cargo run -p <crate> -- serve`: the options, the log, the listener and
//! graceful shutdown, the same for every crate.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

use crate::{Deadlines, HeroStore, router};

/// How long a SIGTERM or Ctrl-C waits for requests in flight before the
/// server stops anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The options of the `serve` subcommand, flattened into each crate's CLI.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen (HOST:PORT).
    #[arg(long, env = "ADDR", default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,

    /// Each request's deadline in milliseconds; past it the request gets a
    /// 503 and its transaction is rolled back (or, when its `COMMIT` was
    /// already sent, a 500 saying the outcome is unknown).
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,

    /// How long `GET /heroes/export` may stream, in milliseconds; past it
    /// the response is cut and the export's query cancelled.
    #[arg(long, env = "EXPORT_TIMEOUT_MS", default_value_t = 300_000)]
    pub export_timeout_ms: u64,
}

impl ServeArgs {
    /// The request and export deadlines.
    pub fn deadline(&self) -> Deadlines {
        Deadlines {
            request: Duration::from_millis(self.request_timeout_ms),
            export: Duration::from_millis(self.export_timeout_ms),
        }
    }
}

/// Logs one line per request (method, path, status, latency) to stdout,
/// at `info` unless `RUST_LOG` says otherwise. With `echo_sqlx`, the same
/// subscriber also prints each statement sqlx reports through `tracing`
/// (`ECHO=1` in sqlx-raw and SeaORM); the diesel crates echo through diesel's
/// own instrumentation and pass `false`.
pub fn init_logging(echo_sqlx: bool) {
    let echo = echo_sqlx.then(support::narrate::sqlx_echo_layer);
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let log = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_filter(filter);
    // Fails only when a subscriber is already set (a test that serves twice).
    let _ = tracing_subscriber::registry()
        .with(echo)
        .with(log)
        .try_init();
}

/// Listens on `args.addr` and serves `store` until SIGTERM or Ctrl-C.
pub async fn serve<S: HeroStore>(store: S, args: &ServeArgs) -> std::io::Result<()> {
    let listener = TcpListener::bind(args.addr).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", args.addr))
    })?;
    serve_on(listener, store, args.deadline(), shutdown_signal()).await
}

/// Serves `store` on `listener` until `shutdown` completes, then lets
/// requests in flight finish (at most [`SHUTDOWN_GRACE`]). Tests call this
/// with a listener on port 0 and a shutdown of their own.
pub async fn serve_on<S: HeroStore>(
    listener: TcpListener,
    store: S,
    deadline: impl Into<Deadlines>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A client that hangs up mid-response must cost its request, not the server.
    support::app::survive_broken_pipes();
    let addr = listener.local_addr()?;
    tracing::info!("{} serving the heroes API on http://{addr}", S::APP_SRC);
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = stopping.clone();
    let server =
        axum::serve(listener, router(store, deadline)).with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            notify.notify_one();
        });
    tokio::select! {
        served = server => served,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("requests still in flight after {} s; stopping anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
