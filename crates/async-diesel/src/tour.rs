//! The tour: the seed's `src/async_db.py`, step by step, each step printed
//! beside the SQLAlchemy line it mirrors; then what only async gives.

use std::time::Duration;

use heroes_model::{NewHero, seed};
use support::narrate::{hero, hero_with_team, outcome, step, title};

use crate::concurrency;
use crate::engine::{Engine, session};
use crate::error::{Error, Result};
use crate::{APP_SRC, heroes, migrate};

/// Runs every step on `engine`, the one `main.rs` built for `database`. Safe
/// to run any number of times: it first removes what an earlier run wrote,
/// and ends in the same state.
pub async fn run(engine: &Engine, migrations: &Engine, database: &str) -> Result<()> {
    let options = engine.options();
    title(
        "async-diesel",
        "\"Driver Assíncrono - asyncpg\" section (src/async_db.py)",
        database,
    );
    step(
        1,
        "The async engine: a pool of connections (built in main.rs)",
        "async_engine = create_async_engine(\"postgresql+asyncpg://...\", echo=True, future=True)",
        &format!(
            "Pool::builder(AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config)).max_size({}).build()?  // RecyclingMethod::Fast",
            options.max_size
        ),
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
        "under pg_advisory_lock: AsyncConnectionWrapper::from(conn).run_pending_migrations(MIGRATIONS)",
    );
    let applied = migrate::up(migrations.get().await?)?;
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
        "session(engine, async |conn| heroes::add_all(conn, &rows).await).await?",
    );
    let inserted = session(engine, async |conn| {
        let removed = heroes::remove_seed(conn, APP_SRC).await?;
        if removed > 0 {
            outcome(format!("removed {removed} heroes left by an earlier tour"));
        }
        heroes::add_seed(conn, APP_SRC).await
    })
    .await?;
    outcome(format!(
        "inserted {} teams and {} heroes, committed together",
        seed::TEAMS.len(),
        inserted.len()
    ));
    let spongebob = inserted
        .iter()
        .find(|h| h.name == "spongebob")
        .ok_or_else(|| Error::Internal("the seed has no spongebob".to_owned()))?;

    let mut conn = engine.get().await?;
    step(
        4,
        "Get by primary key",
        "hero = await db.get(HeroModel, hero_id)",
        "queries::get(id).first(conn).await.optional()?",
    );
    if let Some(found) = heroes::get(&mut conn, spongebob.id).await? {
        outcome(format!("id {} -> {}", spongebob.id, hero(&found)));
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        heroes::get(&mut conn, -1).await?
    ));

    step(
        5,
        "Select with a WHERE clause, one row or none",
        "result = await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\")); result.scalar_one_or_none()",
        "queries::by_name(\"spongebob\").first(conn).await.optional()?",
    );
    if let Some(found) = heroes::by_name(&mut conn, "spongebob").await? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        heroes::by_name(&mut conn, "nobody").await?
    ));

    step(
        6,
        "One value: scalar()",
        "await db.scalar(select(HeroModel.secret_name).where(HeroModel.name == \"sandy\"))",
        "queries::secret_name_of(\"sandy\").first::<Option<String>>(conn).await.optional()?",
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        heroes::secret_name_of(&mut conn, "sandy").await?.flatten()
    ));
    outcome(format!(
        "select count(*) -> {} heroes in the table",
        heroes::count(&mut conn).await?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "result = await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\")); result.scalars().all()",
        "queries::by_app_src(APP_SRC).load(conn).await?",
    );
    for found in heroes::by_app_src(&mut conn, APP_SRC).await? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team",
        "await db.execute(select(HeroModel, Team).join(Team, isouter=True))",
        "queries::with_teams(APP_SRC).load(conn).await?  // LEFT JOIN",
    );
    for (found, team) in heroes::with_teams(&mut conn, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; await session.commit()",
        "update(heroes.filter(name.eq(\"spongebob\"))).set(age.eq(age + 1)).returning(..).get_result(conn).await?",
    );
    if let Some(older) = heroes::birthday(&mut conn, "spongebob").await? {
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
        "delete(heroes.filter(name.eq(\"barnacle boy\"))).execute(conn).await?",
    );
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        heroes::delete_by_name(&mut conn, "barnacle boy").await?
    ));

    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); await session.commit()  # IntegrityError",
        "session(engine, async |conn| heroes::add_all(conn, &batch).await).await  // Err -> ROLLBACK",
    );
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC),
    ];
    match session(engine, async |conn| heroes::add_all(conn, &batch).await).await {
        Err(err @ Error::AlreadyExists { .. }) => outcome(format!("error: {err}")),
        Err(other) => return Err(other),
        Ok(_) => outcome("unexpected: the batch was accepted"),
    }
    outcome(format!(
        "\"mr. krabs\" after the rollback -> {:?}",
        heroes::by_name(&mut conn, "mr. krabs")
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
        "for _ in 0..n { set.spawn(async move { let c = engine.get().await?; ... }) }",
    );
    let fan = concurrency::fan_out(engine, tasks, hold).await?;
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
        "try_join!(count().get_result(&mut &*conn), by_name(\"sandy\").get_results(&mut &*conn))",
    );
    let conn = engine.get().await?;
    let (count, sandy) = concurrency::pipelined(&conn, "sandy").await?;
    outcome(format!(
        "sent both, then read both: count = {count}, by name = {}",
        sandy.as_ref().map_or_else(|| "None".to_owned(), hero)
    ));
    drop(conn);

    let mut conn = engine.get().await?;
    println!(
        "\nasync-diesel: done; {} heroes from this tour are in the database.",
        heroes::by_app_src(&mut conn, APP_SRC).await?.len()
    );
    Ok(())
}
