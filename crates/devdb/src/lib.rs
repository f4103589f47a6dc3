//! The dev-database helper: given the database a crate wants, return a URL that
//! works now.
//!
//! Every example, test and benchmark in the workspace gets its database here:
//!
//! 1. `DATABASE_URL` (environment or `.env`; default [`DEFAULT_URL`]) names the server.
//! 2. If that server answers, the requested database is created when missing.
//! 3. If it is on localhost and nothing answers, a local cluster is started from
//!    the installed PostgreSQL binaries (as the `postgres` OS user when we are
//!    root) and kept running for the next program, test or run.
//! 4. Otherwise the error is one line saying what to do ([`Error`]).
//!
//! ```no_run
//! let url = devdb::database_url("sync_diesel")?;
//! # Ok::<(), devdb::Error>(())
//! ```

/// The local cluster: `initdb`, start, stop, status.
pub mod cluster;
/// The error type; every variant is one line with a hint.
pub mod error;
/// A highly available cluster: etcd, three Patroni nodes, HAProxy.
pub mod ha;
/// PgBouncer (transaction and session mode) and a streaming read replica of
/// the local cluster.
pub mod scale;
/// `DATABASE_URL` and the cluster options, validated.
pub mod settings;
/// For tests of the example binaries: bad input must fail in one line.
pub mod testing;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use cluster::LocalCluster;
pub use error::{Error, Result};
pub use settings::{DEFAULT_URL, Settings};

use error::describe;

/// The URL of database `name` on the configured server, after making sure the
/// server runs and the database exists. Reads the settings from the environment.
pub fn database_url(name: &str) -> Result<String> {
    DevDb::from_env()?.database_url(name)
}

/// Both URLs a program needs for database `name`, after making sure the
/// server runs and the database exists: one for its queries, one for its
/// migrations. Reads the settings from the environment.
pub fn database(name: &str) -> Result<Database> {
    DevDb::from_env()?.database(name)
}

/// Where a program sends its queries and where it runs its migrations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Database {
    /// `DATABASE_URL` with the database's name: the server, or a pooler in
    /// front of it (PgBouncer).
    pub url: String,
    /// The server itself, never a pooler: `MIGRATION_DATABASE_URL`, or the
    /// local cluster behind devdb's own PgBouncer, or the same as `url`.
    /// Migrations hold a session-level lock and may run statements that
    /// refuse a transaction, which a transaction-mode pooler cannot carry.
    pub migration_url: String,
}

/// How the server came to be available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    /// It was already answering (a running local cluster, docker compose, or a
    /// remote server).
    AlreadyRunning,
    /// We started the local cluster; `initialised` is true if we also had to
    /// create it with `initdb`.
    Started {
        /// Whether `initdb` ran first.
        initialised: bool,
        /// Time from the first failed connection to the server answering.
        elapsed: Duration,
    },
}

/// The helper, bound to one set of [`Settings`].
#[derive(Clone, Debug)]
pub struct DevDb {
    settings: Settings,
}

impl DevDb {
    /// Settings from the environment (`DATABASE_URL`, `PGDEV_DIR`, `PG_BINDIR`).
    pub fn from_env() -> Result<Self> {
        Settings::from_env().map(Self::new)
    }

    /// A helper for explicit settings (used by the helper's own tests).
    pub fn new(settings: Settings) -> Self {
        Self { settings }
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The local cluster these settings would use.
    pub fn cluster(&self) -> LocalCluster {
        LocalCluster::new(&self.settings)
    }

    /// Makes sure the server answers, starting the local cluster if the URL
    /// points at localhost and nothing listens there.
    pub fn ensure_server(&self) -> Result<ServerState> {
        // The client is dropped on that thread too: dropping it also needs
        // its own runtime.
        off_runtime(|| self.ensure_server_blocking().map(|(state, _)| state))
    }

    /// Makes sure the server runs and database `name` exists; returns its URL
    /// as the application reaches it: through the pooler `DATABASE_URL`
    /// names, if any (devdb's own PgBouncer is started when it is down).
    pub fn database_url(&self, name: &str) -> Result<String> {
        self.database(name).map(|db| db.url)
    }

    /// Both URLs of database `name` (see [`Database`]), after making sure
    /// the server runs, the database exists and devdb's PgBouncer runs when
    /// `DATABASE_URL` names it.
    pub fn database(&self, name: &str) -> Result<Database> {
        let migration_url = self.direct_url(name)?;
        let url = match self.settings.app_pooler() {
            Some(mode) => self.start_pooler(name, mode)?,
            None => self.settings.app_url_for(name)?,
        };
        Ok(Database { url, migration_url })
    }

    /// Makes sure the server runs and database `name` exists; returns its URL
    /// on the server itself, never through a pooler (for migrations).
    pub fn direct_url(&self, name: &str) -> Result<String> {
        let url = self.settings.url_for(name)?;
        off_runtime(|| {
            let (_, mut client) = self.ensure_server_blocking()?;
            create_database_if_missing(&mut client, name)
        })?;
        Ok(url)
    }

    /// Drops database `name` if it exists, disconnecting its sessions first
    /// (starting the local cluster first if it is down, like every other call).
    pub fn drop_database(&self, name: &str) -> Result<()> {
        settings::validate_database_name(name)?;
        off_runtime(|| {
            let (_, mut client) = self.ensure_server_blocking()?;
            client
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(name)
                ))
                .map_err(|e| Error::Server {
                    context: format!("cannot drop database {name}"),
                    cause: describe(&e),
                })
        })
    }

    // ANCHOR: template
    /// Makes template database `name` once, for [`TestDatabase::from_template`]:
    /// creates it under another name, hands that database's URL to `migrate`,
    /// and renames it `name` only when `migrate` succeeded, all under a lock,
    /// so that test processes that race make it once and none clones half a
    /// template. When `name` exists already, does nothing. `migrate` must
    /// close its connections before it returns (PostgreSQL clones, and
    /// renames, only a database nobody is connected to). After changing the
    /// migrations, migrate each clone too (a no-op when the template is
    /// current), or drop the template.
    pub fn template(
        &self,
        name: &str,
        migrate: impl FnOnce(&str) -> std::result::Result<(), String> + Send,
    ) -> Result<()> {
        settings::validate_database_name(name)?;
        let building = format!("{name}__building");
        settings::validate_database_name(&building)?;
        let building_url = self.settings.url_for(&building)?;
        off_runtime(|| {
            let (_, mut client) = self.ensure_server_blocking()?;
            let failed = |context: &str, e: &postgres::Error| Error::Server {
                context: format!("{context} template {name}"),
                cause: describe(e),
            };
            // A session lock on the maintenance connection: released by the
            // unlock below, or by this connection closing if we fail.
            client
                .execute("SELECT pg_advisory_lock(hashtext($1))", &[&name])
                .map_err(|e| failed("cannot lock", &e))?;
            let exists = client
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .map_err(|e| failed("cannot look for", &e))?
                .is_some();
            if !exists {
                // A half-made copy a failed run left behind goes first.
                for statement in [
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    "CREATE DATABASE {}",
                ] {
                    let statement = statement.replace("{}", &quote_ident(&building));
                    client
                        .batch_execute(&statement)
                        .map_err(|e| failed("cannot create", &e))?;
                }
                migrate(&building_url).map_err(|cause| Error::Server {
                    context: format!("cannot migrate template {name}"),
                    cause,
                })?;
                let rename = format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    quote_ident(&building),
                    quote_ident(name)
                );
                client
                    .batch_execute(&rename)
                    .map_err(|e| failed("cannot finish", &e))?;
            }
            client
                .execute("SELECT pg_advisory_unlock(hashtext($1))", &[&name])
                .map_err(|e| failed("cannot unlock", &e))?;
            Ok(())
        })
    }

    /// Creates database `name` as a copy of `template` (`CREATE DATABASE …
    /// TEMPLATE …`): the server copies the template's files, so the copy has
    /// its schema and rows without running a migration.
    pub fn clone_database(&self, template: &str, name: &str) -> Result<()> {
        settings::validate_database_name(name)?;
        off_runtime(|| {
            let (_, mut client) = self.ensure_server_blocking()?;
            let create = format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(name),
                quote_ident(template)
            );
            client.batch_execute(&create).map_err(|e| Error::Server {
                context: format!("cannot create database {name} from template {template}"),
                cause: describe(&e),
            })
        })
    }
    // ANCHOR_END: template

    /// The URL of database `name` through the local cluster's PgBouncer in
    /// `mode`, after making sure the cluster, the database and that PgBouncer
    /// run. Only for the local cluster: with `DATABASE_URL` elsewhere, point
    /// at your own pooler.
    pub fn pooler_url(&self, name: &str, mode: scale::PoolMode) -> Result<String> {
        self.require_local_cluster("PgBouncer")?;
        self.direct_url(name)?;
        self.start_pooler(name, mode)
    }

    /// Starts the local cluster's PgBouncer in `mode` unless it runs (the
    /// cluster runs already); returns database `name`'s URL through it.
    fn start_pooler(&self, name: &str, mode: scale::PoolMode) -> Result<String> {
        let pooler = scale::Pooler::new(&self.settings, mode);
        {
            let _lock = self.cluster().lock()?;
            pooler.start()?;
        }
        self.settings.url_at(name, pooler.port())
    }

    /// The URL of database `name` on the local cluster's streaming replica,
    /// after making sure the cluster, the database and the replica run and
    /// the replica has replayed the database's creation (30 s at most).
    pub fn replica_url(&self, name: &str) -> Result<String> {
        self.require_local_cluster("a replica")?;
        self.direct_url(name)?;
        let replica = scale::Replica::new(&self.settings);
        {
            let _lock = self.cluster().lock()?;
            replica.start(self.settings.bindir())?;
            // One that runs but cannot stream (the WAL it needs is gone from
            // the primary) would never catch up: stop it and clone it again.
            // All under the lock: two callers that both found it broken
            // would otherwise each clone it, the second throwing away the
            // fresh replica the first had begun to use (its paused replay,
            // in a test, and the writes it had not replayed).
            if !self.replica_streams(&replica)? {
                replica.stop()?;
                replica.start(self.settings.bindir())?;
            }
        }
        // The cluster commits asynchronously (devdb trades durability for
        // speed), and an asynchronous commit is not yet written out when it
        // returns, so its WAL position cannot be waited for on the replica
        // (crates' `replica::wal_position`). With a replica, commits are
        // synchronous again, PostgreSQL's default (fsync stays off: cheap).
        off_runtime(|| {
            let (_, mut client) = self.ensure_server_blocking()?;
            // Two statements, two calls: ALTER SYSTEM refuses to run inside
            // the implicit transaction of a multi-statement query.
            [
                "ALTER SYSTEM SET synchronous_commit = on",
                "SELECT pg_reload_conf()",
            ]
            .into_iter()
            .try_for_each(|sql| client.batch_execute(sql))
            .map_err(|e| Error::Server {
                context: "cannot make commits synchronous on the primary".to_owned(),
                cause: describe(&e),
            })
        })?;
        let url = self.settings.url_at(name, replica.port())?;
        let on_replica = Settings::new(&url)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        off_runtime(|| {
            loop {
                match on_replica.client_config(name).connect(postgres::NoTls) {
                    Ok(_) => return Ok(()),
                    Err(err) if Instant::now() >= deadline => {
                        return Err(Error::Server {
                            context: format!(
                                "database {name} did not appear on the replica within 30 s"
                            ),
                            cause: describe(&err),
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        })?;
        Ok(url)
    }

    /// Whether the replica's WAL receiver is streaming from the primary (or
    /// a test has paused its replay), asked for up to 20 s (it connects a
    /// moment after the replica starts).
    fn replica_streams(&self, replica: &scale::Replica) -> Result<bool> {
        let url = self
            .settings
            .url_at(self.settings.maintenance_database(), replica.port())?;
        let on_replica = Settings::new(&url)?;
        // Generous: a busy machine (a test run) can be slow to answer, and a
        // wrong "no" costs a fresh base backup.
        let deadline = Instant::now() + Duration::from_secs(20);
        Ok(off_runtime(|| {
            loop {
                let streaming = on_replica
                    .client_config(on_replica.maintenance_database())
                    .connect(postgres::NoTls)
                    .and_then(|mut client| {
                        // A replica whose replay a test has paused (ReplayPause)
                        // counts as streaming: restarting it would undo the
                        // pause in the middle of that test.
                        client.query_one(
                            "SELECT count(*) + (pg_get_wal_replay_pause_state() <> 'not paused')::int
                               FROM pg_stat_wal_receiver WHERE status = 'streaming'",
                            &[],
                        )
                    })
                    .is_ok_and(|row| row.get::<_, i64>(0) > 0);
                if streaming || Instant::now() >= deadline {
                    return streaming;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }))
    }

    /// PgBouncer and the replica are ours to start only in front of the
    /// local cluster.
    fn require_local_cluster(&self, what: &str) -> Result<()> {
        if self.settings.is_local() {
            Ok(())
        } else {
            Err(Error::InvalidSetting(format!(
                "devdb starts {what} only for the local cluster, and DATABASE_URL points at {}; use that server's own",
                self.settings.redacted()
            )))
        }
    }

    /// True when the server answers and accepts our credentials.
    pub fn is_reachable(&self) -> bool {
        off_runtime(|| self.connect_maintenance().is_ok())
    }

    /// Stops the local cluster. Returns false if it was not running. Refuses
    /// when the server in use is not ours (remote, or docker compose).
    pub fn stop(&self) -> Result<bool> {
        let cluster = self.cluster();
        if cluster.running_pid().is_none() && self.is_reachable() {
            return Err(Error::InvalidSetting(format!(
                "the server at {} is not the local cluster in {}; stop it where it was started (e.g. `docker compose down`)",
                self.settings.redacted(),
                cluster.dir().display()
            )));
        }
        let _lock = cluster.lock()?;
        // What stands in front of and beside the cluster goes first.
        for mode in scale::PoolMode::ALL {
            scale::Pooler::new(&self.settings, mode).stop()?;
        }
        scale::Replica::new(&self.settings).stop()?;
        cluster.stop()
    }

    fn ensure_server_blocking(&self) -> Result<(ServerState, postgres::Client)> {
        let first = match self.connect_maintenance() {
            Ok(client) => return Ok((ServerState::AlreadyRunning, client)),
            Err(err) => err,
        };
        if let Some((dir, _)) = ha::HaCluster::serving(&self.settings)
            && !matches!(&first, ConnectFailure::Failed(e) if e.as_db_error().is_some())
        {
            return Err(Error::HaDown {
                target: self.settings.redacted(),
                dir,
                cause: match &first {
                    ConnectFailure::Failed(err) => describe(err),
                    ConnectFailure::NoAnswer(waited) => {
                        format!("no answer within {} s", waited.as_secs())
                    }
                },
            });
        }
        if !(self.settings.is_local() && nothing_listening(&first)) {
            return Err(self.classify(&first));
        }
        let began = Instant::now();
        let cluster = self.cluster();
        let _lock = cluster.lock()?;
        // Whoever held the lock before us may have started it already.
        if let Ok(client) = self.connect_maintenance() {
            return Ok((ServerState::AlreadyRunning, client));
        }
        let initialised = !cluster.is_initialised();
        cluster.start()?;
        let client = self.connect_maintenance().map_err(|e| self.classify(&e))?;
        Ok((
            ServerState::Started {
                initialised,
                elapsed: began.elapsed(),
            },
            client,
        ))
    }

    /// Connects to the maintenance database, within the connect deadline for
    /// the login too: the client's own `connect_timeout` covers only the TCP
    /// connect, and a listener that accepts and never speaks PostgreSQL would
    /// otherwise hold us for as long as the OS keeps the socket.
    fn connect_maintenance(&self) -> Result<postgres::Client, ConnectFailure> {
        let config = self
            .settings
            .client_config(self.settings.maintenance_database());
        let deadline = self.settings.connect_deadline();
        let (sent, received) = std::sync::mpsc::channel();
        // Left behind on a timeout, blocked on the silent socket until the
        // process ends; it holds nothing else.
        std::thread::spawn(move || {
            let _ = sent.send(config.connect(postgres::NoTls));
        });
        match received.recv_timeout(deadline) {
            Ok(result) => result.map_err(ConnectFailure::Failed),
            Err(_) => Err(ConnectFailure::NoAnswer(deadline)),
        }
    }

    /// Turns a connection failure into the one-line error a user sees.
    fn classify(&self, failure: &ConnectFailure) -> Error {
        let target = self.settings.redacted();
        let err = match failure {
            ConnectFailure::Failed(err) => err,
            ConnectFailure::NoAnswer(waited) => {
                return Error::NoAnswer {
                    target,
                    waited_s: waited.as_secs(),
                };
            }
        };
        let cause = describe(err);
        let auth = err.code().is_some_and(|c| {
            *c == postgres::error::SqlState::INVALID_PASSWORD
                || *c == postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        });
        if auth {
            let cluster = self.cluster();
            let hint = if self.settings.is_local() && cluster.running_pid().is_some() {
                format!(
                    "; if the local cluster in {} was created with other credentials, stop it (`just down`) and delete that folder to recreate it",
                    cluster.dir().display()
                )
            } else {
                String::new()
            };
            return Error::AuthFailed {
                target,
                cause,
                hint,
            };
        }
        Error::Unreachable { target, cause }
    }
}

/// Why a connection attempt failed.
#[derive(Debug)]
enum ConnectFailure {
    /// Refused, reset, bad credentials, unknown host...: the client's error.
    Failed(postgres::Error),
    /// Nothing came back within the deadline (TCP connect or login).
    NoAnswer(Duration),
}

/// True when the failure means "no server at that address" (as opposed to a
/// server that answered and refused, or a host that does not exist).
fn nothing_listening(failure: &ConnectFailure) -> bool {
    let ConnectFailure::Failed(err) = failure else {
        return false;
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            // Reset/aborted: the port is being torn down by a server killed a
            // moment ago (seen right after `kill -9` of the postmaster).
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::NotFound
            );
        }
        source = cause.source();
    }
    false
}

fn create_database_if_missing(client: &mut postgres::Client, name: &str) -> Result<()> {
    let failed = |e: &postgres::Error| Error::Server {
        context: format!("cannot create database {name}"),
        cause: describe(e),
    };
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .map_err(|e| failed(&e))?
        .is_some();
    if exists {
        return Ok(());
    }
    match client.batch_execute(&format!("CREATE DATABASE {}", quote_ident(name))) {
        Ok(()) => Ok(()),
        // Another process created it between our check and our CREATE.
        Err(e)
            if e.code() == Some(&postgres::error::SqlState::DUPLICATE_DATABASE)
                || e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) =>
        {
            Ok(())
        }
        Err(e) => Err(failed(&e)),
    }
}

/// Quotes an identifier for SQL (database names cannot be bind parameters).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Runs blocking client code on a thread of its own: the synchronous
/// `postgres` client drives its own small runtime and must not run on a thread
/// that is already inside a tokio runtime (async tests and examples call us).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// A database of its own for one test, dropped (with its sessions) when the
/// guard goes out of scope, so tests run in parallel without seeing each other.
#[derive(Debug)]
pub struct TestDatabase {
    devdb: DevDb,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database named `<prefix>_<pid>_<n>` on the configured
    /// server (starting the local cluster if needed).
    pub fn create(prefix: &str) -> Result<Self> {
        let devdb = DevDb::from_env()?;
        let name = unique_name(prefix);
        let url = devdb.database_url(&name)?;
        Ok(Self { devdb, name, url })
    }

    /// Like [`TestDatabase::create`], but a copy of database `template`
    /// (made once by [`DevDb::template`]): its schema and rows for the price
    /// of a file copy on the server, where a new database would run every
    /// migration.
    pub fn from_template(prefix: &str, template: &str) -> Result<Self> {
        let devdb = DevDb::from_env()?;
        let name = unique_name(prefix);
        devdb.clone_database(template, &name)?;
        let url = devdb.database_url(&name)?;
        Ok(Self { devdb, name, url })
    }

    /// The URL of the test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The test database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `<prefix>_<pid>_<n>_<nanos>`, cut to PostgreSQL's 63 bytes: unique across
/// the processes and threads of a test run.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut name = format!("{prefix}_{}_{n}_{nanos:x}", std::process::id());
    name.truncate(63);
    name
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::env::var_os("PGDEV_KEEP_TEST_DBS").is_none() {
            let _ = self.devdb.drop_database(&self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quote_ident;

    #[test]
    fn identifiers_are_quoted_and_inner_quotes_doubled() {
        assert_eq!(quote_ident("plain"), "\"plain\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
