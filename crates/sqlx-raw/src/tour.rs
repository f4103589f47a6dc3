//! The tour: the seed's idioms written as SQL, each step printed beside the
//! SQLAlchemy line it mirrors, then the three ways a sqlx transaction ends.

use heroes_model::{NewHero, seed};
use support::narrate::{hero, hero_with_team, outcome, step, title};

use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::{APP_SRC, engine, heroes, migrate};

/// Runs every step on `pool`, the engine `main.rs` built for `database`. Safe
/// to run any number of times: it first removes what an earlier run wrote,
/// and ends in the same state.
pub async fn run(pool: &PgPool, migrations: &PgPool, database: &str) -> Result<()> {
    title(
        "sqlx-raw",
        "query idioms, written as SQL (the asyncpg section, SQL-first)",
        database,
    );
    let max_connections = pool.options().get_max_connections();
    let acquire_timeout = pool.options().get_acquire_timeout().as_secs();
    step(
        1,
        "The engine: a pool of connections (built in main.rs)",
        "async_engine = create_async_engine(\"postgresql+asyncpg://...\")",
        &format!(
            "let pool = PgPoolOptions::new().max_connections({max_connections}).acquire_timeout({acquire_timeout} s).connect(url).await?;"
        ),
    );
    outcome(format!(
        "pool ready: up to {max_connections} connections, callers wait at most {acquire_timeout} s for one"
    ));

    step(
        2,
        "Migrate to head",
        "alembic upgrade head",
        "sqlx::migrate!(\"./migrations\").run(&pool).await?  // reversible .up.sql/.down.sql pairs",
    );
    let applied = migrate::up(migrations).await?;
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
        "let mut tx = engine::begin(&pool).await?;  // pool.begin(), once more if the connection was closed\n\
         query_as!(Hero, \"INSERT INTO heroes (...) SELECT * FROM UNNEST($1::text[], ...) RETURNING ...\")\n\
         tx.commit().await?;",
    );
    let mut tx = engine::begin(pool).await?;
    let removed = heroes::remove_seed(&mut tx, APP_SRC).await?;
    if removed > 0 {
        outcome(format!("removed {removed} heroes left by an earlier tour"));
    }
    let inserted = heroes::add_seed(&mut tx, APP_SRC).await?;
    tx.commit().await?;
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
        "query_as!(Hero, \"SELECT ... FROM heroes WHERE id = $1\", id).fetch_optional(conn).await?",
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
        "(await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\"))).scalar_one_or_none()",
        "query_as!(Hero, \"SELECT ... FROM heroes WHERE name = $1\", name).fetch_optional(conn).await?",
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
        "query_scalar!(\"SELECT secret_name FROM heroes WHERE name = $1\", name).fetch_optional(conn).await?",
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        heroes::secret_name_of(&mut conn, "sandy").await?.flatten()
    ));
    outcome(format!(
        "SELECT count(*) AS \"count!\" -> {} heroes in the table",
        heroes::count(&mut conn).await?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "(await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\"))).scalars().all()",
        "query_as!(Hero, \"SELECT ... WHERE app_src = $1 ORDER BY id\", app).fetch_all(conn).await?",
    );
    for found in heroes::by_app_src(&mut conn, APP_SRC).await? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team",
        "await db.execute(select(HeroModel, Team).join(Team, isouter=True))",
        "query!(\"SELECT h.*, t.id AS \\\"t_id?\\\", ... FROM heroes h LEFT JOIN teams t ON t.id = h.team_id\")",
    );
    for (found, team) in heroes::with_teams(&mut conn, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; await session.commit()",
        "query_as!(Hero, \"UPDATE heroes SET age = age + 1 WHERE name = $1 RETURNING ...\", name)",
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
        "query!(\"DELETE FROM heroes WHERE name = $1\", name).execute(conn).await?.rows_affected()",
    );
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        heroes::delete_by_name(&mut conn, "barnacle boy").await?
    ));

    let krabs = [NewHero::named("mr. krabs", APP_SRC)];
    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); await session.commit()  # IntegrityError",
        "let mut tx = engine::begin(&pool).await?; heroes::add_all(&mut tx, &batch).await?;  // Err: tx dropped -> ROLLBACK",
    );
    let batch = [krabs[0].clone(), NewHero::named("sandy", APP_SRC)];
    let failed: Result<()> = async {
        let mut tx = engine::begin(pool).await?;
        heroes::add_all(&mut tx, &batch).await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match failed {
        Err(err @ Error::AlreadyExists { .. }) => outcome(format!("error: {err}")),
        Err(other) => return Err(other),
        Ok(()) => outcome("unexpected: the batch was accepted"),
    }
    outcome(format!(
        "\"mr. krabs\" after the rollback -> {:?}",
        heroes::by_name(&mut conn, "mr. krabs")
            .await?
            .map(|h| h.name)
    ));

    step(
        12,
        "Roll back on purpose",
        "session.add(hero); await session.rollback()",
        "let mut tx = engine::begin(&pool).await?; ...; tx.rollback().await?;",
    );
    let mut tx = engine::begin(pool).await?;
    heroes::add_all(&mut tx, &krabs).await?;
    outcome(format!(
        "inside the transaction: \"mr. krabs\" -> {:?}",
        heroes::by_name(&mut tx, "mr. krabs").await?.map(|h| h.name)
    ));
    tx.rollback().await?;
    outcome(format!(
        "after rollback(): \"mr. krabs\" -> {:?}",
        heroes::by_name(&mut conn, "mr. krabs")
            .await?
            .map(|h| h.name)
    ));

    step(
        13,
        "Forget to commit: dropping the transaction rolls back",
        "async with session.begin(): ... raise  # the context manager rolls back",
        "{ let mut tx = engine::begin(&pool).await?; heroes::add_all(&mut tx, &rows).await?; }  // no commit()",
    );
    {
        let mut tx = engine::begin(pool).await?;
        heroes::add_all(&mut tx, &krabs).await?;
    }
    outcome(format!(
        "after the drop: \"mr. krabs\" -> {:?}",
        heroes::by_name(&mut conn, "mr. krabs")
            .await?
            .map(|h| h.name)
    ));

    println!(
        "\nsqlx-raw: done; {} heroes from this tour are in the database.",
        heroes::by_app_src(&mut conn, APP_SRC).await?.len()
    );
    Ok(())
}
