//! A witness for "how many statements did that request send": a TCP proxy
//! between a server under test and PostgreSQL that forwards every byte
//! unchanged and reads the client's side of the wire protocol on the way.
//!
//! It counts what the server *executes*: each simple `Query` message, and
//! each `Execute` of the extended protocol, named by the SQL its `Parse`
//! gave (through the `Bind` that ties a portal to a prepared statement). It
//! also counts round trips: each `Query`, and each `Sync` after an
//! `Execute`, is a request the client then waits on (`ReadyForQuery`); a
//! bare `Sync` is a pool's ping, counted apart. No crate's own logging is
//! trusted, and no server setting is needed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The statements seen so far, in order, across every connection, the
/// bytes PostgreSQL has sent back, the round trips that ran statements and
/// the pings.
#[derive(Clone, Default)]
pub struct Statements(
    Arc<Mutex<Vec<String>>>,
    Arc<AtomicU64>,
    Arc<AtomicU64>,
    Arc<AtomicU64>,
);

impl Statements {
    /// Round trips that ran statements, and pings (a bare `Sync`), since the
    /// last call.
    pub fn take_round_trips(&self) -> (u64, u64) {
        (
            self.2.swap(0, Ordering::Relaxed),
            self.3.swap(0, Ordering::Relaxed),
        )
    }

    /// Bytes sent by PostgreSQL to the server under test so far.
    pub fn bytes_from_postgres(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }

    /// Takes what was seen, leaving the list empty.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut seen| std::mem::take(&mut *seen))
            .unwrap_or_default()
    }

    fn push(&self, sql: String) {
        if let Ok(mut seen) = self.0.lock() {
            seen.push(sql);
        }
    }
}

/// Listens on a free port of 127.0.0.1 and forwards each connection to
/// `upstream` (`host:port`). Returns the port and what it sees.
pub async fn proxy(upstream: String) -> Result<(u16, Statements), String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("statement proxy: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let seen = Statements::default();
    let witness = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            let seen = witness.clone();
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(&upstream).await {
                    let _ = relay(client, server, seen).await;
                }
            });
        }
    });
    Ok((port, seen))
}

/// `url` with its host and port replaced by 127.0.0.1:`port`, and the
/// `host:port` it named.
pub fn through(url: &str, port: u16) -> Result<(String, String), String> {
    let start = url.find('@').map(|at| at + 1).ok_or("no @ in the URL")?;
    let end = url[start..]
        .find('/')
        .map(|i| start + i)
        .ok_or("no / after the host")?;
    let upstream = url[start..end].replace("localhost", "127.0.0.1");
    let proxied = format!("{}127.0.0.1:{port}{}", &url[..start], &url[end..]);
    Ok((proxied, upstream))
}

async fn relay(client: TcpStream, server: TcpStream, seen: Statements) -> std::io::Result<()> {
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let received = seen.1.clone();
    let to_client = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = server_rx.read(&mut buf).await {
            if n == 0 || client_tx.write_all(&buf[..n]).await.is_err() {
                break;
            }
            received.fetch_add(n as u64, Ordering::Relaxed);
        }
        let _ = client_tx.shutdown().await;
    });
    let mut reader = Reader::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = client_rx.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        reader.feed(&buf[..n], &seen);
        server_tx.write_all(&buf[..n]).await?;
    }
    let _ = server_tx.shutdown().await;
    to_client.abort();
    Ok(())
}

/// The client side of the protocol, parsed as it streams past.
#[derive(Default)]
struct Reader {
    pending: Vec<u8>,
    /// Startup (and an SSL or GSS request before it) has no type byte.
    started: bool,
    statements: HashMap<String, String>,
    portals: HashMap<String, String>,
    /// An `Execute` was sent since the last `Sync`.
    executed: bool,
}

impl Reader {
    fn feed(&mut self, bytes: &[u8], seen: &Statements) {
        self.pending.extend_from_slice(bytes);
        loop {
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                return;
            }
            let at = header - 4;
            let len = u32::from_be_bytes([
                self.pending[at],
                self.pending[at + 1],
                self.pending[at + 2],
                self.pending[at + 3],
            ]) as usize;
            let total = at + len;
            if self.pending.len() < total {
                return;
            }
            let message: Vec<u8> = self.pending.drain(..total).collect();
            if !self.started {
                let code = message
                    .get(4..8)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                // 80877103: SSLRequest, 80877104: GSSENCRequest; the
                // startup message itself follows, still without a type byte.
                if !matches!(code, Some(80_877_103 | 80_877_104)) {
                    self.started = true;
                }
                continue;
            }
            self.message(message[0], &message[5..], seen);
        }
    }

    fn message(&mut self, kind: u8, body: &[u8], seen: &Statements) {
        let mut fields = body
            .split(|b| *b == 0)
            .map(|f| String::from_utf8_lossy(f).into_owned());
        match kind {
            b'Q' => seen.2.fetch_add(1, Ordering::Relaxed),
            b'S' if std::mem::take(&mut self.executed) => seen.2.fetch_add(1, Ordering::Relaxed),
            b'S' => seen.3.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        match kind {
            b'Q' => seen.push(fields.next().unwrap_or_default()),
            b'P' => {
                let name = fields.next().unwrap_or_default();
                let sql = fields.next().unwrap_or_default();
                self.statements.insert(name, sql);
            }
            b'B' => {
                let portal = fields.next().unwrap_or_default();
                let statement = fields.next().unwrap_or_default();
                let sql = self.statements.get(&statement).cloned().unwrap_or_default();
                self.portals.insert(portal, sql);
            }
            b'E' => {
                self.executed = true;
                let portal = fields.next().unwrap_or_default();
                seen.push(self.portals.get(&portal).cloned().unwrap_or_default());
            }
            _ => {}
        }
    }
}

/// The statements among `seen` that read or write a table of the schema
/// (not `BEGIN`, `COMMIT`, `SET`, or a checkout's `SELECT 1`).
pub fn touching_tables(seen: &[String]) -> Vec<&String> {
    seen.iter()
        .filter(|sql| {
            let sql = sql.to_lowercase();
            sql.contains("heroes") || sql.contains("teams")
        })
        .collect()
}
