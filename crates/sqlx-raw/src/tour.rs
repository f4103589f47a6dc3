//! The tour: the study's idioms written as SQL, each step printed beside the
//! SQLAlchemy line it mirrors, then the three ways a sqlx transaction ends.
//! The Rust each step prints is cut out of this crate's own source by its
//! anchors ([`support::snippet`]): the code that runs.

use futures_util::TryStreamExt as _;
use heroes_model::{Hero, HeroSearch, NewHero, Order, SortKey, seed};
use sqlx::{PgConnection, PgPool};
use support::narrate::{hero, hero_with_team, outcome, step, team_with_heroes, title};
use support::snippet::{Snippet, anchored};

use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, db, migrate, queries};

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
/// (migrating on `migration_pool`). Safe to run any number of times: it first
/// removes what an earlier run wrote, and ends in the same state.
pub async fn run(pool: &PgPool, migration_pool: &PgPool, database: &str) -> Result<()> {
    title(
        "sqlx-raw",
        "query idioms, written as SQL (the asyncpg section, SQL-first)",
        database,
    );
    step(
        1,
        "The engine: a pool of connections (built in main.rs)",
        "async_engine = create_async_engine(\"postgresql+asyncpg://...\")",
        &[const { anchored(DB, "pool") }],
    );
    let options = pool.options();
    outcome(format!(
        "pool ready: up to {} connections, callers wait at most {} s for one",
        options.get_max_connections(),
        options.get_acquire_timeout().as_secs()
    ));

    step(
        2,
        "Migrate to head",
        "alembic upgrade head",
        &[
            const { anchored(MIGRATE, "migrator") },
            const { anchored(MIGRATE, "up") },
        ],
    );
    let applied = migrate::up(migration_pool).await?;
    if applied.is_empty() {
        outcome("already at head: nothing to apply");
    }
    for name in applied {
        outcome(format!("applied {name}"));
    }

    step(
        3,
        "Insert the seed heroes in one transaction",
        "session.add_all([hero1, hero2]); await session.commit()",
        &[
            const { anchored(TOUR, "insert") },
            const { query("add_all") },
        ],
    );
    // ANCHOR: insert
    let mut tx = db::session(pool).await?;
    let removed = remove_seed(&mut tx, APP_SRC).await?;
    let inserted = add_seed(&mut tx, APP_SRC).await?;
    tx.commit().await?;
    // ANCHOR_END: insert
    if removed > 0 {
        outcome(format!("removed {removed} heroes left by an earlier tour"));
    }
    outcome(format!(
        "inserted {} teams and {} heroes (one UNNEST statement each), committed together",
        seed::TEAMS.len(),
        inserted.len()
    ));
    let spongebob = inserted
        .iter()
        .find(|h| h.name == "spongebob")
        .ok_or_else(|| Error::Internal("the seed has no spongebob".to_owned()))?;

    let mut conn = pool.acquire().await?;
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
        "(await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\"))).scalar_one_or_none()",
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
        "count -> {} heroes in the table",
        queries::count(&mut conn).await?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "(await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\"))).scalars().all()",
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

    let krabs = [NewHero::named("mr. krabs", APP_SRC)];
    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); await session.commit()  # IntegrityError",
        &[const { anchored(TOUR, "failing_batch") }],
    );
    // ANCHOR: failing_batch
    let batch = [krabs[0].clone(), NewHero::named("sandy", APP_SRC)]; // sandy is already there
    let failed: Result<()> = async {
        let mut tx = db::session(pool).await?;
        queries::add_all(&mut tx, &batch).await?; // Err: `?` returns, tx is dropped: ROLLBACK
        tx.commit().await?;
        Ok(())
    }
    .await;
    // ANCHOR_END: failing_batch
    match failed {
        Err(err @ Error::AlreadyExists { .. }) => outcome(format!("error: {err}")),
        Err(other) => return Err(other),
        Ok(()) => outcome("unexpected: the batch was accepted"),
    }
    outcome(format!(
        "\"mr. krabs\" after the rollback -> {:?}",
        name_of(queries::by_name(&mut conn, "mr. krabs").await?)
    ));

    step(
        12,
        "Roll back on purpose",
        "session.add(hero); await session.rollback()",
        &[const { anchored(TOUR, "rollback") }],
    );
    // ANCHOR: rollback
    let mut tx = db::session(pool).await?;
    queries::add_all(&mut tx, &krabs).await?;
    let inside = queries::by_name(&mut tx, "mr. krabs").await?;
    tx.rollback().await?;
    // ANCHOR_END: rollback
    outcome(format!(
        "inside the transaction: \"mr. krabs\" -> {:?}",
        name_of(inside)
    ));
    outcome(format!(
        "after rollback(): \"mr. krabs\" -> {:?}",
        name_of(queries::by_name(&mut conn, "mr. krabs").await?)
    ));

    step(
        13,
        "Forget to commit: dropping the transaction rolls back",
        "async with session.begin(): ... raise  # the context manager rolls back",
        &[const { anchored(TOUR, "drop") }],
    );
    // ANCHOR: drop
    {
        let mut tx = db::session(pool).await?;
        queries::add_all(&mut tx, &krabs).await?;
    } // no commit(): the transaction is dropped here and rolls back
    // ANCHOR_END: drop
    outcome(format!(
        "after the drop: \"mr. krabs\" -> {:?}",
        name_of(queries::by_name(&mut conn, "mr. krabs").await?)
    ));

    step(
        14,
        "Related rows: the N+1 trap, then loading them eagerly",
        "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(joinedload(Team.heroes))",
        &[
            const { anchored(BEYOND, "n_plus_one") },
            const { anchored(BEYOND, "joined") },
            const { anchored(BEYOND, "json_agg") },
        ],
    );
    let (one_by_one, statements) = beyond::teams_one_by_one(&mut conn).await?;
    let eager = beyond::teams_with_heroes(&mut conn).await?;
    let other = beyond::teams_with_heroes_json(&mut conn).await?;
    outcome(format!(
        "{} teams: {statements} statements one by one, 1 (one JOIN) eagerly; \
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
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

    println!(
        "\nsqlx-raw: done; {} heroes from this tour are in the database.",
        queries::by_app_src(&mut conn, APP_SRC).await?.len()
    );
    Ok(())
}

fn name_of(hero: Option<Hero>) -> Option<String> {
    hero.map(|h| h.name)
}

/// Inserts the seed cast (teams first, then heroes pointing at them), stamped
/// with `app_src`. Returns the heroes in seed order.
pub async fn add_seed(conn: &mut PgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let teams = queries::add_teams(conn, &seed::new_teams()).await?;
    let team_id = |name: &str| teams.iter().find(|t| t.name == name).map(|t| t.id);
    queries::add_all(conn, &seed::new_heroes(app_src, team_id)).await
}

/// Removes what an earlier tour wrote (its heroes and the seed teams), so
/// the tour can run any number of times and end in the same state.
pub async fn remove_seed(conn: &mut PgConnection, app_src: &str) -> Result<u64> {
    let removed = sqlx::query!("DELETE FROM heroes WHERE app_src = $1", app_src)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let teams: Vec<&str> = seed::TEAMS.iter().map(|t| t.name).collect();
    sqlx::query!("DELETE FROM teams WHERE name = ANY($1)", &teams as &[&str])
        .execute(&mut *conn)
        .await?;
    Ok(removed)
}
