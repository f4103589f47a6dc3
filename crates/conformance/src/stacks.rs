//! The four example crates behind the [`Stack`] trait. Each implementation is
//! a thin adapter: it calls the crate's own engine, session and query
//! functions (the code the tour runs), and classifies the crate's own error
//! type into a [`Kind`]. No query is written here.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use heroes_model::{Hero, HeroSearch, HeroTypes, NewHero, NewTeam, Team, TypedHero};
use support::app::Failure as _;
use tokio::sync::oneshot;

use crate::{Kind, PoolConfig, Stack, StackError, StackResult, Strategies};

/// Parses `args` as the crate's binary does, then runs `run` on them:
/// `--help`, `--version` and usage errors end here with their exit code.
fn with_cli<C: clap::Parser>(args: Vec<OsString>, run: impl FnOnce(C) -> ExitCode) -> ExitCode {
    match support::app::parse(args) {
        Ok(cli) => run(cli),
        Err(code) => code,
    }
}

impl PoolConfig {
    /// What this pool adds as a deployment would, the same type in all four
    /// crates: its deadlines and statement cache (every other setting default).
    pub fn production(&self) -> support::production::Settings {
        support::production::Settings {
            deadlines: self.deadlines,
            statement_cache: self.statement_cache,
            ..Default::default()
        }
    }

    /// This pool as sync-diesel's settings (every other one default).
    pub fn sync_diesel(&self) -> sync_diesel::db::Settings {
        sync_diesel::db::Settings {
            max_size: self.max_size,
            connection_timeout: self.acquire_timeout,
        }
    }

    /// This pool as async-diesel's settings.
    pub fn async_diesel(&self) -> async_diesel::db::Settings {
        async_diesel::db::Settings {
            max_size: self.max_size as usize,
            wait_timeout: self.acquire_timeout,
        }
    }

    /// This pool as sqlx-raw's settings.
    pub fn sqlx_raw(&self) -> sqlx_raw::db::Settings {
        sqlx_raw::db::Settings {
            max_connections: self.max_size,
            acquire_timeout: self.acquire_timeout,
        }
    }

    /// This pool as seaorm-migrate's settings.
    pub fn seaorm(&self) -> seaorm_migrate::db::Settings {
        seaorm_migrate::db::Settings {
            max_connections: self.max_size,
            acquire_timeout: self.acquire_timeout,
        }
    }
}

/// An error from a task that panicked or was cancelled (a bug, not a result).
fn join_error(err: &tokio::task::JoinError) -> StackError {
    StackError::new(Kind::Other, 1, format!("the blocking task failed: {err}"))
}

/// `heroes`, each pointing at team `team_id`.
fn in_team(heroes: &[NewHero], team_id: i64) -> Vec<NewHero> {
    heroes
        .iter()
        .map(|h| NewHero {
            team_id: Some(team_id),
            ..h.clone()
        })
        .collect()
}

/// The one team an insert of one team returned.
fn only_team(mut teams: Vec<Team>) -> StackResult<Team> {
    teams
        .pop()
        .ok_or_else(|| StackError::new(Kind::Other, 1, "inserting a team returned no row"))
}

// ---------------------------------------------------------------------------
// sync-diesel: r2d2 + PgConnection (libpq), run on tokio's blocking threads.

/// sync-diesel: synchronous Diesel over libpq, an r2d2 pool.
#[derive(Clone)]
pub struct SyncDiesel {
    pool: sync_diesel::production::Pool,
}

fn sync_diesel_error(err: sync_diesel::Error) -> StackError {
    use sync_diesel::Error as E;
    let kind = match &err {
        E::Config(_) | E::Usage(_) => Kind::Config,
        E::AlreadyExists { .. } => Kind::AlreadyExists,
        // r2d2 reports "timed out waiting for connection" both when every
        // connection is busy and when it cannot open one (server down).
        E::Pool(_) => Kind::PoolTimeout,
        E::Migration(_) | E::Database(_) | E::Internal(_) => Kind::Other,
    };
    StackError::new(kind, err.exit_code(), err)
}

impl SyncDiesel {
    /// Runs `work` in a session on a blocking thread.
    async fn session<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut diesel::PgConnection) -> sync_diesel::Result<T> + Send + 'static,
    ) -> StackResult<T> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || sync_diesel::production::session(&pool, work))
            .await
            .map_err(|e| join_error(&e))?
            .map_err(sync_diesel_error)
    }

    /// Runs `work` on a pooled connection outside a transaction (migrations
    /// manage their own).
    async fn on_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut diesel::PgConnection) -> sync_diesel::Result<T> + Send + 'static,
    ) -> StackResult<T> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(sync_diesel_error)
    }
}

impl Stack for SyncDiesel {
    const NAME: &'static str = "sync-diesel";

    fn cli_main(args: Vec<OsString>) -> ExitCode {
        use sync_diesel::cli;
        with_cli(args, |cli: cli::Cli| {
            support::app::exit((|| {
                let urls = devdb::database(cli.database())?;
                cli::set_up_output(&cli);
                cli::run(&cli, &urls)
            })())
        })
    }

    async fn connect(url: &str, pool: PoolConfig) -> StackResult<Self> {
        let url = url.to_owned();
        let (options, production) = (pool.sync_diesel(), pool.production());
        let pool = tokio::task::spawn_blocking(move || {
            sync_diesel::production::pool(&url, &options, &production)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(sync_diesel_error)?;
        Ok(Self { pool })
    }

    async fn migrate_up(&self) -> StackResult<Vec<String>> {
        self.on_connection(sync_diesel::migrate::up).await
    }

    async fn migrate_down_all(&self) -> StackResult<Vec<String>> {
        self.on_connection(|conn| {
            let applied = sync_diesel::migrate::history(conn)?
                .iter()
                .filter(|r| r.applied)
                .count();
            sync_diesel::migrate::down(conn, applied)
        })
        .await
    }

    async fn add_teams(&self, rows: &[NewTeam]) -> StackResult<Vec<Team>> {
        let rows = rows.to_vec();
        self.session(move |conn| sync_diesel::queries::add_teams(conn, &rows))
            .await
    }

    async fn add_all(&self, rows: &[NewHero]) -> StackResult<Vec<Hero>> {
        let rows = rows.to_vec();
        self.session(move |conn| sync_diesel::queries::add_all(conn, &rows))
            .await
    }

    async fn add_team_with_heroes(
        &self,
        team: &NewTeam,
        heroes: &[NewHero],
    ) -> StackResult<(Team, Vec<Hero>)> {
        let (team, heroes) = (team.clone(), heroes.to_vec());
        let (teams, heroes) = self
            .session(move |conn| {
                let teams = sync_diesel::queries::add_teams(conn, std::slice::from_ref(&team))?;
                let Some(id) = teams.first().map(|t| t.id) else {
                    return Ok((teams, Vec::new()));
                };
                let heroes = sync_diesel::queries::add_all(conn, &in_team(&heroes, id))?;
                Ok((teams, heroes))
            })
            .await?;
        Ok((only_team(teams)?, heroes))
    }

    async fn get(&self, id: i64) -> StackResult<Option<Hero>> {
        self.session(move |conn| sync_diesel::queries::get(conn, id))
            .await
    }

    async fn by_name(&self, name: &str) -> StackResult<Option<Hero>> {
        let name = name.to_owned();
        self.session(move |conn| sync_diesel::queries::by_name(conn, &name))
            .await
    }

    async fn secret_name_of(&self, name: &str) -> StackResult<Option<Option<String>>> {
        let name = name.to_owned();
        self.session(move |conn| sync_diesel::queries::secret_name_of(conn, &name))
            .await
    }

    async fn by_app_src(&self, app_src: &str) -> StackResult<Vec<Hero>> {
        let app_src = app_src.to_owned();
        self.session(move |conn| sync_diesel::queries::by_app_src(conn, &app_src))
            .await
    }

    async fn with_teams(&self, app_src: &str) -> StackResult<Vec<(Hero, Option<Team>)>> {
        let app_src = app_src.to_owned();
        self.session(move |conn| sync_diesel::queries::with_teams(conn, &app_src))
            .await
    }

    async fn teams_with_heroes(&self) -> StackResult<Strategies> {
        use sync_diesel::beyond;
        self.session(|conn| {
            Ok(vec![
                ("one by one", beyond::teams_one_by_one(conn)?.0),
                (
                    "belonging_to + grouped_by",
                    beyond::teams_with_heroes(conn)?,
                ),
                ("left_join", beyond::teams_joined(conn)?),
            ])
        })
        .await
    }

    async fn search(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        let search = search.clone();
        self.session(move |conn| sync_diesel::beyond::search(conn, &search))
            .await
    }

    async fn stream(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        let search = search.clone();
        self.on_connection(move |conn| sync_diesel::beyond::stream(conn, &search)?.collect())
            .await
    }

    async fn birthday(&self, name: &str) -> StackResult<Option<Hero>> {
        let name = name.to_owned();
        self.session(move |conn| sync_diesel::queries::birthday(conn, &name))
            .await
    }

    async fn set_types(&self, name: &str, types: &HeroTypes) -> StackResult<Option<TypedHero>> {
        let (name, types) = (name.to_owned(), types.clone());
        self.session(move |conn| sync_diesel::types::set_types(conn, &name, &types))
            .await
    }

    async fn by_public_id(&self, public_id: uuid::Uuid) -> StackResult<Option<TypedHero>> {
        self.session(move |conn| sync_diesel::types::by_public_id(conn, public_id))
            .await
    }

    async fn delete_by_name(&self, name: &str) -> StackResult<u64> {
        let name = name.to_owned();
        self.session(move |conn| sync_diesel::queries::delete_by_name(conn, &name))
            .await
            .map(|n| n as u64)
    }

    async fn wal_position(&self) -> StackResult<String> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || sync_diesel::production::replica::wal_position(&pool))
            .await
            .map_err(|e| join_error(&e))?
            .map_err(sync_diesel_error)
    }

    async fn wait_for_replay(&self, lsn: &str, deadline: Duration) -> StackResult<()> {
        let (pool, lsn) = (self.pool.clone(), lsn.to_owned());
        tokio::task::spawn_blocking(move || {
            sync_diesel::production::replica::wait_for_replay(&pool, &lsn, deadline)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(sync_diesel_error)
    }

    async fn hold_connection(
        &self,
        acquired: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    ) -> StackResult<()> {
        self.on_connection(move |_conn| {
            let _ = acquired.send(());
            let _ = release.blocking_recv();
            Ok(())
        })
        .await
    }
}

// ---------------------------------------------------------------------------
// async-diesel: deadpool + AsyncPgConnection (pure Rust).

/// async-diesel: diesel-async's `AsyncPgConnection`, a deadpool pool.
#[derive(Clone)]
pub struct AsyncDiesel {
    pool: async_diesel::production::Pool,
}

fn async_diesel_error(err: async_diesel::Error) -> StackError {
    use async_diesel::Error as E;
    let kind = match &err {
        E::Config(_) | E::Usage(_) => Kind::Config,
        E::AlreadyExists { .. } => Kind::AlreadyExists,
        E::PoolExhausted { .. } | E::Busy => Kind::PoolTimeout,
        E::Pool(_) => Kind::Unavailable,
        E::Migration(_) | E::Database(_) | E::Internal(_) => Kind::Other,
    };
    StackError::new(kind, err.exit_code(), err)
}

impl Stack for AsyncDiesel {
    const NAME: &'static str = "async-diesel";

    fn cli_main(args: Vec<OsString>) -> ExitCode {
        use async_diesel::cli;
        with_cli(args, |cli: cli::Cli| {
            support::app::run_async(async {
                let urls = devdb::database(cli.database())?;
                cli::set_up_output(&cli);
                cli::run(&cli, &urls).await
            })
        })
    }

    async fn connect(url: &str, pool: PoolConfig) -> StackResult<Self> {
        let pool = async_diesel::production::pool(url, &pool.async_diesel(), &pool.production())
            .await
            .map_err(async_diesel_error)?;
        Ok(Self { pool })
    }

    async fn migrate_up(&self) -> StackResult<Vec<String>> {
        let conn = self.pool.get().await.map_err(async_diesel_error)?;
        async_diesel::migrate::up(conn).map_err(async_diesel_error)
    }

    async fn migrate_down_all(&self) -> StackResult<Vec<String>> {
        let conn = self.pool.get().await.map_err(async_diesel_error)?;
        let applied = async_diesel::migrate::history(conn)
            .map_err(async_diesel_error)?
            .iter()
            .filter(|r| r.applied)
            .count();
        let conn = self.pool.get().await.map_err(async_diesel_error)?;
        async_diesel::migrate::down(conn, applied).map_err(async_diesel_error)
    }

    async fn add_teams(&self, rows: &[NewTeam]) -> StackResult<Vec<Team>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::add_teams(conn, rows).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn add_all(&self, rows: &[NewHero]) -> StackResult<Vec<Hero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::add_all(conn, rows).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn add_team_with_heroes(
        &self,
        team: &NewTeam,
        heroes: &[NewHero],
    ) -> StackResult<(Team, Vec<Hero>)> {
        let (teams, heroes) = async_diesel::production::session(&self.pool, async |conn| {
            let teams = async_diesel::queries::add_teams(conn, std::slice::from_ref(team)).await?;
            let Some(id) = teams.first().map(|t| t.id) else {
                return Ok((teams, Vec::new()));
            };
            let heroes = async_diesel::queries::add_all(conn, &in_team(heroes, id)).await?;
            Ok((teams, heroes))
        })
        .await
        .map_err(async_diesel_error)?;
        Ok((only_team(teams)?, heroes))
    }

    async fn get(&self, id: i64) -> StackResult<Option<Hero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::get(conn, id).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn by_name(&self, name: &str) -> StackResult<Option<Hero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::by_name(conn, name).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn secret_name_of(&self, name: &str) -> StackResult<Option<Option<String>>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::secret_name_of(conn, name).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn by_app_src(&self, app_src: &str) -> StackResult<Vec<Hero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::by_app_src(conn, app_src).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn with_teams(&self, app_src: &str) -> StackResult<Vec<(Hero, Option<Team>)>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::with_teams(conn, app_src).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn teams_with_heroes(&self) -> StackResult<Strategies> {
        use async_diesel::beyond;
        async_diesel::production::session(&self.pool, async |conn| {
            Ok(vec![
                ("one by one", beyond::teams_one_by_one(conn).await?.0),
                (
                    "belonging_to + grouped_by",
                    beyond::teams_with_heroes(conn).await?,
                ),
                ("left_join", beyond::teams_joined(conn).await?),
            ])
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn search(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::beyond::search(conn, search).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn stream(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        use futures_util::TryStreamExt as _;
        let mut conn = self.pool.get().await.map_err(async_diesel_error)?;
        let rows = async_diesel::beyond::stream(&mut conn, search)
            .await
            .map_err(async_diesel_error)?;
        rows.try_collect().await.map_err(async_diesel_error)
    }

    async fn birthday(&self, name: &str) -> StackResult<Option<Hero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::birthday(conn, name).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn set_types(&self, name: &str, types: &HeroTypes) -> StackResult<Option<TypedHero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::types::set_types(conn, name, types).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn by_public_id(&self, public_id: uuid::Uuid) -> StackResult<Option<TypedHero>> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::types::by_public_id(conn, public_id).await
        })
        .await
        .map_err(async_diesel_error)
    }

    async fn delete_by_name(&self, name: &str) -> StackResult<u64> {
        async_diesel::production::session(&self.pool, async |conn| {
            async_diesel::queries::delete_by_name(conn, name).await
        })
        .await
        .map(|n| n as u64)
        .map_err(async_diesel_error)
    }

    async fn wal_position(&self) -> StackResult<String> {
        async_diesel::production::replica::wal_position(&self.pool)
            .await
            .map_err(async_diesel_error)
    }

    async fn wait_for_replay(&self, lsn: &str, deadline: Duration) -> StackResult<()> {
        async_diesel::production::replica::wait_for_replay(&self.pool, lsn, deadline)
            .await
            .map_err(async_diesel_error)
    }

    async fn hold_connection(
        &self,
        acquired: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    ) -> StackResult<()> {
        let conn = self.pool.get().await.map_err(async_diesel_error)?;
        let _ = acquired.send(());
        let _ = release.await;
        drop(conn);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// sqlx-raw: sqlx's PgPool, plain SQL.

/// sqlx-raw: plain SQL through sqlx, its `PgPool`.
#[derive(Clone)]
pub struct SqlxRaw {
    pool: sqlx::PgPool,
}

fn sqlx_raw_error(err: sqlx_raw::Error) -> StackError {
    use sqlx_raw::Error as E;
    let kind = match &err {
        E::Config(_) | E::Usage(_) => Kind::Config,
        E::AlreadyExists { .. } => Kind::AlreadyExists,
        E::PoolTimedOut => Kind::PoolTimeout,
        E::NoAnswer(_) => Kind::Unavailable,
        E::Database(sqlx::Error::Io(_) | sqlx::Error::PoolClosed) => Kind::Unavailable,
        E::Migration(_) | E::Database(_) | E::Internal(_) => Kind::Other,
    };
    StackError::new(kind, err.exit_code(), err)
}

fn sqlx_error(err: sqlx::Error) -> StackError {
    sqlx_raw_error(sqlx_raw::Error::from(err))
}

/// A sqlx-raw session: `production::begin(&pool)`, the crate's query, `commit()`.
macro_rules! sqlx_session {
    ($pool:expr, |$conn:ident| $work:expr) => {{
        let mut tx = sqlx_raw::production::begin(&$pool)
            .await
            .map_err(sqlx_raw_error)?;
        let $conn = &mut *tx;
        let value = $work.await.map_err(sqlx_raw_error)?;
        tx.commit().await.map_err(sqlx_error)?;
        Ok(value)
    }};
}

impl Stack for SqlxRaw {
    const NAME: &'static str = "sqlx-raw";

    fn cli_main(args: Vec<OsString>) -> ExitCode {
        use sqlx_raw::cli;
        with_cli(args, |cli: cli::Cli| {
            support::app::run_async(async {
                let urls = devdb::database(cli.database())?;
                cli::set_up_output(&cli);
                cli::run(&cli, &urls).await
            })
        })
    }

    async fn connect(url: &str, pool: PoolConfig) -> StackResult<Self> {
        let pool = sqlx_raw::production::pool(url, &pool.sqlx_raw(), &pool.production())
            .await
            .map_err(sqlx_raw_error)?;
        Ok(Self { pool })
    }

    async fn migrate_up(&self) -> StackResult<Vec<String>> {
        sqlx_raw::migrate::up(&self.pool)
            .await
            .map_err(sqlx_raw_error)
    }

    async fn migrate_down_all(&self) -> StackResult<Vec<String>> {
        let applied = sqlx_raw::migrate::history(&self.pool)
            .await
            .map_err(sqlx_raw_error)?
            .iter()
            .filter(|r| r.applied)
            .count();
        sqlx_raw::migrate::down(&self.pool, applied)
            .await
            .map_err(sqlx_raw_error)
    }

    async fn add_teams(&self, rows: &[NewTeam]) -> StackResult<Vec<Team>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::add_teams(conn, rows))
    }

    async fn add_all(&self, rows: &[NewHero]) -> StackResult<Vec<Hero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::add_all(conn, rows))
    }

    async fn add_team_with_heroes(
        &self,
        team: &NewTeam,
        heroes: &[NewHero],
    ) -> StackResult<(Team, Vec<Hero>)> {
        let mut tx = sqlx_raw::production::begin(&self.pool)
            .await
            .map_err(sqlx_raw_error)?;
        let teams = sqlx_raw::queries::add_teams(&mut tx, std::slice::from_ref(team))
            .await
            .map_err(sqlx_raw_error)?;
        let team = only_team(teams)?;
        let heroes = sqlx_raw::queries::add_all(&mut tx, &in_team(heroes, team.id))
            .await
            .map_err(sqlx_raw_error)?;
        tx.commit().await.map_err(sqlx_error)?;
        Ok((team, heroes))
    }

    async fn get(&self, id: i64) -> StackResult<Option<Hero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::get(conn, id))
    }

    async fn by_name(&self, name: &str) -> StackResult<Option<Hero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::by_name(conn, name))
    }

    async fn secret_name_of(&self, name: &str) -> StackResult<Option<Option<String>>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::secret_name_of(
            conn, name
        ))
    }

    async fn by_app_src(&self, app_src: &str) -> StackResult<Vec<Hero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::by_app_src(
            conn, app_src
        ))
    }

    async fn with_teams(&self, app_src: &str) -> StackResult<Vec<(Hero, Option<Team>)>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::with_teams(
            conn, app_src
        ))
    }

    async fn teams_with_heroes(&self) -> StackResult<Strategies> {
        use sqlx_raw::beyond;
        let mut tx = sqlx_raw::production::begin(&self.pool)
            .await
            .map_err(sqlx_raw_error)?;
        let strategies = vec![
            (
                "one by one",
                beyond::teams_one_by_one(&mut tx)
                    .await
                    .map_err(sqlx_raw_error)?
                    .0,
            ),
            (
                "JOIN, folded",
                beyond::teams_with_heroes(&mut tx)
                    .await
                    .map_err(sqlx_raw_error)?,
            ),
            (
                "json_agg",
                beyond::teams_with_heroes_json(&mut tx)
                    .await
                    .map_err(sqlx_raw_error)?,
            ),
        ];
        tx.commit().await.map_err(sqlx_error)?;
        Ok(strategies)
    }

    async fn search(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::beyond::search(conn, search))
    }

    async fn stream(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        use futures_util::TryStreamExt as _;
        let mut conn = self.pool.acquire().await.map_err(sqlx_error)?;
        sqlx_raw::beyond::stream(&mut conn, search)
            .try_collect()
            .await
            .map_err(sqlx_raw_error)
    }

    async fn birthday(&self, name: &str) -> StackResult<Option<Hero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::birthday(conn, name))
    }

    async fn set_types(&self, name: &str, types: &HeroTypes) -> StackResult<Option<TypedHero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::types::set_types(
            conn, name, types
        ))
    }

    async fn by_public_id(&self, public_id: uuid::Uuid) -> StackResult<Option<TypedHero>> {
        sqlx_session!(self.pool, |conn| sqlx_raw::types::by_public_id(
            conn, public_id
        ))
    }

    async fn delete_by_name(&self, name: &str) -> StackResult<u64> {
        sqlx_session!(self.pool, |conn| sqlx_raw::queries::delete_by_name(
            conn, name
        ))
    }

    async fn wal_position(&self) -> StackResult<String> {
        sqlx_raw::production::replica::wal_position(&self.pool)
            .await
            .map_err(sqlx_raw_error)
    }

    async fn wait_for_replay(&self, lsn: &str, deadline: Duration) -> StackResult<()> {
        sqlx_raw::production::replica::wait_for_replay(&self.pool, lsn, deadline)
            .await
            .map_err(sqlx_raw_error)
    }

    async fn hold_connection(
        &self,
        acquired: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    ) -> StackResult<()> {
        let conn = self.pool.acquire().await.map_err(sqlx_error)?;
        let _ = acquired.send(());
        let _ = release.await;
        drop(conn);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// seaorm-migrate: SeaORM's DatabaseConnection (a sqlx pool inside).

/// seaorm-migrate: SeaORM entities and sea-orm-migration.
#[derive(Clone)]
pub struct SeaOrm {
    db: sea_orm::DatabaseConnection,
}

fn seaorm_error(err: seaorm_migrate::Error) -> StackError {
    use sea_orm::{ConnAcquireErr, DbErr};
    use seaorm_migrate::Error as E;
    let kind = match &err {
        E::Config(_) | E::Usage(_) => Kind::Config,
        E::AlreadyExists { .. } => Kind::AlreadyExists,
        E::Database(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)) => Kind::PoolTimeout,
        E::NoAnswer(_) => Kind::Unavailable,
        E::Database(DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) => Kind::Unavailable,
        E::Drift(_) | E::Generate(_) | E::Migration { .. } | E::Database(_) | E::Internal(_) => {
            Kind::Other
        }
    };
    StackError::new(kind, err.exit_code(), err)
}

fn db_error(err: sea_orm::DbErr) -> StackError {
    seaorm_error(seaorm_migrate::Error::from(err))
}

/// A SeaORM session: `db.begin()`, the crate's query, `commit()`.
macro_rules! seaorm_session {
    ($db:expr, |$txn:ident| $work:expr) => {{
        let txn = seaorm_migrate::production::begin(&$db)
            .await
            .map_err(seaorm_error)?;
        let $txn = &txn;
        let value = $work.await.map_err(seaorm_error)?;
        txn.commit().await.map_err(db_error)?;
        Ok(value)
    }};
}

impl Stack for SeaOrm {
    const NAME: &'static str = "seaorm-migrate";

    fn cli_main(args: Vec<OsString>) -> ExitCode {
        use seaorm_migrate::cli;
        with_cli(args, |cli: cli::Cli| {
            support::app::run_async(async {
                if let Some(generated) = cli::generate(&cli) {
                    return generated;
                }
                let urls = devdb::database(cli.database())?;
                cli::set_up_output(&cli);
                cli::run(&cli, &urls).await
            })
        })
    }

    async fn connect(url: &str, pool: PoolConfig) -> StackResult<Self> {
        let db = seaorm_migrate::production::pool(url, &pool.seaorm(), &pool.production())
            .await
            .map_err(seaorm_error)?;
        Ok(Self { db })
    }

    async fn migrate_up(&self) -> StackResult<Vec<String>> {
        seaorm_migrate::migrate::up(&self.db, None)
            .await
            .map_err(seaorm_error)
    }

    async fn migrate_down_all(&self) -> StackResult<Vec<String>> {
        seaorm_migrate::migrate::reset(&self.db)
            .await
            .map_err(seaorm_error)
    }

    async fn add_teams(&self, rows: &[NewTeam]) -> StackResult<Vec<Team>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::add_teams(txn, rows))
    }

    async fn add_all(&self, rows: &[NewHero]) -> StackResult<Vec<Hero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::add_all(txn, rows))
    }

    async fn add_team_with_heroes(
        &self,
        team: &NewTeam,
        heroes: &[NewHero],
    ) -> StackResult<(Team, Vec<Hero>)> {
        let txn = seaorm_migrate::production::begin(&self.db)
            .await
            .map_err(seaorm_error)?;
        let teams = seaorm_migrate::queries::add_teams(&txn, std::slice::from_ref(team))
            .await
            .map_err(seaorm_error)?;
        let team = only_team(teams)?;
        let heroes = seaorm_migrate::queries::add_all(&txn, &in_team(heroes, team.id))
            .await
            .map_err(seaorm_error)?;
        txn.commit().await.map_err(db_error)?;
        Ok((team, heroes))
    }

    async fn get(&self, id: i64) -> StackResult<Option<Hero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::get(txn, id))
    }

    async fn by_name(&self, name: &str) -> StackResult<Option<Hero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::by_name(txn, name))
    }

    async fn secret_name_of(&self, name: &str) -> StackResult<Option<Option<String>>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::secret_name_of(
            txn, name
        ))
    }

    async fn by_app_src(&self, app_src: &str) -> StackResult<Vec<Hero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::by_app_src(
            txn, app_src
        ))
    }

    async fn with_teams(&self, app_src: &str) -> StackResult<Vec<(Hero, Option<Team>)>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::with_teams(
            txn, app_src
        ))
    }

    async fn teams_with_heroes(&self) -> StackResult<Strategies> {
        use seaorm_migrate::beyond;
        let txn = seaorm_migrate::production::begin(&self.db)
            .await
            .map_err(seaorm_error)?;
        let strategies = vec![
            (
                "one by one",
                beyond::teams_one_by_one(&txn)
                    .await
                    .map_err(seaorm_error)?
                    .0,
            ),
            (
                "load_many",
                beyond::teams_with_heroes(&txn)
                    .await
                    .map_err(seaorm_error)?,
            ),
            (
                "find_with_related",
                beyond::teams_joined(&txn).await.map_err(seaorm_error)?,
            ),
        ];
        txn.commit().await.map_err(db_error)?;
        Ok(strategies)
    }

    async fn search(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::beyond::search(txn, search))
    }

    async fn stream(&self, search: &HeroSearch) -> StackResult<Vec<Hero>> {
        use futures_util::TryStreamExt as _;
        let rows = seaorm_migrate::beyond::stream(&self.db, search)
            .await
            .map_err(seaorm_error)?;
        rows.try_collect().await.map_err(seaorm_error)
    }

    async fn birthday(&self, name: &str) -> StackResult<Option<Hero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::birthday(txn, name))
    }

    async fn set_types(&self, name: &str, types: &HeroTypes) -> StackResult<Option<TypedHero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::types::set_types(
            txn, name, types
        ))
    }

    async fn by_public_id(&self, public_id: uuid::Uuid) -> StackResult<Option<TypedHero>> {
        seaorm_session!(self.db, |txn| seaorm_migrate::types::by_public_id(
            txn, public_id
        ))
    }

    async fn delete_by_name(&self, name: &str) -> StackResult<u64> {
        seaorm_session!(self.db, |txn| seaorm_migrate::queries::delete_by_name(
            txn, name
        ))
    }

    async fn wal_position(&self) -> StackResult<String> {
        seaorm_migrate::production::replica::wal_position(&self.db)
            .await
            .map_err(seaorm_error)
    }

    async fn wait_for_replay(&self, lsn: &str, deadline: Duration) -> StackResult<()> {
        seaorm_migrate::production::replica::wait_for_replay(&self.db, lsn, deadline)
            .await
            .map_err(seaorm_error)
    }

    async fn hold_connection(
        &self,
        acquired: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    ) -> StackResult<()> {
        // A transaction is how SeaORM hands out one pooled connection.
        let txn = seaorm_migrate::production::begin(&self.db)
            .await
            .map_err(seaorm_error)?;
        let _ = acquired.send(());
        let _ = release.await;
        txn.rollback().await.map_err(db_error)
    }
}
