//! The heroes API on synchronous Diesel: `cargo run -p sync-diesel -- serve`.
//!
//! The routes, validation, errors and OpenAPI document are written once in
//! `heroes-api`; this file is what a *blocking* driver needs to live in an
//! async server. Every libpq call (pool checkout, `BEGIN`, each query,
//! `COMMIT`) blocks its thread until PostgreSQL answers. Run on one of
//! tokio's few worker threads, that would stall every other request on the
//! thread meanwhile; so each call is moved to tokio's blocking thread pool
//! with `spawn_blocking`, and the worker serves other requests while it waits.
//! The request owns its pooled connection between calls ([`Tx`](crate::api::Tx)) and lends it
//! to each blocking call in turn.
//!
//! The other way is a pool made for this, such as `deadpool-diesel`, whose
//! `conn.interact(|conn| ...)` does the same hand-off; r2d2 is what the tour
//! uses, so the server keeps it.

use crate::queries::{self, Trouble};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use heroes_api::types::HeroFilter;
use heroes_api::{HeroStore, PoolStatus, StoreError, StoreResult};
use heroes_model::{Hero, HeroChanges, NewHero, NewTeam, Team};
use tokio::sync::oneshot;

use crate::engine::{PgPool, PooledPg};
use crate::{APP_SRC, Error, Result, heroes};

/// The engine, as the server's state (an r2d2 handle: cheap to clone).
#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Serves from `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// A pooled connection inside `BEGIN`, owned by one request.
pub struct Tx {
    /// `None` when the request was cancelled before it got one, or a
    /// blocking call panicked with it (r2d2 discards a connection dropped
    /// while its thread panics).
    conn: Option<PooledPg>,
}

/// Runs `work` on tokio's blocking thread pool and waits for it without
/// blocking the async worker. The result comes back through a channel so
/// that the blocking side knows when nobody waits any more: a request
/// cancelled by its client or its deadline leaves `work` running on its
/// thread, and whatever connection `work` returns must then go back to the
/// pool clean (`abandon`), not be dropped in the middle of a transaction.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce(&Waiting<'_>) -> T + Send + 'static,
    abandon: impl FnOnce(T) + Send + 'static,
) -> StoreResult<T> {
    let (sender, receiver) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let is_closed = || sender.is_closed();
        let value = work(&Waiting(&is_closed));
        if let Err(unwanted) = sender.send(value) {
            abandon(unwanted);
        }
    });
    receiver
        .await
        .map_err(|_| StoreError::Internal("a blocking database call panicked".into()))
}

/// Whether the request that asked for a blocking call still waits for it.
struct Waiting<'a>(&'a dyn Fn() -> bool);

impl Waiting<'_> {
    fn gone(&self) -> bool {
        (self.0)()
    }
}

/// Rolls back what an abandoned call left open, so that the connection
/// returns to the pool ready for the next request.
fn roll_back(conn: &mut PooledPg) {
    let _ = AnsiTransactionManager::rollback_transaction(&mut **conn);
}

impl Tx {
    /// Lends the connection to `work` on a blocking thread and takes it back.
    async fn run<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let mut conn = self.conn.take().ok_or_else(|| {
            StoreError::Internal("the connection was lost by an earlier failure".into())
        })?;
        let (conn, result) = blocking(
            move |_| {
                let result = work(&mut conn);
                (conn, result)
            },
            |(mut conn, _)| roll_back(&mut conn),
        )
        .await?;
        self.conn = Some(conn);
        Ok(result?)
    }
}

impl HeroStore for Store {
    type Tx = Tx;
    const APP_SRC: &'static str = APP_SRC;

    async fn begin(&self) -> StoreResult<Tx> {
        let pool = self.pool.clone();
        let conn = blocking(
            move |waiting| -> Result<Option<PooledPg>> {
                let mut conn = pool.get()?;
                if waiting.gone() {
                    // Cancelled while waiting for the pool: give it back unused.
                    return Ok(None);
                }
                AnsiTransactionManager::begin_transaction(&mut *conn)?;
                Ok(Some(conn))
            },
            |begun| {
                if let Ok(Some(mut conn)) = begun {
                    roll_back(&mut conn);
                }
            },
        )
        .await??;
        Ok(Tx { conn })
    }

    async fn commit(mut tx: Tx) -> StoreResult<()> {
        tx.run(|conn| Ok(AnsiTransactionManager::commit_transaction(conn)?))
            .await
    }

    fn rollback(tx: Tx) {
        // `Drop` cannot wait, so the ROLLBACK goes to a blocking thread. With
        // no runtime left, dropping is still safe: r2d2 sees the open
        // transaction and discards the connection instead of reusing it.
        if let (Some(mut conn), Ok(runtime)) = (tx.conn, tokio::runtime::Handle::try_current()) {
            runtime.spawn_blocking(move || {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn);
            });
        }
    }

    async fn get_hero(tx: &mut Tx, id: i64) -> StoreResult<Option<Hero>> {
        tx.run(move |conn| heroes::get(conn, id)).await
    }

    async fn hero_by_name(tx: &mut Tx, name: &str) -> StoreResult<Option<Hero>> {
        let name = name.to_owned();
        tx.run(move |conn| heroes::by_name(conn, &name)).await
    }

    async fn list_heroes(tx: &mut Tx, filter: &HeroFilter) -> StoreResult<Vec<Hero>> {
        let f = filter.clone();
        tx.run(move |conn| heroes::page(conn, f.app_src.as_deref(), f.limit, f.offset))
            .await
    }

    async fn count_heroes(tx: &mut Tx) -> StoreResult<i64> {
        tx.run(heroes::count).await
    }

    async fn add_heroes(tx: &mut Tx, rows: Vec<NewHero>) -> StoreResult<Vec<Hero>> {
        tx.run(move |conn| heroes::add_all(conn, &rows)).await
    }

    async fn update_hero(tx: &mut Tx, id: i64, changes: HeroChanges) -> StoreResult<Option<Hero>> {
        tx.run(move |conn| heroes::update(conn, id, &changes)).await
    }

    async fn delete_hero(tx: &mut Tx, id: i64) -> StoreResult<bool> {
        tx.run(move |conn| heroes::delete(conn, id)).await
    }

    async fn add_team(tx: &mut Tx, team: NewTeam) -> StoreResult<Team> {
        let mut saved = tx.run(move |conn| heroes::add_teams(conn, &[team])).await?;
        saved
            .pop()
            .ok_or_else(|| StoreError::Internal("INSERT ... RETURNING gave no row".into()))
    }

    async fn get_team(tx: &mut Tx, id: i64) -> StoreResult<Option<Team>> {
        tx.run(move |conn| heroes::team(conn, id)).await
    }

    async fn team_heroes(tx: &mut Tx, team_id: i64) -> StoreResult<Vec<Hero>> {
        tx.run(move |conn| heroes::of_team(conn, team_id)).await
    }

    async fn ping(&self) -> StoreResult<PoolStatus> {
        let pool = self.pool.clone();
        blocking(
            move |_| -> Result<()> {
                heroes::count(&mut *pool.get()?)?;
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

impl From<Error> for StoreError {
    /// Sorts this crate's errors into what the API answers: a taken name is
    /// 409, a missing team 422, a pool time-out or a lost connection 503.
    fn from(err: Error) -> Self {
        match err {
            Error::AlreadyExists { what, name } => Self::AlreadyExists { what, name },
            // r2d2 says "timed out waiting for connection" both when all are
            // busy and when none can be opened (the server is down).
            Error::Pool(_) | Error::Config(_) => Self::Unavailable(err.to_string()),
            Error::Database(db) => match queries::trouble(&db) {
                Trouble::MissingReference => Self::NoSuchTeam,
                Trouble::Unavailable => Self::Unavailable(db.to_string()),
                Trouble::Other => Self::Internal(db.to_string()),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}
