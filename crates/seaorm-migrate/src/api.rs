//! The heroes API on SeaORM: `cargo run -p seaorm-migrate -- serve`.
//!
//! The routes, validation, errors and OpenAPI document are written once in
//! `heroes-api`; this file is what SeaORM brings. The unit of work is the
//! `DatabaseTransaction` that `db.begin()` returns: it owns its pooled
//! connection, `commit()` keeps the work, and dropping it rolls back, so a
//! failed or cancelled request needs no code here. For one statement it is
//! the `DatabaseConnection` itself ([`Tx`](crate::api::Tx)), which checks a connection out
//! for that statement alone. Each query is one of
//! [`crate::queries`]' functions, which take any `ConnectionTrait`: the
//! transaction here, the `DatabaseConnection` in the tour.

use heroes_api::export::Rows;
use heroes_api::problem::sqlstate_is_unavailable;
use heroes_api::{HeroStore, PoolStatus, StoreError, StoreResult};
use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};
use sea_orm::{DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbErr, RuntimeErr};
use uuid::Uuid;

use crate::{APP_SRC, Error, beyond, production, queries};

/// The engine, as the server's state (`DatabaseConnection` is a pool handle).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Serves from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

// ANCHOR: tx
/// One request's unit of work: a transaction, or (for one statement) the
/// pool itself. Queries take any `ConnectionTrait`; [`Tx::db`] lends either
/// as SeaORM's `DatabaseExecutor`.
pub enum Tx {
    /// From `db.begin()`: `BEGIN` sent, rolled back if dropped.
    Transaction(DatabaseTransaction),
    /// The pool: a statement run on it is its own transaction.
    Statement(DatabaseConnection),
}

impl Tx {
    /// What the queries run on.
    pub fn db(&self) -> DatabaseExecutor<'_> {
        match self {
            Tx::Transaction(tx) => tx.into(),
            Tx::Statement(db) => db.into(),
        }
    }
}
// ANCHOR_END: tx

impl HeroStore for Store {
    type Tx = Tx;
    const APP_SRC: &'static str = APP_SRC;

    // ANCHOR: unit_of_work
    async fn begin(&self) -> StoreResult<Tx> {
        Ok(Tx::Transaction(production::begin(&self.db).await?))
    }

    async fn connect(&self) -> StoreResult<Tx> {
        Ok(Tx::Statement(self.db.clone())) // checks out at the statement
    }

    async fn commit(tx: Tx) -> StoreResult<()> {
        match tx {
            Tx::Transaction(tx) => Ok(tx.commit().await.map_err(Error::from)?),
            Tx::Statement(_) => Ok(()),
        }
    }
    // ANCHOR_END: unit_of_work

    // ANCHOR: get_hero
    async fn get_hero(tx: &mut Self::Tx, id: i64) -> StoreResult<Option<FullHero>> {
        Ok(full::get(&tx.db(), id).await?)
    }
    // ANCHOR_END: get_hero

    async fn hero_by_name(tx: &mut Self::Tx, name: &str) -> StoreResult<Option<FullHero>> {
        Ok(full::by_name(&tx.db(), name).await?)
    }

    async fn hero_by_public_id(
        tx: &mut Self::Tx,
        public_id: Uuid,
    ) -> StoreResult<Option<FullHero>> {
        Ok(full::by_public_id(&tx.db(), public_id).await?)
    }

    async fn list_heroes(tx: &mut Self::Tx, search: &HeroSearch) -> StoreResult<Vec<FullHero>> {
        Ok(full::search(&tx.db(), search).await?)
    }

    async fn export_heroes(self, search: HeroSearch, out: Rows) {
        production::export::heroes(&self.db, &search, &out).await;
    }

    fn max_connections(&self) -> u32 {
        self.db
            .get_postgres_connection_pool()
            .options()
            .get_max_connections()
    }

    async fn count_heroes(tx: &mut Self::Tx) -> StoreResult<i64> {
        let count = queries::count(&tx.db()).await?;
        i64::try_from(count).map_err(|e| StoreError::Internal(e.to_string()))
    }

    async fn add_heroes(tx: &mut Self::Tx, rows: Vec<NewHero>) -> StoreResult<Vec<FullHero>> {
        Ok(full::add_all(&tx.db(), &rows).await?)
    }

    async fn update_hero(
        tx: &mut Self::Tx,
        id: i64,
        changes: HeroChanges,
    ) -> StoreResult<Option<FullHero>> {
        Ok(full::update(&tx.db(), id, &changes).await?)
    }

    async fn delete_hero(tx: &mut Self::Tx, id: i64) -> StoreResult<bool> {
        Ok(queries::delete(&tx.db(), id).await?)
    }

    async fn add_team(tx: &mut Self::Tx, team: NewTeam) -> StoreResult<Team> {
        let mut saved = queries::add_teams(&tx.db(), &[team]).await?;
        saved
            .pop()
            .ok_or_else(|| StoreError::Internal("INSERT ... RETURNING gave no row".into()))
    }

    async fn list_teams(tx: &mut Self::Tx) -> StoreResult<Vec<Team>> {
        Ok(queries::teams(&tx.db()).await?)
    }

    async fn teams_with_heroes(tx: &mut Self::Tx) -> StoreResult<Vec<TeamWithHeroes>> {
        Ok(beyond::teams_with_heroes(&tx.db()).await?)
    }

    async fn get_team(tx: &mut Self::Tx, id: i64) -> StoreResult<Option<Team>> {
        Ok(queries::team(&tx.db(), id).await?)
    }

    /// For the session's write hardening (heroes-api's `outcome`): the
    /// transaction's id, and a lost commit's fate.
    async fn sql_value(tx: &mut Self::Tx, expression: String) -> StoreResult<Option<String>> {
        use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
        let sql = format!("SELECT ({expression})::text");
        let row = tx
            .db()
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .map_err(Error::from)?;
        Ok(row
            .map(|r| r.try_get_by_index::<Option<String>>(0))
            .transpose()
            .map_err(Error::from)?
            .flatten())
    }

    async fn ping(&self) -> StoreResult<PoolStatus> {
        self.db.ping().await.map_err(Error::from)?;
        let pool = self.db.get_postgres_connection_pool();
        Ok(PoolStatus {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max_size: pool.options().get_max_connections(),
        })
    }
}

// ANCHOR: full
/// The API's queries: a hero with every column. SeaORM's `Model` already has
/// them all (the entity maps the whole table), so these are the lessons'
/// queries (`queries`, `beyond`) kept as `Model`s, and the partial update
/// sets revision 3's columns too.
mod full {
    use heroes_model::entity::hero;
    use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero};
    use sea_orm::{
        ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    };
    use uuid::Uuid;

    use crate::{Result, beyond, queries};

    pub(super) async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<FullHero>> {
        let found = hero::Entity::find_by_id(id).one(db).await?;
        Ok(found.map(FullHero::from))
    }

    pub(super) async fn by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<FullHero>> {
        let query = hero::Entity::find().filter(hero::Column::Name.eq(name));
        Ok(query.one(db).await?.map(FullHero::from))
    }

    pub(super) async fn by_public_id(
        db: &impl ConnectionTrait,
        public_id: Uuid,
    ) -> Result<Option<FullHero>> {
        let query = hero::Entity::find().filter(hero::Column::PublicId.eq(public_id));
        Ok(query.one(db).await?.map(FullHero::from))
    }

    pub(super) async fn search(
        db: &impl ConnectionTrait,
        search: &HeroSearch,
    ) -> Result<Vec<FullHero>> {
        let rows = beyond::filtered(search)
            .limit(search.limit.and_then(|n| u64::try_from(n).ok()))
            .offset(u64::try_from(search.offset).ok())
            .all(db)
            .await?;
        Ok(rows.into_iter().map(FullHero::from).collect())
    }

    pub(super) async fn add_all(
        db: &impl ConnectionTrait,
        rows: &[NewHero],
    ) -> Result<Vec<FullHero>> {
        let saved = hero::Entity::insert_many(rows.iter().map(queries::active_hero))
            .exec_with_returning(db)
            .await?;
        Ok(saved.into_iter().map(FullHero::from).collect())
    }

    /// An `ActiveModel` whose untouched fields are `NotSet` updates only the
    /// others, in one `UPDATE ... RETURNING`.
    pub(super) async fn update(
        db: &impl ConnectionTrait,
        id: i64,
        changes: &HeroChanges,
    ) -> Result<Option<FullHero>> {
        fn set<T: Clone + Into<sea_orm::Value>>(change: Option<&T>) -> ActiveValue<T> {
            change.map_or(ActiveValue::NotSet, |v| ActiveValue::Set(v.clone()))
        }
        let active = hero::ActiveModel {
            name: set(changes.name.as_ref()),
            secret_name: set(changes.secret_name.as_ref()),
            age: set(changes.age.as_ref()),
            team_id: set(changes.team_id.as_ref()),
            rank: set(changes.rank.as_ref()),
            powers: set(changes.powers.as_ref()),
            profile: set(changes.profile.as_ref()),
            salary: set(changes.salary.as_ref()),
            ..Default::default()
        };
        let mut updated = hero::Entity::update_many()
            .set(active)
            .filter(hero::Column::Id.eq(id))
            .exec_with_returning(db)
            .await?;
        Ok(updated.pop().map(FullHero::from))
    }
}
// ANCHOR_END: full

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 409 too, no connection in time or a lost one 503.
    fn from(err: Error) -> Self {
        let db_err = match err {
            Error::AlreadyExists { what, name } => return Self::AlreadyExists { what, name },
            Error::Config(e) => return Self::Unavailable(e.to_string()),
            Error::Database(db_err) => db_err,
            other => return Self::Internal(other.to_string()),
        };
        let sqlx_err = match &db_err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                return Self::Unavailable(db_err.to_string());
            }
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
            _ => return Self::Internal(db_err.to_string()),
        };
        match sqlx_err
            .as_database_error()
            .and_then(|db| db.code())
            .as_deref()
        {
            Some("23503") => Self::NoSuchTeam,
            Some(code) if sqlstate_is_unavailable(code) => Self::Unavailable(db_err.to_string()),
            Some(_) => Self::Internal(db_err.to_string()),
            None => match **sqlx_err {
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                    Self::Unavailable(db_err.to_string())
                }
                _ => Self::Internal(db_err.to_string()),
            },
        }
    }
}
