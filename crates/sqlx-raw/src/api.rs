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
use heroes_model::{FullHero, HeroChanges, HeroSearch, NewHero, NewTeam, Team, TeamWithHeroes};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

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
    async fn get_hero(tx: &mut Self::Tx, id: i64) -> StoreResult<Option<FullHero>> {
        Ok(full::get(tx, id).await?)
    }
    // ANCHOR_END: get_hero

    async fn hero_by_name(tx: &mut Self::Tx, name: &str) -> StoreResult<Option<FullHero>> {
        Ok(full::by_name(tx, name).await?)
    }

    async fn hero_by_public_id(
        tx: &mut Self::Tx,
        public_id: Uuid,
    ) -> StoreResult<Option<FullHero>> {
        Ok(full::by_public_id(tx, public_id).await?)
    }

    async fn list_heroes(tx: &mut Self::Tx, search: &HeroSearch) -> StoreResult<Vec<FullHero>> {
        Ok(full::search(tx, search).await?)
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

    async fn add_heroes(tx: &mut Self::Tx, rows: Vec<NewHero>) -> StoreResult<Vec<FullHero>> {
        Ok(full::add_all(tx, &rows).await?)
    }

    async fn update_hero(
        tx: &mut Self::Tx,
        id: i64,
        changes: HeroChanges,
    ) -> StoreResult<Option<FullHero>> {
        Ok(full::update(tx, id, &changes).await?)
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

// ANCHOR: full
/// The API's queries: a hero with every column, revision 3's included. The
/// fixed ones are `query_as!`, checked at build time like the lessons', with
/// the two aliases the types lesson needs (`"rank: HeroRank"`,
/// `"profile: Json<Profile>"`); the search is `beyond::filtered` with more
/// columns, read by `FullHero`'s `FromRow`.
mod full {
    use heroes_model::{FullHero, Hero, HeroChanges, HeroColumns, HeroRank, HeroSearch, NewHero};
    use heroes_model::{Profile, TypeColumns};
    use rust_decimal::Decimal;
    use sqlx::PgConnection;
    use sqlx::types::Json;
    use sqlx::types::chrono::{DateTime, Utc};
    use uuid::Uuid;

    use crate::{Result, beyond};

    /// What `query_as!` fills: every column, the document in sqlx's `Json`.
    struct Row {
        id: i64,
        name: String,
        secret_name: Option<String>,
        age: Option<i32>,
        app_src: String,
        created_at: DateTime<Utc>,
        team_id: Option<i64>,
        rank: HeroRank,
        powers: Vec<String>,
        profile: Option<Json<Profile>>,
        public_id: Uuid,
        salary: Option<Decimal>,
    }

    impl From<Row> for FullHero {
        fn from(row: Row) -> Self {
            let hero = Hero {
                id: row.id,
                name: row.name,
                secret_name: row.secret_name,
                age: row.age,
                app_src: row.app_src,
                created_at: row.created_at,
                team_id: row.team_id,
            };
            let types = TypeColumns {
                rank: row.rank,
                powers: row.powers,
                profile: row.profile.map(|Json(profile)| profile),
                public_id: row.public_id,
                salary: row.salary,
            };
            Self { hero, types }
        }
    }

    /// Every column, for `beyond::filtered`.
    const COLUMNS: &str = "id, name, secret_name, age, app_src, created_at, team_id, \
                           rank, powers, profile, public_id, salary";

    pub(super) async fn get(conn: &mut PgConnection, id: i64) -> Result<Option<FullHero>> {
        let row = sqlx::query_as!(
            Row,
            r#"SELECT id, name, secret_name, age, app_src, created_at, team_id,
                      rank AS "rank: HeroRank", powers, profile AS "profile: Json<Profile>",
                      public_id, salary
                 FROM heroes WHERE id = $1"#,
            id
        )
        .fetch_optional(conn)
        .await?;
        Ok(row.map(FullHero::from))
    }

    pub(super) async fn by_name(conn: &mut PgConnection, name: &str) -> Result<Option<FullHero>> {
        let row = sqlx::query_as!(
            Row,
            r#"SELECT id, name, secret_name, age, app_src, created_at, team_id,
                      rank AS "rank: HeroRank", powers, profile AS "profile: Json<Profile>",
                      public_id, salary
                 FROM heroes WHERE name = $1"#,
            name
        )
        .fetch_optional(conn)
        .await?;
        Ok(row.map(FullHero::from))
    }

    pub(super) async fn by_public_id(
        conn: &mut PgConnection,
        public_id: Uuid,
    ) -> Result<Option<FullHero>> {
        let row = sqlx::query_as!(
            Row,
            r#"SELECT id, name, secret_name, age, app_src, created_at, team_id,
                      rank AS "rank: HeroRank", powers, profile AS "profile: Json<Profile>",
                      public_id, salary
                 FROM heroes WHERE public_id = $1"#,
            public_id
        )
        .fetch_optional(conn)
        .await?;
        Ok(row.map(FullHero::from))
    }

    pub(super) async fn search(
        conn: &mut PgConnection,
        search: &HeroSearch,
    ) -> Result<Vec<FullHero>> {
        let mut sql = beyond::filtered(COLUMNS, search);
        Ok(sql.build_query_as::<FullHero>().fetch_all(conn).await?)
    }

    /// `queries::add_all`'s `UNNEST`, returning every column.
    pub(super) async fn add_all(
        conn: &mut PgConnection,
        rows: &[NewHero],
    ) -> Result<Vec<FullHero>> {
        let columns = HeroColumns::of(rows);
        let saved = sqlx::query_as!(
            Row,
            r#"INSERT INTO heroes (name, secret_name, age, app_src, team_id)
               SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::text[], $5::int8[])
               RETURNING id, name, secret_name, age, app_src, created_at, team_id,
                         rank AS "rank: HeroRank", powers, profile AS "profile: Json<Profile>",
                         public_id, salary"#,
            &columns.names as &[&str],
            &columns.secret_names as &[Option<&str>],
            &columns.ages as &[Option<i32>],
            &columns.app_srcs as &[&str],
            &columns.team_ids as &[Option<i64>],
        )
        .fetch_all(conn)
        .await?;
        Ok(saved.into_iter().map(FullHero::from).collect())
    }

    /// Sets the columns `changes` names on hero `id`, in one `UPDATE ...
    /// RETURNING`; `None` when there is no such hero. A nullable column takes
    /// a "set it" flag beside its value, so that NULL can mean "clear it".
    pub(super) async fn update(
        conn: &mut PgConnection,
        id: i64,
        changes: &HeroChanges,
    ) -> Result<Option<FullHero>> {
        let (set_secret, secret) = flag(changes.secret_name.as_ref().map(Option::as_deref));
        let (set_age, age) = flag(changes.age);
        let (set_team, team) = flag(changes.team_id);
        let (set_profile, profile) = flag(changes.profile.as_ref().map(|p| p.as_ref().map(Json)));
        let (set_salary, salary) = flag(changes.salary);
        let row = sqlx::query_as!(
            Row,
            r#"UPDATE heroes SET
                    name        = COALESCE($2, name),
                    secret_name = CASE WHEN $3 THEN $4 ELSE secret_name END,
                    age         = CASE WHEN $5 THEN $6 ELSE age END,
                    team_id     = CASE WHEN $7 THEN $8 ELSE team_id END,
                    rank        = COALESCE($9, rank),
                    powers      = COALESCE($10, powers),
                    profile     = CASE WHEN $11 THEN $12 ELSE profile END,
                    salary      = CASE WHEN $13 THEN $14 ELSE salary END
              WHERE id = $1
             RETURNING id, name, secret_name, age, app_src, created_at, team_id,
                       rank AS "rank: HeroRank", powers, profile AS "profile: Json<Profile>",
                       public_id, salary"#,
            id,
            changes.name.as_deref(),
            set_secret,
            secret,
            set_age,
            age,
            set_team,
            team,
            changes.rank as Option<HeroRank>,
            changes.powers.as_deref(),
            set_profile,
            profile as _,
            set_salary,
            salary,
        )
        .fetch_optional(conn)
        .await?;
        Ok(row.map(FullHero::from))
    }

    /// `Some(value)` (set it, maybe to NULL) → `(true, value)`; `None` → `(false, NULL)`.
    fn flag<T>(change: Option<Option<T>>) -> (bool, Option<T>) {
        match change {
            Some(value) => (true, value),
            None => (false, None),
        }
    }
}
// ANCHOR_END: full

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 409 too, a pool time-out or a lost connection 503.
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
