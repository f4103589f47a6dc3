//! The heroes API on sqlx: `cargo run -p sqlx-raw -- serve`.
//!
//! The routes, validation, errors and OpenAPI document are written once in
//! `heroes-api`; this file is what sqlx brings. The unit of work is the
//! `Transaction<'static, Postgres>` of [`crate::production::begin`], or for one
//! statement a bare `PoolConnection` ([`Tx`](crate::api::Tx)): each holds its pooled
//! connection, [`HeroStore::commit`](heroes_api::HeroStore::commit) commits
//! the transaction, and dropping it rolls back, so a failed or cancelled
//! request needs no code here. Each query is one of [`crate::queries`], run
//! on the connection inside.

use heroes_api::export::Rows;
use heroes_api::problem::sqlstate_is_unavailable;
use heroes_api::{HeroStore, PoolStatus, StoreError, StoreResult};
use heroes_model::{Hero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::{APP_SRC, Error, beyond, production, queries};

/// The engine, as the server's state: cloning a `PgPool` clones a handle.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Serves from `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

// ANCHOR: tx
/// One request's connection: in a transaction, or (for a unit of work that
/// is one statement) a bare pooled connection. Queries take `&mut
/// PgConnection`, which either gives.
pub enum Tx {
    /// From `pool.begin()`: `BEGIN` sent, rolled back if dropped.
    Transaction(Transaction<'static, Postgres>),
    /// From `pool.acquire()`: each statement its own transaction.
    Statement(PoolConnection<Postgres>),
}

impl std::ops::Deref for Tx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        match self {
            Tx::Transaction(tx) => tx,
            Tx::Statement(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Tx::Transaction(tx) => tx,
            Tx::Statement(conn) => conn,
        }
    }
}
// ANCHOR_END: tx

impl HeroStore for Store {
    type Tx = Tx;
    const APP_SRC: &'static str = APP_SRC;

    // ANCHOR: unit_of_work
    async fn begin(&self) -> StoreResult<Tx> {
        Ok(Tx::Transaction(production::begin(&self.pool).await?))
    }

    async fn connect(&self) -> StoreResult<Tx> {
        let conn = self.pool.acquire().await.map_err(Error::from)?;
        Ok(Tx::Statement(conn))
    }

    async fn commit(tx: Tx) -> StoreResult<()> {
        match tx {
            Tx::Transaction(tx) => Ok(tx.commit().await.map_err(Error::from)?),
            Tx::Statement(_) => Ok(()), // dropping it gives it back
        }
    }
    // ANCHOR_END: unit_of_work

    // ANCHOR: get_hero
    async fn get_hero(tx: &mut Self::Tx, id: i64) -> StoreResult<Option<Hero>> {
        Ok(queries::get(tx, id).await?)
    }
    // ANCHOR_END: get_hero

    async fn hero_by_name(tx: &mut Self::Tx, name: &str) -> StoreResult<Option<Hero>> {
        Ok(queries::by_name(tx, name).await?)
    }

    async fn list_heroes(tx: &mut Self::Tx, search: &HeroSearch) -> StoreResult<Vec<Hero>> {
        Ok(beyond::search(tx, search).await?)
    }

    async fn export_heroes(self, search: HeroSearch, out: Rows) {
        production::export::heroes(&self.pool, &search, &out).await;
    }

    fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    async fn count_heroes(tx: &mut Self::Tx) -> StoreResult<i64> {
        Ok(queries::count(tx).await?)
    }

    async fn add_heroes(tx: &mut Self::Tx, rows: Vec<NewHero>) -> StoreResult<Vec<Hero>> {
        Ok(queries::add_all(tx, &rows).await?)
    }

    async fn update_hero(
        tx: &mut Self::Tx,
        id: i64,
        changes: HeroChanges,
    ) -> StoreResult<Option<Hero>> {
        Ok(queries::update(tx, id, &changes).await?)
    }

    async fn delete_hero(tx: &mut Self::Tx, id: i64) -> StoreResult<bool> {
        Ok(queries::delete(tx, id).await?)
    }

    async fn add_team(tx: &mut Self::Tx, team: NewTeam) -> StoreResult<Team> {
        let mut saved = queries::add_teams(tx, &[team]).await?;
        saved
            .pop()
            .ok_or_else(|| StoreError::Internal("INSERT ... RETURNING gave no row".into()))
    }

    async fn list_teams(tx: &mut Self::Tx) -> StoreResult<Vec<Team>> {
        Ok(queries::teams(tx).await?)
    }

    async fn teams_with_heroes(tx: &mut Self::Tx) -> StoreResult<Vec<TeamWithHeroes>> {
        Ok(beyond::teams_with_heroes(tx).await?)
    }

    async fn get_team(tx: &mut Self::Tx, id: i64) -> StoreResult<Option<Team>> {
        Ok(queries::team(tx, id).await?)
    }

    async fn team_heroes(tx: &mut Self::Tx, team_id: i64) -> StoreResult<Vec<Hero>> {
        Ok(queries::of_team(tx, team_id).await?)
    }

    /// For the session's write hardening (heroes-api's `outcome`): the
    /// transaction's id, and a lost commit's fate.
    async fn sql_value(tx: &mut Self::Tx, expression: String) -> StoreResult<Option<String>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT ({expression})::text"));
        Ok(sqlx::query_scalar(sql)
            .fetch_one(&mut **tx)
            .await
            .map_err(Error::from)?)
    }

    async fn ping(&self) -> StoreResult<PoolStatus> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(Error::from)?;
        Ok(PoolStatus {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max_size: self.pool.options().get_max_connections(),
        })
    }
}

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 422, a pool time-out or a lost connection 503.
    fn from(err: Error) -> Self {
        match err {
            Error::AlreadyExists { what, name } => Self::AlreadyExists { what, name },
            Error::PoolTimedOut => {
                Self::Unavailable("no connection within the pool's acquire timeout".to_owned())
            }
            Error::Database(sqlx::Error::Database(db)) => match db.code().as_deref() {
                Some("23503") => Self::NoSuchTeam,
                Some(code) if sqlstate_is_unavailable(code) => Self::Unavailable(db.to_string()),
                _ => Self::Internal(db.to_string()),
            },
            Error::Database(
                e @ (sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed),
            ) => Self::Unavailable(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}
