//! The heroes API on diesel-async: `cargo run -p async-diesel -- serve`.
//!
//! The routes, validation, errors and OpenAPI document are written once in
//! `heroes-api`; this file is what diesel-async brings. A transaction as a
//! closure ([`crate::production::session`]) does not fit a server, whose unit of work
//! spans a whole
//! handler, so here the transaction is opened and closed by hand with
//! `AnsiTransactionManager` on a pooled connection that the request owns.
//! A request that fails or is cancelled rolls back on a spawned task, and the
//! connection goes back to the pool when that is done. Each query is one of
//! [`crate::queries`]' functions.

use diesel_async::{AnsiTransactionManager, TransactionManager};
use heroes_api::export::Rows;
use heroes_api::{HeroStore, PoolStatus, StoreError, StoreResult};
use heroes_model::{Hero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};

use support::diesel::{Trouble, trouble};

use crate::db::PooledConnection;
use crate::production::Pool;
use crate::{APP_SRC, Error, beyond, production, queries};

/// The engine, as the server's state (a deadpool handle: cheap to clone).
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

impl Store {
    /// Serves from `pool`.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

/// A pooled connection owned by one request, inside `BEGIN` when it came
/// from [`HeroStore::begin`] (the flag), outside any transaction from
/// [`HeroStore::connect`].
pub struct Tx(PooledConnection, bool);

impl HeroStore for Store {
    type Tx = Tx;
    const APP_SRC: &'static str = APP_SRC;

    // ANCHOR: unit_of_work
    async fn begin(&self) -> StoreResult<Tx> {
        let mut conn = self.pool.get().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn)
            .await
            .map_err(Error::from)?;
        Ok(Tx(conn, true))
    }

    async fn connect(&self) -> StoreResult<Tx> {
        Ok(Tx(self.pool.get().await?, false))
    }

    async fn commit(mut tx: Tx) -> StoreResult<()> {
        if !tx.1 {
            return Ok(()); // dropping the connection gives it back
        }
        Ok(AnsiTransactionManager::commit_transaction(&mut *tx.0)
            .await
            .map_err(Error::from)?)
    }

    fn rollback(mut tx: Tx) {
        if !tx.1 {
            return; // no transaction: dropping the connection gives it back
        }
        // `Drop` cannot await. If no runtime is left (shutdown), dropping the
        // connection is still safe: the pool sees the open transaction and
        // discards the connection instead of reusing it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *tx.0).await;
            });
        }
    }
    // ANCHOR_END: unit_of_work

    // ANCHOR: get_hero
    async fn get_hero(tx: &mut Tx, id: i64) -> StoreResult<Option<Hero>> {
        Ok(queries::get(&mut tx.0, id).await?)
    }
    // ANCHOR_END: get_hero

    async fn hero_by_name(tx: &mut Tx, name: &str) -> StoreResult<Option<Hero>> {
        Ok(queries::by_name(&mut tx.0, name).await?)
    }

    async fn list_heroes(tx: &mut Tx, search: &HeroSearch) -> StoreResult<Vec<Hero>> {
        Ok(beyond::search(&mut tx.0, search).await?)
    }

    async fn export_heroes(self, search: HeroSearch, out: Rows) {
        production::export::heroes(&self.pool, &search, &out).await;
    }

    fn max_connections(&self) -> u32 {
        u32::try_from(self.pool.settings().max_size).unwrap_or(u32::MAX)
    }

    async fn count_heroes(tx: &mut Tx) -> StoreResult<i64> {
        Ok(queries::count(&mut tx.0).await?)
    }

    async fn add_heroes(tx: &mut Tx, rows: Vec<NewHero>) -> StoreResult<Vec<Hero>> {
        Ok(queries::add_all(&mut tx.0, &rows).await?)
    }

    async fn update_hero(tx: &mut Tx, id: i64, changes: HeroChanges) -> StoreResult<Option<Hero>> {
        Ok(queries::update(&mut tx.0, id, &changes).await?)
    }

    async fn delete_hero(tx: &mut Tx, id: i64) -> StoreResult<bool> {
        Ok(queries::delete(&mut tx.0, id).await?)
    }

    async fn add_team(tx: &mut Tx, team: NewTeam) -> StoreResult<Team> {
        let mut saved = queries::add_teams(&mut tx.0, &[team]).await?;
        saved
            .pop()
            .ok_or_else(|| StoreError::Internal("INSERT ... RETURNING gave no row".into()))
    }

    async fn list_teams(tx: &mut Tx) -> StoreResult<Vec<Team>> {
        Ok(queries::teams(&mut tx.0).await?)
    }

    async fn teams_with_heroes(tx: &mut Tx) -> StoreResult<Vec<TeamWithHeroes>> {
        Ok(beyond::teams_with_heroes(&mut tx.0).await?)
    }

    async fn get_team(tx: &mut Tx, id: i64) -> StoreResult<Option<Team>> {
        Ok(queries::team(&mut tx.0, id).await?)
    }

    async fn team_heroes(tx: &mut Tx, team_id: i64) -> StoreResult<Vec<Hero>> {
        Ok(queries::of_team(&mut tx.0, team_id).await?)
    }

    /// For the session's write hardening (heroes-api's `outcome`): the
    /// transaction's id, and a lost commit's fate.
    async fn sql_value(tx: &mut Tx, expression: String) -> StoreResult<Option<String>> {
        use diesel::sql_types::{Nullable, Text};
        use diesel_async::RunQueryDsl as _;
        let value = diesel::dsl::sql::<Nullable<Text>>(&format!("({expression})::text"));
        Ok(diesel::select(value)
            .get_result(&mut *tx.0)
            .await
            .map_err(Error::from)?)
    }

    async fn ping(&self) -> StoreResult<PoolStatus> {
        let mut conn = self.pool.get().await?;
        queries::count(&mut conn).await?;
        drop(conn);
        Ok(self.pool.pool_status())
    }
}

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 422, an exhausted pool or a lost connection 503.
    fn from(err: Error) -> Self {
        match err {
            Error::AlreadyExists { what, name } => Self::AlreadyExists { what, name },
            Error::PoolExhausted { .. } | Error::Busy | Error::Pool(_) | Error::Config(_) => {
                Self::Unavailable(err.to_string())
            }
            Error::Database(db) => match trouble(&db) {
                Trouble::MissingReference => Self::NoSuchTeam,
                Trouble::Unavailable => Self::Unavailable(db.to_string()),
                Trouble::Other => Self::Internal(db.to_string()),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}
