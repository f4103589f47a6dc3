//! Where the server is and where a local cluster would live, read once from the
//! environment (and `.env`), validated before anything connects.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use url::Url;

use crate::error::{Error, Result};

/// The server every crate uses unless `DATABASE_URL` says otherwise: the seed's
/// credentials, the same as `docker-compose.yml` and `.env.example`.
pub const DEFAULT_URL: &str = "postgres://admin:changethis@localhost:5432/postgres";

/// PostgreSQL truncates longer identifiers silently; we refuse them instead.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// Validated connection settings plus the local-cluster options.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The URL, with only the first host when it names several.
    url: Url,
    /// Every `host:port` of a multi-host URL, as written (`None`: one host).
    hosts: Option<String>,
    config: postgres::Config,
    cluster_dir: Option<PathBuf>,
    bindir: Option<PathBuf>,
    deadlines: support::deadlines::Deadlines,
    app: Option<AppServer>,
}

/// Where the application connects when that is not the server itself: a
/// pooler in front of it (`DATABASE_URL`, when `MIGRATION_DATABASE_URL` names
/// the server, or when it is one of devdb's own PgBouncers).
#[derive(Clone, Debug)]
struct AppServer {
    url: Url,
    /// Every `host:port` when `url` names several.
    hosts: Option<String>,
    /// The local cluster's PgBouncer this is, started on demand like the cluster.
    pooler: Option<crate::scale::PoolMode>,
}

impl Settings {
    /// Reads `DATABASE_URL`, `MIGRATION_DATABASE_URL`, `PGDEV_DIR` and
    /// `PG_BINDIR` from the environment, after loading `.env` from the current
    /// folder or one above it if present.
    ///
    /// The server these settings manage (databases are created there, the
    /// local cluster started for it, migrations run on it) is
    /// `MIGRATION_DATABASE_URL` when set; else, when `DATABASE_URL` is one of
    /// devdb's own PgBouncers, the local cluster behind it; else
    /// `DATABASE_URL`. The application's connections go to `DATABASE_URL`
    /// ([`Settings::app_url_for`]).
    pub fn from_env() -> Result<Self> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(err) if err.not_found() => {}
            Err(err) => {
                return Err(Error::InvalidSetting(format!(
                    "cannot read .env: {err}; fix or remove it (see .env.example)"
                )));
            }
        }
        let mut settings = Self::from_vars(|name| std::env::var(name).ok())?;
        settings.bindir = std::env::var_os("PG_BINDIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        // Read here so that a bad value stops every binary before it connects.
        settings.deadlines = support::deadlines::Deadlines::from_env()
            .map_err(|e| Error::InvalidSetting(format!("{e} (see .env.example)")))?;
        support::statement_cache_from_env()
            .map_err(|e| Error::InvalidSetting(format!("{e} (see .env.example)")))?;
        support::pool_size_from_env()
            .map_err(|e| Error::InvalidSetting(format!("{e} (see .env.example)")))?;
        Ok(settings)
    }

    /// The servers and the cluster folder from `DATABASE_URL`,
    /// `MIGRATION_DATABASE_URL` and `PGDEV_DIR` as `var` gives them (see
    /// [`Settings::from_env`]); nothing else is read.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_URL.to_owned());
        let cluster_dir = var("PGDEV_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let migration_url = var("MIGRATION_DATABASE_URL").filter(|v| !v.is_empty());
        let mut settings = match migration_url {
            Some(direct) => {
                let mut settings = Self::new(&direct).map_err(|e| match e {
                    Error::InvalidUrl { reason } => Error::InvalidSetting(format!(
                        "MIGRATION_DATABASE_URL is not a usable PostgreSQL URL ({reason}); expected postgres://user:password@host:port/database (see .env.example)"
                    )),
                    other => other,
                })?;
                let app = Self::new(&url)?;
                settings.app = Some(AppServer {
                    url: app.url,
                    hosts: app.hosts,
                    pooler: None,
                });
                settings
            }
            None => {
                let app = Self::new(&url)?;
                match app.devdb_pooler(cluster_dir.as_deref()) {
                    Some((mode, cluster_port)) => {
                        let mut direct = app.url.clone();
                        // Cannot fail: the URL has a host (checked in `new`).
                        let _ = direct.set_port(Some(cluster_port));
                        let mut settings = Self::new(direct.as_str())?;
                        settings.app = Some(AppServer {
                            url: app.url,
                            hosts: None,
                            pooler: Some(mode),
                        });
                        settings
                    }
                    None => app,
                }
            }
        };
        settings.cluster_dir = cluster_dir;
        Ok(settings)
    }

    /// Parses and validates a server URL, without looking at the environment.
    ///
    /// A multi-host URL (`postgres://u:p@h1:5432,h2:5433/db`, as libpq and
    /// tokio-postgres accept it) is kept whole for connecting; what needs
    /// one host (the local cluster, PgBouncer, the replica) sees the first.
    pub fn new(url: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidUrl { reason };
        let (first, hosts) = split_hosts(url);
        let parsed = Url::parse(&first).map_err(|e| invalid(e.to_string()))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(invalid(format!(
                "scheme '{}' is not postgres://",
                parsed.scheme()
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("no host".to_owned()));
        }
        let config = postgres::Config::from_str(url).map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            url: parsed,
            hosts,
            config,
            cluster_dir: None,
            bindir: None,
            deadlines: support::deadlines::Deadlines::default(),
            app: None,
        })
    }

    /// When this URL is one of devdb's own PgBouncers (on localhost, at the
    /// port a `pgbouncer.ini` devdb wrote listens on): its mode and the port
    /// of the cluster behind it. devdb's PgBouncers listen on the cluster's
    /// port + 1000, 1001 or 1002 and live in the cluster's folder.
    fn devdb_pooler(&self, cluster_dir: Option<&Path>) -> Option<(crate::scale::PoolMode, u16)> {
        if !self.is_local() || self.is_multi_host() {
            return None;
        }
        let port = self.port();
        crate::scale::PoolMode::ALL.into_iter().find_map(|mode| {
            let cluster_port = port.checked_sub(mode.port_offset())?;
            let dir =
                cluster_dir.map_or_else(|| default_cluster_dir(cluster_port), Path::to_path_buf);
            let ini = std::fs::read_to_string(
                crate::scale::Pooler::dir_in(&dir, mode).join("pgbouncer.ini"),
            )
            .ok()?;
            let listens_here = ini
                .lines()
                .any(|line| line.replace(' ', "") == format!("listen_port={port}"));
            let routes_there = ini.contains(&format!("port={cluster_port}\n"));
            (listens_here && routes_there).then_some((mode, cluster_port))
        })
    }

    /// The URL the application uses for database `name`: `DATABASE_URL`'s
    /// server (a pooler, when there is one in front of this server), with the
    /// same credentials and options. Without a pooler, [`Settings::url_for`].
    pub fn app_url_for(&self, name: &str) -> Result<String> {
        let Some(app) = &self.app else {
            return self.url_for(name);
        };
        validate_database_name(name)?;
        let mut url = app.url.clone();
        url.set_path(&format!("/{name}"));
        Ok(with_hosts(url.as_str(), app.hosts.as_deref()))
    }

    /// The local cluster's PgBouncer `DATABASE_URL` names, if it names one.
    pub fn app_pooler(&self) -> Option<crate::scale::PoolMode> {
        self.app.as_ref().and_then(|app| app.pooler)
    }

    /// Uses `dir` for the local cluster instead of the default folder.
    #[must_use]
    pub fn with_cluster_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cluster_dir = Some(dir.into());
        self
    }

    /// Uses the server binaries in `dir` instead of searching for them.
    #[must_use]
    pub fn with_bindir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bindir = Some(dir.into());
        self
    }

    /// The URL of database `name` on this server (same credentials and options).
    pub fn url_for(&self, name: &str) -> Result<String> {
        validate_database_name(name)?;
        let mut url = self.url.clone();
        url.set_path(&format!("/{name}"));
        Ok(with_hosts(url.as_str(), self.hosts.as_deref()))
    }

    /// The URL of database `name` on another port of this host (PgBouncer's,
    /// the replica's): same credentials and options.
    pub fn url_at(&self, name: &str, port: u16) -> Result<String> {
        validate_database_name(name)?;
        if self.is_multi_host() {
            return Err(Error::InvalidSetting(format!(
                "{} names several hosts, so there is no one host to reach on port {port}",
                self.redacted()
            )));
        }
        let mut url = self.url.clone();
        url.set_path(&format!("/{name}"));
        url.set_port(Some(port))
            .map_err(|()| Error::InvalidSetting(format!("cannot set port {port} on the URL")))?;
        Ok(url.into())
    }

    /// The server URL with the password replaced, safe to print.
    pub fn redacted(&self) -> String {
        let mut url = self.url.clone();
        if url.password().is_some() {
            // Cannot fail: the URL has a host (checked in `new`).
            let _ = url.set_password(Some("***"));
        }
        url.set_path("");
        with_hosts(url.as_str(), self.hosts.as_deref())
    }

    /// True when the URL names more than one `host:port` (libpq's and
    /// tokio-postgres's multi-host form, for a primary and its standbys).
    pub fn is_multi_host(&self) -> bool {
        self.hosts.is_some()
    }

    /// The host name as written in the URL (the first, when it names several).
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// The TCP port (5432 when the URL has none; the first host's, when it
    /// names several).
    pub fn port(&self) -> u16 {
        self.url.port().unwrap_or(5432)
    }

    /// The user name the URL logs in as (decoded).
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or("postgres")
    }

    /// The password, if the URL has one (decoded).
    pub fn password(&self) -> Option<&[u8]> {
        self.config.get_password()
    }

    /// The database named in the URL; we connect to it to create the others.
    pub fn maintenance_database(&self) -> &str {
        self.config
            .get_dbname()
            .filter(|db| !db.is_empty())
            .unwrap_or("postgres")
    }

    /// True when the URL points at this machine, which is when we may start a
    /// cluster ourselves if nothing answers. A multi-host URL is never local
    /// in this sense: it names a primary and its standbys, which devdb starts
    /// only on `devdb ha up`.
    pub fn is_local(&self) -> bool {
        !self.is_multi_host()
            && matches!(
                self.url.host_str(),
                Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
            )
    }

    /// The folder of the local cluster: `PGDEV_DIR`, or one per OS user and port
    /// in the temporary folder, so that the `postgres` OS user can reach it when
    /// we run as root and the socket path stays short.
    pub fn cluster_dir(&self) -> PathBuf {
        self.cluster_dir
            .clone()
            .unwrap_or_else(|| default_cluster_dir(self.port()))
    }

    /// An explicit folder of server binaries, if one was given.
    pub fn bindir(&self) -> Option<&Path> {
        self.bindir.as_deref()
    }

    /// How long a connection attempt (TCP connect and login) may take:
    /// `PGCONNECT_TIMEOUT`, or `connect_timeout` in the URL, default 5 s.
    pub fn connect_deadline(&self) -> std::time::Duration {
        self.config
            .get_connect_timeout()
            .copied()
            .unwrap_or(self.deadlines.connect)
    }

    pub(crate) fn client_config(&self, database: &str) -> postgres::Config {
        let mut config = self.config.clone();
        config.dbname(database);
        // This bounds the TCP connect only; DevDb bounds the login as well.
        config.connect_timeout(self.connect_deadline());
        config
    }

    /// The folder a cluster on `port` would have: `PGDEV_DIR` when given,
    /// else the default for that port.
    pub(crate) fn cluster_dir_for(&self, port: u16) -> PathBuf {
        self.cluster_dir
            .clone()
            .unwrap_or_else(|| default_cluster_dir(port))
    }

    /// Every `(host, port)` the URL names, in order.
    pub fn host_ports(&self) -> Vec<(String, u16)> {
        let Some(hosts) = &self.hosts else {
            return vec![(self.host().to_owned(), self.port())];
        };
        hosts
            .split(',')
            .map(|entry| match entry.rsplit_once(':') {
                // `[::1]` has colons and no port.
                Some((host, port)) if !entry.ends_with(']') => {
                    (host.to_owned(), port.parse().unwrap_or(5432))
                }
                _ => (entry.to_owned(), 5432),
            })
            .collect()
    }
}

/// `url` with only its first host, and every `host:port` of its host list
/// when there is more than one: `postgres://u:p@a:1,b:2/db` gives
/// `(postgres://u:p@a:1/db, Some("a:1,b:2"))`.
pub(crate) fn split_hosts(url: &str) -> (String, Option<String>) {
    let Some((start, end)) = host_span(url) else {
        return (url.to_owned(), None);
    };
    let hosts = &url[start..end];
    match hosts.split_once(',') {
        Some((first, _)) => (
            format!("{}{first}{}", &url[..start], &url[end..]),
            Some(hosts.to_owned()),
        ),
        None => (url.to_owned(), None),
    }
}

/// `url` (one host) with its host replaced by `hosts` when given.
pub(crate) fn with_hosts(url: &str, hosts: Option<&str>) -> String {
    match (hosts, host_span(url)) {
        (Some(hosts), Some((start, end))) => format!("{}{hosts}{}", &url[..start], &url[end..]),
        _ => url.to_owned(),
    }
}

/// Where the host list of `scheme://[userinfo@]hosts[/path][?query]` is.
fn host_span(url: &str) -> Option<(usize, usize)> {
    let authority_start = url.find("://")? + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let hosts_start = authority.rfind('@').map_or(0, |at| at + 1);
    Some((
        authority_start + hosts_start,
        authority_start + authority_len,
    ))
}

/// The local cluster's folder for `port` when `PGDEV_DIR` is not set.
pub(crate) fn default_cluster_dir(port: u16) -> PathBuf {
    let uid = nix::unistd::geteuid();
    std::env::temp_dir().join(format!("pgdev-{uid}-{port}"))
}

/// Rejects names PostgreSQL would truncate or that cannot be a database name.
pub(crate) fn validate_database_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_IDENTIFIER_BYTES || name.contains('\0') {
        return Err(Error::InvalidSetting(format!(
            "'{name}' is not a usable database name: it must be 1 to {MAX_IDENTIFIER_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_is_local_and_uses_the_seed_credentials() {
        let s = Settings::new(DEFAULT_URL).unwrap();
        assert!(s.is_local());
        assert_eq!(s.user(), "admin");
        assert_eq!(s.password(), Some(&b"changethis"[..]));
        assert_eq!(s.port(), 5432);
        assert_eq!(s.maintenance_database(), "postgres");
    }

    #[test]
    fn url_for_replaces_only_the_database() {
        let s =
            Settings::new("postgres://u:p%40ss@localhost:6543/postgres?sslmode=disable").unwrap();
        assert_eq!(
            s.url_for("sync_diesel").unwrap(),
            "postgres://u:p%40ss@localhost:6543/sync_diesel?sslmode=disable"
        );
        assert_eq!(s.password(), Some(&b"p@ss"[..]));
    }

    #[test]
    fn redacted_hides_the_password() {
        let s = Settings::new(DEFAULT_URL).unwrap();
        assert_eq!(s.redacted(), "postgres://admin:***@localhost:5432");
    }

    #[test]
    fn remote_hosts_are_not_local() {
        let s = Settings::new("postgres://a:b@db.example.invalid/x").unwrap();
        assert!(!s.is_local());
        assert!(
            Settings::new("postgres://a:b@[::1]:5432/x")
                .unwrap()
                .is_local()
        );
    }

    #[test]
    fn malformed_urls_are_rejected_with_the_expected_shape() {
        for bad in [
            "not a url",
            "mysql://a@b/c",
            "postgres:///nohost",
            "postgres://a@h:99999/x",
        ] {
            let err = Settings::new(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{bad}: {err}");
            assert!(
                err.to_string().contains("postgres://user:password@host"),
                "{err}"
            );
        }
    }

    #[test]
    fn multi_host_urls_keep_every_host() {
        let url = "postgres://u:p@127.0.0.1:5532,127.0.0.1:5533,[::1]:5534/db?target_session_attrs=read-write";
        let s = Settings::new(url).unwrap();
        assert!(s.is_multi_host());
        // Never the local cluster: devdb starts that on one port only.
        assert!(!s.is_local());
        assert_eq!((s.host(), s.port()), ("127.0.0.1", 5532));
        assert_eq!(
            s.host_ports(),
            [
                ("127.0.0.1".to_owned(), 5532),
                ("127.0.0.1".to_owned(), 5533),
                ("[::1]".to_owned(), 5534)
            ]
        );
        assert_eq!(
            s.url_for("other").unwrap(),
            "postgres://u:p@127.0.0.1:5532,127.0.0.1:5533,[::1]:5534/other?target_session_attrs=read-write"
        );
        assert_eq!(
            s.redacted(),
            "postgres://u:***@127.0.0.1:5532,127.0.0.1:5533,[::1]:5534?target_session_attrs=read-write"
        );
        assert!(s.url_at("other", 6432).is_err());
        assert_eq!(s.maintenance_database(), "db");
        // As DATABASE_URL too.
        let from_env =
            Settings::from_vars(|name| (name == "DATABASE_URL").then(|| url.to_owned())).unwrap();
        assert_eq!(
            from_env.app_url_for("x").unwrap(),
            "postgres://u:p@127.0.0.1:5532,127.0.0.1:5533,[::1]:5534/x?target_session_attrs=read-write"
        );
        // One host: untouched.
        assert_eq!(
            split_hosts("postgres://u@h:1/db"),
            ("postgres://u@h:1/db".to_owned(), None)
        );
        assert_eq!(
            split_hosts("postgres://a:1,b:2"),
            ("postgres://a:1".to_owned(), Some("a:1,b:2".to_owned()))
        );
    }

    #[test]
    fn database_names_are_checked() {
        let s = Settings::new(DEFAULT_URL).unwrap();
        assert!(s.url_for("").is_err());
        assert!(s.url_for(&"x".repeat(64)).is_err());
        assert!(s.url_for(&"x".repeat(63)).is_ok());
    }
}
