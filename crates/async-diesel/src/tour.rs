//! The tour: the seed's `src/async_db.py`, step by step, each step printed
//! beside the SQLAlchemy line it mirrors; then what only async gives. The
//! Rust each step prints is cut out of this crate's own source by its
//! anchors ([`support::snippet`]): the code that runs.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::TryStreamExt as _;
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, HeroSearch, NewHero, Order, SortKey, seed};
use support::narrate::{hero, hero_with_team, outcome, step, team_with_heroes, title};
use support::snippet::{Snippet, anchored};

use crate::concurrency;
use crate::db::{Pool, session};
use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, migrate, queries};

const CONCURRENCY: &str = include_str!("concurrency.rs");
const DB: &str = include_str!("db.rs");
const MIGRATE: &str = include_str!("migrate.rs");
const BEYOND: &str = include_str!("beyond.rs");
const QUERIES: &str = include_str!("queries.rs");
const TOUR: &str = include_str!("tour.rs");

/// `name`'s lines in `queries.rs`.
const fn query(name: &'static str) -> Snippet {
    anchored(QUERIES, name)
}

/// Runs every step on `pool`, the pool `main.rs` built for `database`
/// (migrating on `migration_pool`). Safe to run any number of times: it
/// first removes what an earlier run wrote, and ends in the same state.
pub async fn run(pool: &Pool, migration_pool: &Pool, database: &str) -> Result<()> {
    let options = pool.settings();
    title(
        "async-diesel",
        "\"Driver Assíncrono - asyncpg\" section (src/async_db.py)",
        database,
    );
    step(
        1,
        "The async engine: a pool of connections (built in main.rs)",
        "async_engine = create_async_engine(\"postgresql+asyncpg://...\", echo=True, future=True)",
        &[const { anchored(DB, "pool") }],
    );
    outcome(format!(
        "pool ready: up to {} connections, a caller waits at most {} ms for one",
        options.max_size,
        options.wait_timeout.as_millis()
    ));

    step(
        2,
        "Migrate to head",
        "alembic upgrade head",
        &[
            const { anchored(MIGRATE, "embed") },
            const { anchored(MIGRATE, "up") },
            const { anchored(MIGRATE, "blocking") },
        ],
    );
    let applied = migrate::up(migration_pool.get().await?)?;
    if applied.is_empty() {
        outcome("already at head: nothing to apply");
    }
    for name in applied {
        outcome(format!("applied {name}"));
    }

    step(
        3,
        "Insert the seed heroes in one transaction",
        "async with get_session() as session: session.add_all([hero1, hero2]); await session.commit()",
        &[
            const { anchored(TOUR, "insert") },
            const { anchored(DB, "session") },
            const { query("add_all") },
        ],
    );
    // ANCHOR: insert
    let (removed, inserted) = session(pool, async |conn| {
        let removed = remove_seed(conn, APP_SRC).await?;
        Ok((removed, add_seed(conn, APP_SRC).await?))
    })
    .await?;
    // ANCHOR_END: insert
    if removed > 0 {
        outcome(format!("removed {removed} heroes left by an earlier tour"));
    }
    outcome(format!(
        "inserted {} teams and {} heroes, committed together",
        seed::TEAMS.len(),
        inserted.len()
    ));
    let spongebob = inserted
        .iter()
        .find(|h| h.name == "spongebob")
        .ok_or_else(|| Error::Internal("the seed has no spongebob".to_owned()))?;

    let mut conn = pool.get().await?;
    step(
        4,
        "Get by primary key",
        "hero = await db.get(HeroModel, hero_id)",
        &[const { query("get") }],
    );
    if let Some(found) = queries::get(&mut conn, spongebob.id).await? {
        outcome(format!("id {} -> {}", spongebob.id, hero(&found)));
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        queries::get(&mut conn, -1).await?
    ));

    step(
        5,
        "Select with a WHERE clause, one row or none",
        "result = await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\")); result.scalar_one_or_none()",
        &[const { query("by_name") }],
    );
    if let Some(found) = queries::by_name(&mut conn, "spongebob").await? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        queries::by_name(&mut conn, "nobody").await?
    ));

    step(
        6,
        "One value: scalar()",
        "await db.scalar(select(HeroModel.secret_name).where(HeroModel.name == \"sandy\"))",
        &[const { query("secret_name_of") }, const { query("count") }],
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        queries::secret_name_of(&mut conn, "sandy").await?.flatten()
    ));
    outcome(format!(
        "select count(*) -> {} heroes in the table",
        queries::count(&mut conn).await?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "result = await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\")); result.scalars().all()",
        &[const { query("by_app_src") }],
    );
    for found in queries::by_app_src(&mut conn, APP_SRC).await? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team",
        "await db.execute(select(HeroModel, Team).join(Team, isouter=True))",
        &[const { query("with_teams") }],
    );
    for (found, team) in queries::with_teams(&mut conn, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; await session.commit()",
        &[const { query("birthday") }],
    );
    if let Some(older) = queries::birthday(&mut conn, "spongebob").await? {
        outcome(format!(
            "spongebob is now {}",
            older
                .age
                .map_or_else(|| "of unknown age".to_owned(), |a| a.to_string())
        ));
    }

    step(
        10,
        "Delete",
        "await session.delete(hero); await session.commit()",
        &[const { query("delete_by_name") }],
    );
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        queries::delete_by_name(&mut conn, "barnacle boy").await?
    ));

    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); await session.commit()  # IntegrityError",
        &[const { anchored(TOUR, "failing_batch") }],
    );
    // ANCHOR: failing_batch
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC), // already there: the batch fails whole
    ];
    let failed = session(pool, async |conn| queries::add_all(conn, &batch).await).await; // Err: ROLLBACK
    // ANCHOR_END: failing_batch
    match failed {
        Err(err @ Error::AlreadyExists { .. }) => outcome(format!("error: {err}")),
        Err(other) => return Err(other),
        Ok(_) => outcome("unexpected: the batch was accepted"),
    }
    outcome(format!(
        "\"mr. krabs\" after the rollback -> {:?}",
        queries::by_name(&mut conn, "mr. krabs")
            .await?
            .map(|h| h.name)
    ));
    drop(conn);

    let tasks = options.max_size * 3;
    let hold = Duration::from_millis(50);
    step(
        12,
        "Many tasks, one small pool",
        "await asyncio.gather(*(work(session_factory) for _ in range(n)))",
        &[const { anchored(CONCURRENCY, "fan_out") }],
    );
    let fan = concurrency::fan_out(pool, tasks, hold).await?;
    outcome(format!(
        "{} tasks, each holding a connection for {} ms, were served by {} connection(s) (pool size {})",
        fan.tasks,
        hold.as_millis(),
        fan.backends,
        options.max_size
    ));
    outcome(format!(
        "took {} ms: the pool bounds them to {} at a time, so about {} rounds",
        fan.elapsed.as_millis(),
        options.max_size,
        tasks.div_ceil(options.max_size)
    ));

    step(
        13,
        "Pipelining: two queries in flight on one connection",
        "(not available: an AsyncSession runs one statement at a time)",
        &[const { anchored(CONCURRENCY, "pipelined") }],
    );
    let conn = pool.get().await?;
    let (count, sandy) = concurrency::pipelined(&conn, "sandy").await?;
    outcome(format!(
        "sent both, then read both: count = {count}, by name = {}",
        sandy.as_ref().map_or_else(|| "None".to_owned(), hero)
    ));
    drop(conn);

    let mut conn = pool.get().await?;
    step(
        14,
        "Related rows: the N+1 trap, then loading them eagerly",
        "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(selectinload(Team.heroes))",
        &[
            const { anchored(BEYOND, "n_plus_one") },
            const { anchored(BEYOND, "grouped") },
            const { anchored(BEYOND, "joined") },
        ],
    );
    let (one_by_one, statements) = beyond::teams_one_by_one(&mut conn).await?;
    let eager = beyond::teams_with_heroes(&mut conn).await?;
    let other = beyond::teams_joined(&mut conn).await?;
    outcome(format!(
        "{} teams: {statements} statements one by one, 2 (belonging_to + grouped_by) eagerly; \
         the same teams and heroes every way: {}",
        one_by_one.len(),
        one_by_one == eager && eager == other
    ));
    eager.iter().map(team_with_heroes).for_each(outcome);

    step(
        15,
        "Filters that are given or not",
        "stmt = select(Hero); if min_age is not None: stmt = stmt.where(Hero.age >= min_age)  # ...",
        &[const { anchored(BEYOND, "search") }],
    );
    let grown_ups = HeroSearch {
        min_age: Some(18),
        app_src: Some(APP_SRC.to_owned()),
        order: Order {
            by: SortKey::Age,
            descending: true,
        },
        ..HeroSearch::default()
    };
    for found in beyond::search(&mut conn, &grown_ups).await? {
        outcome(format!("min_age=18, order_by=-age -> {}", hero(&found)));
    }

    step(
        16,
        "More rows than fit in memory: a stream",
        "async for hero in await session.stream_scalars(select(Hero)): ...",
        &[const { anchored(BEYOND, "stream") }],
    );
    let everyone = HeroSearch {
        app_src: Some(APP_SRC.to_owned()),
        ..HeroSearch::default()
    };
    let streamed = beyond::stream(&mut conn, &everyone)
        .await?
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

    println!(
        "\nasync-diesel: done; {} heroes from this tour are in the database.",
        queries::by_app_src(&mut conn, APP_SRC).await?.len()
    );
    Ok(())
}

/// Inserts the seed cast (teams first, then heroes pointing at them), stamped
/// with `app_src`. Returns the heroes in seed order.
pub async fn add_seed(conn: &mut AsyncPgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let teams = queries::add_teams(conn, &seed::new_teams()).await?;
    let team_id = |name: &str| teams.iter().find(|t| t.name == name).map(|t| t.id);
    queries::add_all(conn, &seed::new_heroes(app_src, team_id)).await
}

/// Removes what an earlier tour wrote (its heroes and the seed teams), so
/// the tour can run any number of times and end in the same state.
pub async fn remove_seed(conn: &mut AsyncPgConnection, app_src: &str) -> Result<usize> {
    let removed = diesel::delete(heroes::table.filter(heroes::app_src.eq(app_src)))
        .execute(conn)
        .await?;
    let names: Vec<&str> = seed::TEAMS.iter().map(|t| t.name).collect();
    diesel::delete(teams::table.filter(teams::name.eq_any(names)))
        .execute(conn)
        .await?;
    Ok(removed)
}
