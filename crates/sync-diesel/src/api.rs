//! The heroes API on synchronous Diesel: `cargo run -p sync-diesel -- serve`.
//!
//! The routes, validation, errors and OpenAPI document are written once in
//! `heroes-api`; this file is what a *blocking* driver needs to live in an
//! async server. Every libpq call (pool checkout, `BEGIN`, each query,
//! `COMMIT`) blocks its thread until PostgreSQL answers. Run on one of
//! tokio's few worker threads, that would stall every other request on the
//! thread meanwhile; so each call is moved to tokio's blocking thread pool
//! (`spawn_blocking`, in production::blocking, which also cleans up after a
//! cancelled request), and the worker serves other requests while it waits.
//! The request owns its pooled connection between calls ([`Tx`](crate::api::Tx))
//! and lends it to each blocking call in turn.
//!
//! The other way is a pool made for this, such as `deadpool-diesel`, whose
//! `conn.interact(|conn| ...)` does the same hand-off; r2d2 is what the tour
//! uses, so the server keeps it.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use heroes_api::export::Rows;
use heroes_api::{HeroStore, PoolStatus, StoreError, StoreResult};
use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};
use support::diesel::{Trouble, trouble};
use uuid::Uuid;

use crate::production::{Pool, PooledConnection};
use crate::production::{blocking, export};
use crate::{APP_SRC, Error, Result, beyond, queries};

/// The engine, as the server's state (an r2d2 handle: cheap to clone).
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

/// A pooled connection owned by one request: inside `BEGIN` when it came
/// from [`HeroStore::begin`], outside any transaction from
/// [`HeroStore::connect`].
pub struct Tx {
    /// `None` when the request was cancelled before it got one, or a
    /// blocking call panicked with it (r2d2 discards a connection dropped
    /// while its thread panics).
    conn: Option<PooledConnection>,
    /// Whether `BEGIN` was sent (there is a transaction to end).
    began: bool,
}

// ANCHOR: tx_run
impl Tx {
    /// Lends the connection to `work` on a blocking thread and takes it back.
    async fn run<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let mut conn = self.conn.take().ok_or_else(|| {
            StoreError::Internal("the connection was lost by an earlier failure".into())
        })?;
        let (conn, result) = blocking::run(
            move |_| {
                let result = work(&mut conn);
                (conn, result)
            },
            |(mut conn, _)| blocking::roll_back(&mut conn),
        )
        .await?;
        self.conn = Some(conn);
        Ok(result?)
    }
}
// ANCHOR_END: tx_run

// ANCHOR: checkout
impl Store {
    /// A connection from the pool on a blocking thread, inside `BEGIN` if
    /// `begin`.
    async fn checkout(&self, begin: bool) -> StoreResult<Tx> {
        let pool = self.pool.clone();
        let conn = blocking::run(
            move |waiting| -> Result<Option<PooledConnection>> {
                let mut conn = pool.get()?;
                if waiting.gone() {
                    // Cancelled while waiting for the pool: give it back unused.
                    return Ok(None);
                }
                if begin {
                    AnsiTransactionManager::begin_transaction(&mut *conn)?;
                }
                Ok(Some(conn))
            },
            move |begun| {
                if let (Ok(Some(mut conn)), true) = (begun, begin) {
                    blocking::roll_back(&mut conn);
                }
            },
        )
        .await??;
        Ok(Tx { conn, began: begin })
    }
}
// ANCHOR_END: checkout

impl HeroStore for Store {
    type Tx = Tx;
    const APP_SRC: &'static str = APP_SRC;

    // ANCHOR: unit_of_work
    async fn begin(&self) -> StoreResult<Tx> {
        self.checkout(true).await
    }

    async fn connect(&self) -> StoreResult<Tx> {
        self.checkout(false).await
    }

    async fn commit(mut tx: Tx) -> StoreResult<()> {
        if !tx.began {
            return Ok(()); // dropping the connection gives it back
        }
        tx.run(|conn| Ok(AnsiTransactionManager::commit_transaction(conn)?))
            .await
    }

    fn rollback(tx: Tx) {
        if let (Some(conn), true) = (tx.conn, tx.began) {
            blocking::roll_back_later(conn); // `Drop` cannot wait for the ROLLBACK
        }
    }
    // ANCHOR_END: unit_of_work

    // ANCHOR: get_hero
    async fn get_hero(tx: &mut Tx, id: i64) -> StoreResult<Option<FullHero>> {
        tx.run(move |conn| full::get(conn, id)).await
    }
    // ANCHOR_END: get_hero

    async fn hero_by_name(tx: &mut Tx, name: &str) -> StoreResult<Option<FullHero>> {
        let name = name.to_owned();
        tx.run(move |conn| full::by_name(conn, &name)).await
    }

    async fn hero_by_public_id(tx: &mut Tx, public_id: Uuid) -> StoreResult<Option<FullHero>> {
        tx.run(move |conn| full::by_public_id(conn, public_id))
            .await
    }

    async fn list_heroes(tx: &mut Tx, search: &HeroSearch) -> StoreResult<Vec<FullHero>> {
        let search = search.clone();
        tx.run(move |conn| full::search(conn, &search)).await
    }

    async fn export_heroes(self, search: HeroSearch, out: Rows) {
        export::heroes(self.pool, search, out).await;
    }

    fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    async fn count_heroes(tx: &mut Tx) -> StoreResult<i64> {
        tx.run(queries::count).await
    }

    async fn add_heroes(tx: &mut Tx, rows: Vec<NewHero>) -> StoreResult<Vec<FullHero>> {
        tx.run(move |conn| full::add_all(conn, &rows)).await
    }

    async fn update_hero(
        tx: &mut Tx,
        id: i64,
        changes: HeroChanges,
    ) -> StoreResult<Option<FullHero>> {
        tx.run(move |conn| full::update(conn, id, &changes)).await
    }

    async fn delete_hero(tx: &mut Tx, id: i64) -> StoreResult<bool> {
        tx.run(move |conn| queries::delete(conn, id)).await
    }

    async fn add_team(tx: &mut Tx, team: NewTeam) -> StoreResult<Team> {
        let mut saved = tx
            .run(move |conn| queries::add_teams(conn, &[team]))
            .await?;
        saved
            .pop()
            .ok_or_else(|| StoreError::Internal("INSERT ... RETURNING gave no row".into()))
    }

    async fn list_teams(tx: &mut Tx) -> StoreResult<Vec<Team>> {
        tx.run(queries::teams).await
    }

    async fn teams_with_heroes(tx: &mut Tx) -> StoreResult<Vec<TeamWithHeroes>> {
        tx.run(beyond::teams_with_heroes).await
    }

    async fn get_team(tx: &mut Tx, id: i64) -> StoreResult<Option<Team>> {
        tx.run(move |conn| queries::team(conn, id)).await
    }

    /// For the session's write hardening (heroes-api's `outcome`): the
    /// transaction's id, and a lost commit's fate.
    async fn sql_value(tx: &mut Tx, expression: String) -> StoreResult<Option<String>> {
        use diesel::RunQueryDsl as _;
        use diesel::sql_types::{Nullable, Text};
        tx.run(move |conn| {
            let value = diesel::dsl::sql::<Nullable<Text>>(&format!("({expression})::text"));
            Ok(diesel::select(value).get_result(conn)?)
        })
        .await
    }

    async fn ping(&self) -> StoreResult<PoolStatus> {
        let pool = self.pool.clone();
        blocking::run(
            move |_| -> Result<()> {
                queries::count(&mut *pool.get()?)?;
                Ok(())
            },
            drop,
        )
        .await??;
        let state = self.pool.state();
        Ok(PoolStatus {
            size: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        })
    }
}

// ANCHOR: full
/// The API's queries: the lessons' (`queries`, `beyond`) with every column of
/// the hero selected, revision 3's included. `FullHero::as_select()` embeds
/// `Hero`'s columns and `TypeColumns`', so it is still one statement.
mod full {
    use diesel::prelude::*;
    use heroes_model::schema::heroes;
    use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero};
    use uuid::Uuid;

    use crate::{Result, beyond};

    pub(super) fn get(conn: &mut PgConnection, id: i64) -> Result<Option<FullHero>> {
        let query = heroes::table.find(id).select(FullHero::as_select());
        Ok(query.first(conn).optional()?)
    }

    pub(super) fn by_name(conn: &mut PgConnection, name: &str) -> Result<Option<FullHero>> {
        let query = heroes::table.filter(heroes::name.eq(name));
        Ok(query.select(FullHero::as_select()).first(conn).optional()?)
    }

    pub(super) fn by_public_id(
        conn: &mut PgConnection,
        public_id: Uuid,
    ) -> Result<Option<FullHero>> {
        let query = heroes::table.filter(heroes::public_id.eq(public_id));
        Ok(query.select(FullHero::as_select()).first(conn).optional()?)
    }

    pub(super) fn search(conn: &mut PgConnection, search: &HeroSearch) -> Result<Vec<FullHero>> {
        let mut query = beyond::filtered(search).offset(search.offset);
        if let Some(limit) = search.limit {
            query = query.limit(limit);
        }
        Ok(query.select(FullHero::as_select()).load(conn)?)
    }

    pub(super) fn add_all(conn: &mut PgConnection, rows: &[NewHero]) -> Result<Vec<FullHero>> {
        let insert = diesel::insert_into(heroes::table).values(rows);
        Ok(insert
            .returning(FullHero::as_returning())
            .get_results(conn)?)
    }

    pub(super) fn update(
        conn: &mut PgConnection,
        id: i64,
        changes: &HeroChanges,
    ) -> Result<Option<FullHero>> {
        let update = diesel::update(heroes::table.find(id)).set(changes);
        Ok(update
            .returning(FullHero::as_returning())
            .get_result(conn)
            .optional()?)
    }
}
// ANCHOR_END: full

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 409 too, a pool time-out or a lost connection 503.
    fn from(err: Error) -> Self {
        match err {
            Error::AlreadyExists { what, name } => Self::AlreadyExists { what, name },
            // r2d2 says "timed out waiting for connection" both when all are
            // busy and when none can be opened (the server is down).
            Error::Pool(_) | Error::Config(_) => Self::Unavailable(err.to_string()),
            Error::Database(db) => match trouble(&db) {
                Trouble::MissingReference => Self::NoSuchTeam,
                Trouble::Unavailable => Self::Unavailable(db.to_string()),
                Trouble::Other => Self::Internal(support::diesel::describe(&db)),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}
