//! What only the async stack gives: many tasks sharing a small pool, and
//! several queries in flight on one connection (pipelining).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{Double, Int4};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};
use heroes_model::schema::heroes;
use heroes_model::{Hero, NewHero};
use tokio::task::JoinSet;

use crate::db::Pool;
use crate::error::{Error, Result};

/// What a fan-out of tasks over the pool observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FanOut {
    /// How many tasks ran.
    pub tasks: usize,
    /// The distinct server backends (connections) that served them.
    pub backends: usize,
    /// Wall time for all of them.
    pub elapsed: Duration,
}

#[derive(QueryableByName)]
struct Backend {
    #[diesel(sql_type = Int4)]
    pid: i32,
}

/// The server process serving `conn`, after holding it for `hold`.
async fn backend_pid(conn: &mut AsyncPgConnection, hold: Duration) -> Result<i32> {
    Ok(
        diesel::sql_query("SELECT pg_backend_pid() AS pid FROM pg_sleep($1)")
            .bind::<Double, _>(hold.as_secs_f64())
            .get_result::<Backend>(conn)
            .await?
            .pid,
    )
}

// ANCHOR: fan_out
/// Spawns `tasks` tasks that each take a connection, hold it for `hold` and
/// report which backend served them. However many tasks there are, at most the
/// pool's size of connections are in use at once; the others wait their turn.
pub async fn fan_out(pool: &Pool, tasks: usize, hold: Duration) -> Result<FanOut> {
    let began = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        let pool = pool.clone();
        set.spawn(async move {
            let mut conn = pool.get().await?;
            backend_pid(&mut conn, hold).await
        });
    }
    let mut pids = BTreeSet::new();
    while let Some(joined) = set.join_next().await {
        pids.insert(joined.map_err(|e| Error::Internal(format!("a task failed: {e}")))??);
    }
    Ok(FanOut {
        tasks,
        backends: pids.len(),
        elapsed: began.elapsed(),
    })
}
// ANCHOR_END: fan_out

/// Inserts one hero from each of `tasks` concurrent tasks, each in a session
/// of its own, named `<prefix>-<n>`. Returns how many were inserted.
pub async fn concurrent_inserts(
    pool: &Pool,
    tasks: usize,
    prefix: &str,
    app_src: &str,
) -> Result<usize> {
    let mut set = JoinSet::new();
    for n in 0..tasks {
        let pool = pool.clone();
        let row = NewHero::named(format!("{prefix}-{n}"), app_src);
        set.spawn(async move {
            let mut conn = pool.get().await?;
            conn.transaction(async |conn| {
                crate::queries::add_all(conn, std::slice::from_ref(&row)).await
            })
            .await
            .map(|rows| rows.len())
        });
    }
    let mut inserted = 0;
    while let Some(joined) = set.join_next().await {
        inserted += joined.map_err(|e| Error::Internal(format!("a task failed: {e}")))??;
    }
    Ok(inserted)
}

// ANCHOR: pipelined
/// Two independent queries in flight on one connection at once: both are
/// sent before either answer is read. diesel-async (on tokio-postgres) can do
/// this; libpq-based Diesel, psycopg2 and SQLAlchemy's sessions cannot.
pub async fn pipelined(conn: &AsyncPgConnection, name: &str) -> Result<(i64, Option<Hero>)> {
    let count = heroes::table.count().get_result::<i64>(&mut &*conn);
    let hero = heroes::table
        .filter(heroes::name.eq(name))
        .select(Hero::as_select())
        .get_results::<Hero>(&mut &*conn);
    let (count, heroes) = tokio::try_join!(count, hero)?;
    Ok((count, heroes.into_iter().next()))
}
// ANCHOR_END: pipelined

// ANCHOR: shared
/// [`crate::queries::get`] through a shared `&AsyncPgConnection`: any number
/// of tasks can hold one connection this way, and their queries are
/// pipelined on it, each sent without waiting for the answers before it. A
/// pool instead lends a connection to one task at a time, so 32 tasks over a
/// pool of 8 keep at most 8 queries in flight. Only for statements that need
/// no transaction: a transaction on a shared connection would take in every
/// other task's statements.
pub async fn get_shared(conn: &AsyncPgConnection, id: i64) -> Result<Option<Hero>> {
    let hero = heroes::table
        .find(id)
        .select(Hero::as_select())
        .first(&mut &*conn)
        .await
        .optional()?;
    Ok(hero)
}
// ANCHOR_END: shared
