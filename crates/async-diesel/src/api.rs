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
use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};
use uuid::Uuid;

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
    async fn get_hero(tx: &mut Tx, id: i64) -> StoreResult<Option<FullHero>> {
        Ok(full::get(&mut tx.0, id).await?)
    }
    // ANCHOR_END: get_hero

    async fn hero_by_name(tx: &mut Tx, name: &str) -> StoreResult<Option<FullHero>> {
        Ok(full::by_name(&mut tx.0, name).await?)
    }

    async fn hero_by_public_id(tx: &mut Tx, public_id: Uuid) -> StoreResult<Option<FullHero>> {
        Ok(full::by_public_id(&mut tx.0, public_id).await?)
    }

    async fn list_heroes(tx: &mut Tx, search: &HeroSearch) -> StoreResult<Vec<FullHero>> {
        Ok(full::search(&mut tx.0, search).await?)
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

    async fn add_heroes(tx: &mut Tx, rows: Vec<NewHero>) -> StoreResult<Vec<FullHero>> {
        Ok(full::add_all(&mut tx.0, &rows).await?)
    }

    async fn update_hero(
        tx: &mut Tx,
        id: i64,
        changes: HeroChanges,
    ) -> StoreResult<Option<FullHero>> {
        Ok(full::update(&mut tx.0, id, &changes).await?)
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

// ANCHOR: full
/// The API's queries: the lessons' (`queries`, `beyond`) with every column of
/// the hero selected, revision 3's included. `FullHero::as_select()` embeds
/// `Hero`'s columns and `TypeColumns`', so it is still one statement.
mod full {
    use diesel::prelude::*;
    use diesel_async::{AsyncPgConnection, RunQueryDsl};
    use heroes_model::schema::heroes;
    use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero};
    use uuid::Uuid;

    use crate::{Result, beyond};

    pub(super) async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<FullHero>> {
        let query = heroes::table.find(id).select(FullHero::as_select());
        Ok(query.first(conn).await.optional()?)
    }

    pub(super) async fn by_name(
        conn: &mut AsyncPgConnection,
        name: &str,
    ) -> Result<Option<FullHero>> {
        let query = heroes::table.filter(heroes::name.eq(name));
        Ok(query
            .select(FullHero::as_select())
            .first(conn)
            .await
            .optional()?)
    }

    pub(super) async fn by_public_id(
        conn: &mut AsyncPgConnection,
        public_id: Uuid,
    ) -> Result<Option<FullHero>> {
        let query = heroes::table.filter(heroes::public_id.eq(public_id));
        Ok(query
            .select(FullHero::as_select())
            .first(conn)
            .await
            .optional()?)
    }

    pub(super) async fn search(
        conn: &mut AsyncPgConnection,
        search: &HeroSearch,
    ) -> Result<Vec<FullHero>> {
        let mut query = beyond::filtered(search).offset(search.offset);
        if let Some(limit) = search.limit {
            query = query.limit(limit);
        }
        Ok(query.select(FullHero::as_select()).load(conn).await?)
    }

    pub(super) async fn add_all(
        conn: &mut AsyncPgConnection,
        rows: &[NewHero],
    ) -> Result<Vec<FullHero>> {
        let insert = diesel::insert_into(heroes::table).values(rows);
        Ok(insert
            .returning(FullHero::as_returning())
            .get_results(conn)
            .await?)
    }

    pub(super) async fn update(
        conn: &mut AsyncPgConnection,
        id: i64,
        changes: &HeroChanges,
    ) -> Result<Option<FullHero>> {
        let update = diesel::update(heroes::table.find(id)).set(changes);
        Ok(update
            .returning(FullHero::as_returning())
            .get_result(conn)
            .await
            .optional()?)
    }
}
// ANCHOR_END: full

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 409 too, an exhausted pool or a lost connection 503.
    fn from(err: Error) -> Self {
        match err {
            Error::AlreadyExists { what, name } => Self::AlreadyExists { what, name },
            Error::PoolExhausted { .. } | Error::Busy | Error::Pool(_) | Error::Config(_) => {
                Self::Unavailable(err.to_string())
            }
            Error::Database(db) => match trouble(&db) {
                Trouble::MissingReference => Self::NoSuchTeam,
                Trouble::Unavailable => Self::Unavailable(db.to_string()),
                Trouble::Other => Self::Internal(support::diesel::describe(&db)),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}
