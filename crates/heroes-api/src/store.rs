//! What an example crate writes to serve the API: a [`HeroStore`].
//!
//! It has two halves. The unit of work ([`HeroStore::begin`],
//! [`HeroStore::connect`], [`HeroStore::commit`], [`HeroStore::rollback`]) is
//! how the crate checks a pooled connection out (with `BEGIN` for work of
//! several statements, without it for one) and gives it back;
//! [`Session`](crate::Session) calls these for every request. The queries
//! (`get_hero`, `add_heroes`, ...) each run on that connection and call the
//! crate's own query functions.
//! Inputs arrive validated; outputs are the model's row types: a hero with
//! every column ([`FullHero`](heroes_model::FullHero)) where the API shows one, the study's columns
//! ([`Hero`](heroes_model::Hero)) where it streams or nests them.

use std::future::Future;

use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::StoreError;
use crate::export::Rows;

/// Shorthand for what a store returns.
pub type StoreResult<T> = Result<T, StoreError>;

/// The pool, as `/readyz` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PoolStatus {
    /// Connections open now (busy or idle).
    pub size: u32,
    /// Of those, connections idle in the pool.
    pub idle: u32,
    /// The most the pool will open.
    pub max_size: u32,
}

/// One example crate's engine, as the server sees it. Cloned into every
/// request (it is the axum state), so it should be a pool handle.
pub trait HeroStore: Clone + Send + Sync + 'static {
    /// One request's unit of work: a pooled connection, with an open
    /// transaction when it came from [`HeroStore::begin`] (sqlx's
    /// `Transaction`, SeaORM's `DatabaseTransaction`, a diesel connection
    /// after `BEGIN`) and without one when it came from
    /// [`HeroStore::connect`].
    type Tx: Send + 'static;

    /// The `app_src` stamped on every hero this server creates.
    const APP_SRC: &'static str;

    /// Checks a connection out of the pool and begins a transaction. Must
    /// give up within the pool's timeout with [`StoreError::Unavailable`].
    fn begin(&self) -> impl Future<Output = StoreResult<Self::Tx>> + Send;

    /// Checks a connection out of the pool *without* `BEGIN`, for a unit of
    /// work that is one statement: PostgreSQL runs a statement sent outside a
    /// transaction as a transaction of its own, so `BEGIN` and `COMMIT` would
    /// only add two round trips. [`HeroStore::commit`] and
    /// [`HeroStore::rollback`] on it only give the connection back. Gives up
    /// within the pool's timeout with [`StoreError::Unavailable`].
    fn connect(&self) -> impl Future<Output = StoreResult<Self::Tx>> + Send;

    /// Commits the transaction (if [`HeroStore::begin`] opened one) and
    /// returns the connection to the pool.
    fn commit(tx: Self::Tx) -> impl Future<Output = StoreResult<()>> + Send;

    /// Rolls back and returns the connection, without waiting: called from
    /// `Drop` when a handler fails, returns early or is cancelled by the
    /// request deadline. sqlx's and SeaORM's transactions already roll back
    /// when dropped, which is what the default (drop it) relies on.
    fn rollback(tx: Self::Tx) {
        drop(tx);
    }

    /// `await db.get(HeroModel, hero_id)`.
    fn get_hero(
        tx: &mut Self::Tx,
        id: i64,
    ) -> impl Future<Output = StoreResult<Option<FullHero>>> + Send;

    /// `select(HeroModel).where(HeroModel.name == name)` + `scalar_one_or_none()`.
    fn hero_by_name(
        tx: &mut Self::Tx,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<FullHero>>> + Send;

    /// `select(HeroModel).where(HeroModel.public_id == public_id)`: the hero
    /// whose `public_id` (a `uuid`, unique) this is.
    fn hero_by_public_id(
        tx: &mut Self::Tx,
        public_id: Uuid,
    ) -> impl Future<Output = StoreResult<Option<FullHero>>> + Send;

    /// One page of the heroes `search` matches, in its order: a query built
    /// from optional filters (`select(HeroModel)` + a `.where()` per filter
    /// given). `search.limit` is always set.
    fn list_heroes(
        tx: &mut Self::Tx,
        search: &HeroSearch,
    ) -> impl Future<Output = StoreResult<Vec<FullHero>>> + Send;

    /// Sends every hero `search` matches into `out`, in id order, streaming:
    /// rows are read from PostgreSQL as `out` takes them, so memory stays
    /// bounded whatever the row count (`stream_scalars`, `yield_per`). Runs
    /// on a connection of its own, outside any transaction. When `out` is
    /// closed early (the client left, or the export's deadline passed) it
    /// must stop at once and give a *clean* connection back to the pool, or
    /// none: a connection dropped mid-result would make its next user wait
    /// for every unread row. A failure is sent into `out` as an `Err`.
    fn export_heroes(
        self,
        search: HeroSearch,
        out: Rows,
    ) -> impl Future<Output = ()> + Send + 'static;

    /// The most connections the pool opens: `/heroes/export` lets at most a
    /// quarter of them (at least one) stream at once.
    fn max_connections(&self) -> u32;

    /// `await db.scalar(select(func.count()).select_from(HeroModel))`.
    fn count_heroes(tx: &mut Self::Tx) -> impl Future<Output = StoreResult<i64>> + Send;

    /// `db.add_all([...])`: every row, in order, with its id.
    fn add_heroes(
        tx: &mut Self::Tx,
        rows: Vec<NewHero>,
    ) -> impl Future<Output = StoreResult<Vec<FullHero>>> + Send;

    /// Sets the columns `changes` names (revision 3's included); `None` when
    /// there is no such hero. `changes` is never empty.
    fn update_hero(
        tx: &mut Self::Tx,
        id: i64,
        changes: HeroChanges,
    ) -> impl Future<Output = StoreResult<Option<FullHero>>> + Send;

    /// `await db.delete(hero)`: whether there was such a hero.
    fn delete_hero(tx: &mut Self::Tx, id: i64) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Inserts one team.
    fn add_team(tx: &mut Self::Tx, team: NewTeam)
    -> impl Future<Output = StoreResult<Team>> + Send;

    /// One team by id.
    fn get_team(
        tx: &mut Self::Tx,
        id: i64,
    ) -> impl Future<Output = StoreResult<Option<Team>>> + Send;

    /// Every team, in id order.
    fn list_teams(tx: &mut Self::Tx) -> impl Future<Output = StoreResult<Vec<Team>>> + Send;

    /// Every team with its heroes, both in id order, in at most two
    /// statements whatever the number of teams (`selectinload`,
    /// `joinedload`), never one per team.
    fn teams_with_heroes(
        tx: &mut Self::Tx,
    ) -> impl Future<Output = StoreResult<Vec<TeamWithHeroes>>> + Send;

    /// The value of one SQL `expression` as text (`SELECT (expression)::text`)
    /// in the transaction. The session asks it for the transaction's id
    /// before a write commits and, if the commit's answer is lost, whether
    /// that transaction committed (`crate::outcome`).
    fn sql_value(
        tx: &mut Self::Tx,
        expression: String,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    /// For `/readyz`: one round trip to the database outside any
    /// transaction, then the pool's state.
    fn ping(&self) -> impl Future<Output = StoreResult<PoolStatus>> + Send;
}
