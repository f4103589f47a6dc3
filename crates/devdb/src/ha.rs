//! A highly available PostgreSQL on this machine, from the installed
//! packages (`apt-get install patroni python3-etcd etcd-server haproxy`): etcd, three
//! Patroni nodes with `synchronous_mode: true`, and HAProxy routing by
//! Patroni's REST health checks.
//!
//! Ports follow the local cluster's port `P` (5432 by default), from a
//! base `B = P + 100`: the nodes' PostgreSQL on `B`, `B + 1`, `B + 2`, their
//! Patroni REST APIs on `B + 10` … `B + 12`, etcd on `B + 20` (peers
//! `B + 21`), HAProxy's primary port on `B + 30` (to whichever node answers
//! 200 on `/primary`) and its replica port on `B + 31` (`/replica`).
//! Everything lives in the cluster folder's `ha/`; the programs run as the
//! `postgres` OS user when we are root (PostgreSQL refuses root, and Patroni
//! runs PostgreSQL).
//!
//! Durability is PostgreSQL's default here (`fsync` and
//! `synchronous_commit` on), unlike devdb's single cluster: a commit
//! returns once the synchronous standby has it, which is what lets a
//! failover lose no acknowledged write.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster::{self, LocalCluster};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// How far above the local cluster's port the HA ports begin.
pub const BASE_OFFSET: u16 = 100;
/// Patroni nodes.
pub const NODES: u16 = 3;
const REST_OFFSET: u16 = 10;
const ETCD_OFFSET: u16 = 20;
const HAPROXY_PRIMARY_OFFSET: u16 = 30;
const HAPROXY_REPLICA_OFFSET: u16 = 31;
/// Patroni's leader key lives this long without renewal (s): a dead
/// leader is replaced about this long after it dies.
pub const TTL_S: u64 = 10;
/// How long `up` waits for a leader, its synchronous standby and HAProxy.
const UP_DEADLINE: Duration = Duration::from_secs(120);
/// How long a switchover or a failover may take to show a new leader.
const TAKEOVER_DEADLINE: Duration = Duration::from_secs(60);

/// How a URL from [`HaCluster::url`] reaches the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// Every node's address, with `target_session_attrs=read-write`: libpq
    /// and tokio-postgres try them in turn and keep the one that takes writes.
    MultiHost,
    /// HAProxy's primary port: one address, always the leader.
    Haproxy,
    /// HAProxy's replica port: the standbys, in turn.
    HaproxyReplica,
}

/// One node as Patroni's `GET /cluster` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// `node0`, `node1`, `node2`.
    pub name: String,
    /// `leader`, `sync_standby` or `replica`.
    pub role: String,
    /// `running`, `streaming`, `stopped`, `starting`…
    pub state: String,
    /// Its PostgreSQL port.
    pub port: u16,
    /// Its timeline.
    pub timeline: Option<u64>,
    /// Replication lag in bytes (`None` for the leader, or unknown).
    pub lag: Option<u64>,
}

/// The HA cluster of one local-cluster folder.
#[derive(Clone, Debug)]
pub struct HaCluster {
    cluster: LocalCluster,
    dir: PathBuf,
    base: u16,
    user: String,
    password: String,
    bindir: Option<PathBuf>,
}

impl HaCluster {
    /// The HA cluster beside the local cluster `settings` describe (nothing
    /// is touched yet). When `settings` already point at an HA cluster of
    /// devdb's (a node, HAProxy, or a multi-host URL of them), that one.
    pub fn new(settings: &Settings) -> Self {
        let (dir, base) = Self::serving(settings).unwrap_or_else(|| {
            (
                settings.cluster_dir().join("ha"),
                settings.port().saturating_add(BASE_OFFSET),
            )
        });
        Self {
            cluster: LocalCluster::new(settings),
            dir,
            base,
            user: settings.user().to_owned(),
            password: String::from_utf8_lossy(settings.password().unwrap_or_default()).into_owned(),
            bindir: settings.bindir().map(Path::to_path_buf),
        }
    }

    /// When `settings` point at one of devdb's HA clusters: its folder and
    /// base port. Found by the ports its `ports` file lists, as devdb's
    /// PgBouncers are found by their `pgbouncer.ini`.
    pub(crate) fn serving(settings: &Settings) -> Option<(PathBuf, u16)> {
        let ports: Vec<u16> = settings
            .host_ports()
            .iter()
            .filter(|(host, _)| matches!(host.as_str(), "localhost" | "127.0.0.1"))
            .map(|(_, port)| *port)
            .collect();
        let first = *ports.first()?;
        let offsets = (0..NODES).chain([HAPROXY_PRIMARY_OFFSET, HAPROXY_REPLICA_OFFSET]);
        offsets.into_iter().find_map(|offset| {
            let base = first.checked_sub(offset)?;
            let cluster_port = base.checked_sub(BASE_OFFSET)?;
            let dir = settings.cluster_dir_for(cluster_port).join("ha");
            let listed: Vec<u16> = fs::read_to_string(dir.join("ports"))
                .ok()?
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            (listed.first() == Some(&base) && ports.iter().all(|p| listed.contains(p)))
                .then_some((dir, base))
        })
    }

    /// Its folder: etcd's data, a folder per node, HAProxy's configuration,
    /// every log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Node `i`'s PostgreSQL port.
    pub fn node_port(&self, i: u16) -> u16 {
        self.base + i
    }

    fn rest_port(&self, i: u16) -> u16 {
        self.base + REST_OFFSET + i
    }

    fn etcd_port(&self) -> u16 {
        self.base + ETCD_OFFSET
    }

    /// HAProxy's port for the leader.
    pub fn primary_port(&self) -> u16 {
        self.base + HAPROXY_PRIMARY_OFFSET
    }

    /// HAProxy's port for the standbys.
    pub fn replica_port(&self) -> u16 {
        self.base + HAPROXY_REPLICA_OFFSET
    }

    fn node_dir(&self, i: u16) -> PathBuf {
        self.dir.join(format!("node{i}"))
    }

    /// Node `i`'s log: Patroni's, with its PostgreSQL's.
    pub fn node_log(&self, i: u16) -> PathBuf {
        self.node_dir(i).join("patroni.log")
    }

    /// The URL of database `name` (which must exist) reached `via`.
    pub fn url(&self, name: &str, via: Via) -> Result<String> {
        crate::settings::validate_database_name(name)?;
        let mut url = url::Url::parse("postgres://127.0.0.1")
            .map_err(|e| Error::InvalidSetting(e.to_string()))?;
        let invalid = |()| Error::InvalidSetting("cannot build the HA URL".to_owned());
        url.set_username(&self.user).map_err(invalid)?;
        if !self.password.is_empty() {
            url.set_password(Some(&self.password)).map_err(invalid)?;
        }
        url.set_path(&format!("/{name}"));
        let port = match via {
            Via::MultiHost => self.node_port(0),
            Via::Haproxy => self.primary_port(),
            Via::HaproxyReplica => self.replica_port(),
        };
        url.set_port(Some(port)).map_err(invalid)?;
        if via != Via::MultiHost {
            return Ok(url.into());
        }
        url.set_query(Some("target_session_attrs=read-write"));
        let hosts = (0..NODES)
            .map(|i| format!("127.0.0.1:{}", self.node_port(i)))
            .collect::<Vec<_>>()
            .join(",");
        Ok(crate::settings::with_hosts(url.as_str(), Some(&hosts)))
    }

    /// Starts whatever is not running (etcd, each node's Patroni, HAProxy),
    /// then waits for a leader, a synchronous standby, every node running,
    /// HAProxy routing to the leader and every standby streaming from it. A
    /// node that died (`failover`) rejoins as a standby, rewound by Patroni
    /// when it must be.
    pub fn up(&self) -> Result<Vec<Member>> {
        let patroni = crate::scale::find_program("PATRONI", "patroni", "apt-get install patroni")?;
        let etcd = crate::scale::find_program("ETCD", "etcd", "apt-get install etcd-server")?;
        let haproxy = crate::scale::find_program("HAPROXY", "haproxy", "apt-get install haproxy")?;
        let bindir = cluster::find_bindir(self.bindir.as_deref()).map_err(|searched| {
            Error::NoServerBinaries {
                target: format!("127.0.0.1:{}", self.node_port(0)),
                searched,
            }
        })?;
        let owner = cluster::os_user()?;
        {
            let _lock = self.cluster.lock()?;
            self.prepare(owner.as_ref())?;
            if self.etcd_pid().is_none() {
                self.spawn(
                    &etcd,
                    &self.etcd_args(),
                    &self.dir.join("etcd"),
                    owner.as_ref(),
                )?;
                crate::scale::wait_for_port(self.etcd_port()).map_err(|()| {
                    self.failed(&format!(
                        "etcd did not listen on port {} within 30 s",
                        self.etcd_port()
                    ))
                })?;
            }
            for i in 0..NODES {
                if self.patroni_pid(i).is_none() {
                    let config = self.node_dir(i).join("patroni.yml");
                    cluster::write_private(
                        &config,
                        self.patroni_config(i, &bindir).as_bytes(),
                        owner.as_ref(),
                    )?;
                    self.spawn(
                        &patroni,
                        &[config.to_string_lossy().into_owned()],
                        &self.node_dir(i),
                        owner.as_ref(),
                    )?;
                }
            }
            if self.haproxy_pid().is_none() {
                let config = self.dir.join("haproxy.cfg");
                cluster::write_private(&config, self.haproxy_config().as_bytes(), owner.as_ref())?;
                let mut command = Command::new(&haproxy);
                command
                    .arg("-f")
                    .arg(&config)
                    .arg("-D")
                    .arg("-p")
                    .arg(self.dir.join("haproxy.pid"));
                if let Some(owner) = &owner {
                    command.uid(owner.uid.as_raw()).gid(owner.gid.as_raw());
                }
                let output = command
                    .output()
                    .map_err(|e| Error::io(format!("cannot run {}", haproxy.display()), e))?;
                if !output.status.success() {
                    return Err(self.failed(&format!(
                        "HAProxy did not start: {}",
                        cluster::last_line(&output)
                    )));
                }
            }
        }
        self.wait_healthy(UP_DEADLINE)
    }

    /// Stops HAProxy, every node (Patroni stops its PostgreSQL) and etcd.
    /// Returns false when nothing was running.
    pub fn down(&self) -> Result<bool> {
        use nix::sys::signal::Signal::{SIGINT, SIGTERM};
        let _lock = self.cluster.lock()?;
        let haproxy = self.haproxy_pid().map(|pid| (pid, SIGTERM, 10));
        // Every Patroni told at once; each stops its PostgreSQL.
        let patronis: Vec<(i32, _, u64)> = (0..NODES)
            .filter_map(|i| self.patroni_pid(i))
            .map(|pid| (pid, SIGTERM, 60))
            .collect();
        for (pid, signal, _) in &patronis {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), *signal);
        }
        let mut stopped = 0;
        for (pid, signal, wait_s) in haproxy.into_iter().chain(patronis) {
            stop(pid, signal, Duration::from_secs(wait_s))?;
            stopped += 1;
        }
        // A PostgreSQL whose Patroni was killed (`failover`) outlives it;
        // etcd goes last.
        let orphans = (0..NODES).filter_map(|i| self.postmaster_pid(i));
        let rest: Vec<(i32, _, u64)> = orphans
            .map(|pid| (pid, SIGINT, 30))
            .chain(self.etcd_pid().map(|pid| (pid, SIGTERM, 10)))
            .collect();
        for (pid, signal, wait_s) in rest {
            stop(pid, signal, Duration::from_secs(wait_s))?;
            stopped += 1;
        }
        Ok(stopped > 0)
    }

    /// Every node as Patroni sees it (asked of the first REST API that
    /// answers).
    pub fn members(&self) -> Result<Vec<Member>> {
        let mut last = String::from("no node's REST API answered");
        for i in 0..NODES {
            match rest(self.rest_port(i), "GET", "/cluster", None) {
                Ok((200, body)) => return parse_members(&body),
                Ok((status, body)) => last = format!("GET /cluster: {status} {body}"),
                Err(err) => last = format!("127.0.0.1:{}: {err}", self.rest_port(i)),
            }
        }
        Err(Error::Server {
            context: format!(
                "the HA cluster in {} does not answer; start it with `cargo run -p devdb -- ha up`",
                self.dir.display()
            ),
            cause: last,
        })
    }

    /// The leader now.
    pub fn leader(&self) -> Result<Member> {
        self.members()?
            .into_iter()
            .find(|m| m.role == "leader" && m.state == "running")
            .ok_or_else(|| self.failed("there is no running leader"))
    }

    /// A planned switchover from the leader to its synchronous standby,
    /// through Patroni's REST API (`POST /switchover`), which returns once
    /// the standby has been promoted; then waits for HAProxy to route to
    /// it. Returns the old and the new leader.
    pub fn switchover(&self) -> Result<(Member, Member)> {
        let members = self.wait_healthy(TAKEOVER_DEADLINE)?;
        let leader = find_role(&members, "leader")
            .ok_or_else(|| self.failed("there is no running leader"))?;
        let candidate = find_role(&members, "sync_standby")
            .ok_or_else(|| self.failed("there is no synchronous standby to switch over to"))?;
        let body = format!(
            r#"{{"leader": "{}", "candidate": "{}"}}"#,
            leader.name, candidate.name
        );
        let rest_port = self.rest_port(leader.port - self.base);
        let (status, answer) = rest(rest_port, "POST", "/switchover", Some(&body))
            .map_err(|e| self.failed(&format!("POST /switchover: {e}")))?;
        if status != 200 {
            return Err(self.failed(&format!("POST /switchover answered {status}: {answer}")));
        }
        let new = self.wait_for_leader(|m| m.name == candidate.name)?;
        Ok((leader, new))
    }

    /// The leader dies as a machine would: its Patroni, its postmaster and
    /// every backend killed with SIGKILL at once. Patroni promotes the
    /// synchronous standby once the leader key expires ([`TTL_S`]). Returns
    /// the dead leader at once; [`HaCluster::wait_for_new_leader`] waits.
    ///
    /// It first waits for the cluster to be healthy: with `synchronous_mode`
    /// only the node named synchronous standby may be promoted, and a leader
    /// killed before it has named one (just after a switchover) leaves
    /// nobody to take over.
    pub fn kill_leader(&self) -> Result<Member> {
        let members = self.wait_healthy(TAKEOVER_DEADLINE)?;
        let leader = find_role(&members, "leader")
            .ok_or_else(|| self.failed("there is no running leader"))?;
        let i = leader.port - self.base;
        let mut pids: Vec<i32> = self.patroni_pid(i).into_iter().collect();
        if let Some(postmaster) = self.postmaster_pid(i) {
            pids.push(postmaster);
            pids.extend(children_of(postmaster));
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        Ok(leader)
    }

    /// Waits until a leader other than `old` runs and HAProxy routes to it.
    pub fn wait_for_new_leader(&self, old: &Member) -> Result<Member> {
        self.wait_for_leader(|m| m.name != old.name)
    }

    fn wait_for_leader(&self, wanted: impl Fn(&Member) -> bool) -> Result<Member> {
        self.poll(TAKEOVER_DEADLINE, "no new leader behind HAProxy", || {
            let members = self.members().map_err(|e| e.to_string())?;
            find_role(&members, "leader")
                .filter(|m| wanted(m) && self.primary_answers(m))
                .ok_or_else(|| describe_members(&members))
        })
    }

    /// Asks `look` every 100 ms until it gives a value, for `wait` at most;
    /// then fails with `what` and the last thing `look` said.
    fn poll<T>(
        &self,
        wait: Duration,
        what: &str,
        mut look: impl FnMut() -> std::result::Result<T, String>,
    ) -> Result<T> {
        let deadline = Instant::now() + wait;
        loop {
            let last = match look() {
                Ok(value) => return Ok(value),
                Err(last) => last,
            };
            if Instant::now() >= deadline {
                return Err(self.failed(&format!(
                    "{what} within {} s: {last} (logs: {})",
                    wait.as_secs(),
                    self.dir.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether HAProxy's primary port reaches `leader`, writable.
    fn primary_answers(&self, leader: &Member) -> bool {
        self.leader_view(leader).is_some()
    }

    /// When HAProxy's primary port reaches `leader`, writable: how many
    /// standbys stream from it (`pg_stat_replication`).
    fn leader_view(&self, leader: &Member) -> Option<usize> {
        crate::off_runtime(|| {
            let row = self
                .node_config(self.primary_port(), "postgres")
                .connect(postgres::NoTls)
                .and_then(|mut client| {
                    client.query_one(
                        "SELECT inet_server_port(), pg_is_in_recovery(), \
                         (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming')",
                        &[],
                    )
                })
                .ok()?;
            let writable = row.get::<_, Option<i32>>(0) == Some(i32::from(leader.port))
                && !row.get::<_, bool>(1);
            writable.then(|| usize::try_from(row.get::<_, i64>(2)).unwrap_or(0))
        })
    }

    /// The admin's connection settings for database `dbname` on
    /// 127.0.0.1:`port`, with a 2 s connect timeout.
    fn node_config(&self, port: u16, dbname: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user(&self.user)
            .password(&self.password)
            .dbname(dbname)
            .connect_timeout(Duration::from_secs(2));
        config
    }

    /// Waits (a minute at most) until the cluster is healthy: a leader, a
    /// synchronous standby, every node running, HAProxy routing to the
    /// leader and every standby streaming from it. Returns every node.
    pub fn ready(&self) -> Result<Vec<Member>> {
        self.wait_healthy(TAKEOVER_DEADLINE)
    }

    /// Waits for a leader, a synchronous standby, every node running or
    /// streaming, HAProxy routing to the leader and every standby streaming
    /// from it. Patroni calls a node `running` as soon as its PostgreSQL
    /// takes read-only connections: a node rewound after a failover does
    /// so before the leader has made its replication slot, and until it
    /// streams it answers with what it had (seconds later, sometimes).
    fn wait_healthy(&self, wait: Duration) -> Result<Vec<Member>> {
        self.poll(wait, "not healthy", || {
            let members = self.members().map_err(|e| e.to_string())?;
            let running = members
                .iter()
                .filter(|m| matches!(m.state.as_str(), "running" | "streaming"))
                .count();
            let streaming = find_role(&members, "leader").and_then(|l| self.leader_view(&l));
            let standbys = usize::from(NODES - 1);
            if running == usize::from(NODES)
                && find_role(&members, "sync_standby").is_some()
                && streaming == Some(standbys)
            {
                Ok(members)
            } else if let Some(streaming) = streaming.filter(|&n| n < standbys) {
                Err(format!(
                    "{} ({streaming} of {standbys} standbys streaming from the leader)",
                    describe_members(&members)
                ))
            } else {
                Err(describe_members(&members))
            }
        })
    }

    /// Waits (30 s at most) until database `name`, just created through
    /// the leader, answers on every running standby, each reached on its
    /// own port: an asynchronous standby replays its creation a moment
    /// after the commit returns.
    pub fn wait_for_database(&self, name: &str) -> Result<()> {
        self.poll(
            Duration::from_secs(30),
            "database not on every node",
            || {
                let members = self.members().map_err(|e| e.to_string())?;
                let missing: Vec<String> = crate::off_runtime(|| {
                    members
                        .iter()
                        .filter(|m| matches!(m.state.as_str(), "running" | "streaming"))
                        .filter_map(|m| {
                            self.node_config(m.port, name)
                                .connect(postgres::NoTls)
                                .err()
                                .map(|err| format!("{}: {err}", m.name))
                        })
                        .collect()
                });
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(missing.join("; "))
                }
            },
        )
    }

    fn prepare(&self, owner: Option<&nix::unistd::User>) -> Result<()> {
        for dir in std::iter::once(self.dir.clone())
            .chain([self.dir.join("etcd")])
            .chain((0..NODES).map(|i| self.node_dir(i)))
        {
            fs::create_dir_all(&dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
            cluster::hand_over(&dir, owner)?;
        }
        let ports: Vec<String> = std::iter::once(self.base)
            .chain((1..NODES).map(|i| self.node_port(i)))
            .chain([self.primary_port(), self.replica_port()])
            .map(|p| p.to_string())
            .collect();
        cluster::write_private(
            &self.dir.join("ports"),
            (ports.join("\n") + "\n").as_bytes(),
            owner,
        )
    }

    /// Starts `program` in `dir` in a process group of its own (a Ctrl-C
    /// in the terminal does not reach it), logging to `dir/<program>.log`
    /// (`patroni.log`, `etcd.log`), its pid in `dir/<program>.pid`.
    fn spawn(
        &self,
        program: &Path,
        args: &[String],
        dir: &Path,
        owner: Option<&nix::unistd::User>,
    ) -> Result<()> {
        let name = program
            .file_name()
            .map_or_else(|| "program".into(), |n| n.to_string_lossy().into_owned());
        let log_path = dir.join(format!("{name}.log"));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::io(format!("cannot open {}", log_path.display()), e))?;
        cluster::hand_over_file(&log_path, owner)?;
        let err_log = log
            .try_clone()
            .map_err(|e| Error::io(format!("cannot open {}", log_path.display()), e))?;
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log)
            .process_group(0);
        if let Some(owner) = owner {
            command.uid(owner.uid.as_raw()).gid(owner.gid.as_raw());
        }
        let mut child = command
            .spawn()
            .map_err(|e| Error::io(format!("cannot run {}", program.display()), e))?;
        let pid_file = dir.join(format!("{name}.pid"));
        cluster::write_private(&pid_file, child.id().to_string().as_bytes(), owner)?;
        // Reaped when it exits, so that a killed one does not linger as a
        // zombie while this process lives on (the benchmark kills leaders).
        std::thread::spawn(move || child.wait());
        Ok(())
    }

    fn etcd_pid(&self) -> Option<i32> {
        crate::scale::running_pid(&self.dir.join("etcd").join("etcd.pid"), "etcd")
    }

    fn patroni_pid(&self, i: u16) -> Option<i32> {
        crate::scale::running_pid(&self.node_dir(i).join("patroni.pid"), "patroni")
    }

    fn postmaster_pid(&self, i: u16) -> Option<i32> {
        crate::scale::running_pid(
            &self.node_dir(i).join("data").join("postmaster.pid"),
            "postgres",
        )
    }

    fn haproxy_pid(&self) -> Option<i32> {
        crate::scale::running_pid(&self.dir.join("haproxy.pid"), "haproxy")
    }

    fn etcd_args(&self) -> Vec<String> {
        let client = format!("http://127.0.0.1:{}", self.etcd_port());
        let peer = format!("http://127.0.0.1:{}", self.etcd_port() + 1);
        [
            "--name",
            "devdb",
            "--data-dir",
            &self.dir.join("etcd").join("data").to_string_lossy(),
            "--listen-client-urls",
            &client,
            "--advertise-client-urls",
            &client,
            "--listen-peer-urls",
            &peer,
            "--initial-advertise-peer-urls",
            &peer,
            "--initial-cluster",
            &format!("devdb={peer}"),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn patroni_config(&self, i: u16, bindir: &Path) -> String {
        let node = self.node_dir(i);
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        format!(
            "# Written by devdb (crates/devdb/src/ha.rs) at every `devdb ha up`.\n\
             scope: devdb-ha\n\
             namespace: /devdb/\n\
             name: node{i}\n\
             restapi:\n  listen: 127.0.0.1:{rest}\n  connect_address: 127.0.0.1:{rest}\n\
             etcd3:\n  host: 127.0.0.1:{etcd}\n\
             bootstrap:\n\
             \x20 dcs:\n\
             \x20   # The leader key expires {ttl} s after the leader's last renewal;\n\
             \x20   # Patroni's documentation asks for loop_wait + 2 * retry_timeout <= ttl.\n\
             \x20   ttl: {ttl}\n\
             \x20   loop_wait: 2\n\
             \x20   retry_timeout: 4\n\
             \x20   maximum_lag_on_failover: 1048576\n\
             \x20   # A commit returns once a synchronous standby has it, and only\n\
             \x20   # that standby may be promoted: no acknowledged write is lost.\n\
             \x20   synchronous_mode: true\n\
             \x20   postgresql:\n\
             \x20     use_pg_rewind: true\n\
             \x20     parameters:\n\
             \x20       wal_log_hints: 'on'\n\
             \x20       max_connections: 300\n\
             \x20 initdb:\n\
             \x20 - encoding: UTF8\n\
             \x20 - auth-host: scram-sha-256\n\
             \x20 - auth-local: trust\n\
             \x20 pg_hba:\n\
             \x20 - local all all trust\n\
             \x20 - host replication replicator 127.0.0.1/32 scram-sha-256\n\
             \x20 - host all all 127.0.0.1/32 scram-sha-256\n\
             postgresql:\n\
             \x20 listen: 127.0.0.1:{port}\n\
             \x20 connect_address: 127.0.0.1:{port}\n\
             \x20 data_dir: {data}\n\
             \x20 bin_dir: {bindir}\n\
             \x20 pgpass: {pgpass}\n\
             \x20 authentication:\n\
             \x20   superuser: {{username: {user}, password: {password}}}\n\
             \x20   replication: {{username: replicator, password: {password}}}\n\
             \x20   rewind: {{username: {user}, password: {password}}}\n\
             \x20 parameters:\n\
             \x20   unix_socket_directories: {socket}\n",
            rest = self.rest_port(i),
            etcd = self.etcd_port(),
            ttl = TTL_S,
            port = self.node_port(i),
            data = quote(&node.join("data").to_string_lossy()),
            bindir = quote(&bindir.to_string_lossy()),
            pgpass = quote(&node.join("pgpass").to_string_lossy()),
            user = quote(&self.user),
            password = quote(&self.password),
            socket = quote(&node.to_string_lossy()),
        )
    }

    fn haproxy_config(&self) -> String {
        let servers = |indent: &str| {
            (0..NODES)
                .map(|i| {
                    format!(
                        "{indent}server node{i} 127.0.0.1:{} check port {}\n",
                        self.node_port(i),
                        self.rest_port(i)
                    )
                })
                .collect::<String>()
        };
        format!(
            "# Written by devdb (crates/devdb/src/ha.rs) at every `devdb ha up`.\n\
             global\n    maxconn 4000\n\
             defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30m\n    timeout server 30m\n    timeout check 1s\n\
             # The leader: the one node whose Patroni answers 200 on /primary.\n\
             # A node marked down has its sessions closed (on-marked-down\n\
             # shutdown-sessions), so no client keeps talking to an old leader.\n\
             listen primary\n    bind 127.0.0.1:{primary}\n    option httpchk GET /primary\n    http-check expect status 200\n\
             \x20   default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n{servers}\
             # The standbys, in turn: 200 on /replica.\n\
             listen replica\n    bind 127.0.0.1:{replica}\n    balance roundrobin\n    option httpchk GET /replica\n    http-check expect status 200\n\
             \x20   default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n{servers}",
            primary = self.primary_port(),
            replica = self.replica_port(),
            servers = servers("    "),
        )
    }

    fn failed(&self, cause: &str) -> Error {
        Error::Server {
            context: format!("the HA cluster in {}", self.dir.display()),
            cause: cause.to_owned(),
        }
    }
}

/// The running member with `role`.
fn find_role(members: &[Member], role: &str) -> Option<Member> {
    members
        .iter()
        .find(|m| m.role == role && matches!(m.state.as_str(), "running" | "streaming"))
        .cloned()
}

/// `node0 leader running, node1 …`, for an error.
fn describe_members(members: &[Member]) -> String {
    members
        .iter()
        .map(|m| format!("{} {} {}", m.name, m.role, m.state))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Patroni's `GET /cluster` answer.
fn parse_members(body: &str) -> Result<Vec<Member>> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| Error::Server {
        context: "Patroni's GET /cluster".to_owned(),
        cause: e.to_string(),
    })?;
    let members = value["members"].as_array().cloned().unwrap_or_default();
    let mut members: Vec<Member> = members
        .iter()
        .map(|m| Member {
            name: m["name"].as_str().unwrap_or_default().to_owned(),
            role: m["role"].as_str().unwrap_or_default().to_owned(),
            state: m["state"].as_str().unwrap_or_default().to_owned(),
            port: m["port"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0),
            timeline: m["timeline"].as_u64(),
            lag: m["lag"].as_u64(),
        })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(members)
}

/// One HTTP/1.0 request to Patroni's REST API on 127.0.0.1:`port`: its
/// status and body.
fn rest(port: u16, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    // A switchover answers once it is done: seconds.
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((status, body))
}

/// The processes whose parent is `pid` (a postmaster's backends).
fn children_of(pid: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|child| {
            fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // The parent's pid is the second field after the
                    // command name, which is in parentheses.
                    let after = stat.rsplit_once(')')?.1;
                    after.split_whitespace().nth(1)?.parse::<i32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// Sends `signal` and waits (`wait` at most) for the process to go, then
/// kills it.
fn stop(pid: i32, signal: nix::sys::signal::Signal, wait: Duration) -> Result<()> {
    if crate::scale::stop_process(pid, signal, wait).is_err() {
        crate::scale::stop_process(
            pid,
            nix::sys::signal::Signal::SIGKILL,
            Duration::from_secs(10),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_every_node_or_haproxy() {
        let settings = Settings::new(crate::DEFAULT_URL).unwrap_or_else(|e| panic!("{e}"));
        let ha = HaCluster::new(&settings);
        assert_eq!(
            ha.url("heroes", Via::MultiHost).unwrap_or_default(),
            "postgres://admin:changethis@127.0.0.1:5532,127.0.0.1:5533,127.0.0.1:5534/heroes?target_session_attrs=read-write"
        );
        assert_eq!(
            ha.url("heroes", Via::Haproxy).unwrap_or_default(),
            "postgres://admin:changethis@127.0.0.1:5562/heroes"
        );
        assert_eq!(
            ha.url("heroes", Via::HaproxyReplica).unwrap_or_default(),
            "postgres://admin:changethis@127.0.0.1:5563/heroes"
        );
    }

    #[test]
    fn patronis_answer_is_read() {
        let body = r#"{"members": [
            {"name": "node1", "role": "sync_standby", "state": "streaming", "api_url": "http://127.0.0.1:5543/patroni", "host": "127.0.0.1", "port": 5533, "timeline": 2, "lag": 0},
            {"name": "node0", "role": "leader", "state": "running", "host": "127.0.0.1", "port": 5532, "timeline": 2},
            {"name": "node2", "role": "replica", "state": "stopped", "host": "127.0.0.1", "port": 5534, "lag": "unknown"}
        ]}"#;
        let members = parse_members(body).unwrap_or_default();
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["node0", "node1", "node2"]);
        assert_eq!(find_role(&members, "leader").map(|m| m.port), Some(5532));
        assert_eq!(
            find_role(&members, "sync_standby").map(|m| m.lag),
            Some(Some(0))
        );
        assert_eq!(members[2].lag, None);
    }
}
