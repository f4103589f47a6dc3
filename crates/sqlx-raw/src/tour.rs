//! The tour: the study's idioms written as SQL, in the study's order, each
//! step printed beside the SQLAlchemy line it mirrors (the steps are at the
//! end of this file; what each prints is this crate's own anchored source).

use futures_util::TryStreamExt as _;
use heroes_model::{Hero, HeroRank, HeroSearch, NewHero, Order, SortKey, TypedHero, seed};
use sqlx::{PgConnection, PgPool};
use support::narrate::{Step, applied, hero, hero_with_team, outcome, seeded, show};
use support::narrate::{seed_hero, team_with_heroes, title, typed_hero};
use support::snippet::{Snippet, anchored};

use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, migrate, queries, types};

/// Runs every step on `pool` (migrating on `migration_pool`). Safe to run
/// again: it replaces what an earlier run wrote.
pub async fn run(pool: &PgPool, migration_pool: &PgPool, database: &str) -> Result<()> {
    title("sqlx-raw", SECTION, database);
    show(1, &POOL); // the engine: main.rs built it with db::pool
    outcome(pool_ready(pool));

    show(2, &MIGRATE_UP);
    let pending = pending(&migrate::history(migration_pool).await?);
    // ANCHOR: migrate
    migrate::MIGRATOR.run(migration_pool).await?;
    // ANCHOR_END: migrate
    applied(&pending);

    show(3, &INSERT);
    // ANCHOR: insert
    let mut tx = pool.begin().await?;
    let removed = remove_seed(&mut tx, APP_SRC).await?;
    let inserted = add_seed(&mut tx, APP_SRC).await?;
    tx.commit().await?;
    // ANCHOR_END: insert
    seeded(removed, &inserted);
    let spongebob = seed_hero(&inserted, "spongebob").map_err(Error::Internal)?;

    let mut conn = pool.acquire().await?;
    show(4, &GET);
    if let Some(found) = queries::get(&mut conn, spongebob.id).await? {
        outcome(format!("id {} -> {}", spongebob.id, hero(&found)));
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        queries::get(&mut conn, -1).await?
    ));

    show(5, &BY_NAME);
    if let Some(found) = queries::by_name(&mut conn, "spongebob").await? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        queries::by_name(&mut conn, "nobody").await?
    ));

    show(6, &SECRET_NAME_OF);
    outcome(format!(
        "sandy's secret name -> {:?}",
        queries::secret_name_of(&mut conn, "sandy").await?.flatten()
    ));
    outcome(format!(
        "count -> {} heroes in the table",
        queries::count(&mut conn).await?
    ));

    show(7, &BY_APP_SRC);
    for found in queries::by_app_src(&mut conn, APP_SRC).await? {
        outcome(hero(&found));
    }

    show(8, &WITH_TEAMS);
    for (found, team) in queries::with_teams(&mut conn, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    show(9, &BIRTHDAY);
    if let Some(older) = queries::birthday(&mut conn, "spongebob").await? {
        outcome(format!(
            "spongebob is now {}",
            older
                .age
                .map_or_else(|| "of unknown age".to_owned(), |a| a.to_string())
        ));
    }

    show(10, &DELETE_BY_NAME);
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        queries::delete_by_name(&mut conn, "barnacle boy").await?
    ));

    let krabs = [NewHero::named("mr. krabs", APP_SRC)];
    show(11, &FAILING_BATCH);
    // ANCHOR: failing_batch
    let batch = [krabs[0].clone(), NewHero::named("sandy", APP_SRC)]; // sandy is already there
    let failed: Result<()> = async {
        let mut tx = pool.begin().await?;
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

    show(12, &ROLLBACK);
    // ANCHOR: rollback
    let mut tx = pool.begin().await?;
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

    show(13, &DROP);
    // ANCHOR: drop
    {
        let mut tx = pool.begin().await?;
        queries::add_all(&mut tx, &krabs).await?;
    } // no commit(): the transaction is dropped here and rolls back
    // ANCHOR_END: drop
    outcome(format!(
        "after the drop: \"mr. krabs\" -> {:?}",
        name_of(queries::by_name(&mut conn, "mr. krabs").await?)
    ));

    show(14, &N_PLUS_ONE);
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

    show(15, &SEARCH);
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

    show(16, &STREAM);
    let everyone = HeroSearch {
        app_src: Some(APP_SRC.to_owned()),
        ..HeroSearch::default()
    };
    let streamed = beyond::stream(&mut conn, &everyone)
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

    show(17, &SET_TYPES);
    let mut sandy_public_id = None;
    for (name, columns) in seed::hero_types() {
        if let Some(typed) = types::set_types(&mut conn, name, &columns).await? {
            outcome(typed_hero(&typed));
            if typed.name == "sandy" {
                sandy_public_id = Some(typed.public_id);
            }
        }
    }

    show(18, &QUERY_TYPES);
    let names =
        |heroes: Vec<TypedHero>| -> Vec<String> { heroes.into_iter().map(|h| h.name).collect() };
    outcome(format!(
        "with the power \"karate\" -> {:?}",
        names(types::with_power(&mut conn, "karate").await?)
    ));
    outcome(format!(
        "rank legend -> {:?}",
        names(types::by_rank(&mut conn, HeroRank::Legend).await?)
    ));
    outcome(format!(
        "catchphrase \"I'm ready!\" -> {:?}",
        names(types::by_catchphrase(&mut conn, "I'm ready!").await?)
    ));
    for paid in types::by_salary(&mut conn).await? {
        outcome(format!(
            "by salary -> {} {}",
            paid.name,
            paid.salary.unwrap_or_default()
        ));
    }
    if let Some(public_id) = sandy_public_id {
        let found = types::by_public_id(&mut conn, public_id).await?;
        outcome(format!("sandy's public_id -> {:?}", found.map(|h| h.name)));
    }

    println!(
        "\nsqlx-raw: done; {} heroes from this tour are in the database.",
        queries::by_app_src(&mut conn, APP_SRC).await?.len()
    );
    Ok(())
}

/// The names of the revisions not applied yet: what `run` is about to apply.
fn pending(revisions: &[migrate::Revision]) -> Vec<String> {
    let pending = revisions.iter().filter(|r| !r.applied);
    pending.map(|r| r.name.clone()).collect()
}

/// What the pool was built with.
fn pool_ready(pool: &PgPool) -> String {
    let options = pool.options();
    format!(
        "pool ready: up to {} connections, callers wait at most {} s for one",
        options.get_max_connections(),
        options.get_acquire_timeout().as_secs()
    )
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

// The steps as the tour prints them: heading, the study's Python, the Rust.

/// The part of the study this tour follows.
const SECTION: &str = "query idioms, written as SQL (the asyncpg section, SQL-first)";

const DB: &str = include_str!("db.rs");
const MIGRATE: &str = include_str!("migrate.rs");
const BEYOND: &str = include_str!("beyond.rs");
const QUERIES: &str = include_str!("queries.rs");
const TOUR: &str = include_str!("tour.rs");
const TYPES: &str = include_str!("types.rs");

/// `name`'s lines in `types.rs`.
const fn types_rs(name: &'static str) -> Snippet {
    anchored(TYPES, name)
}

/// `name`'s lines in `queries.rs`.
const fn query(name: &'static str) -> Snippet {
    anchored(QUERIES, name)
}

const POOL: Step = Step {
    title: "The engine: a pool of connections (built in main.rs)",
    python: "async_engine = create_async_engine(\"postgresql+asyncpg://...\")",
    rust: &[anchored(DB, "pool")],
};

const MIGRATE_UP: Step = Step {
    title: "Migrate to head",
    python: "alembic upgrade head",
    rust: &[anchored(MIGRATE, "migrator"), anchored(TOUR, "migrate")],
};

const INSERT: Step = Step {
    title: "Insert the seed heroes in one transaction",
    python: "session.add_all([hero1, hero2]); await session.commit()",
    rust: &[anchored(TOUR, "insert"), query("add_all")],
};

const GET: Step = Step {
    title: "Get by primary key",
    python: "hero = await db.get(HeroModel, hero_id)",
    rust: &[query("get")],
};

const BY_NAME: Step = Step {
    title: "Select with a WHERE clause, one row or none",
    python: "(await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\"))).scalar_one_or_none()",
    rust: &[query("by_name")],
};

const SECRET_NAME_OF: Step = Step {
    title: "One value: scalar()",
    python: "await db.scalar(select(HeroModel.secret_name).where(HeroModel.name == \"sandy\"))",
    rust: &[query("secret_name_of"), query("count")],
};

const BY_APP_SRC: Step = Step {
    title: "Many rows: scalars().all()",
    python: "(await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\"))).scalars().all()",
    rust: &[query("by_app_src")],
};

const WITH_TEAMS: Step = Step {
    title: "Join hero -> team",
    python: "await db.execute(select(HeroModel, Team).join(Team, isouter=True))",
    rust: &[query("with_teams")],
};

const BIRTHDAY: Step = Step {
    title: "Update",
    python: "hero.age += 1; await session.commit()",
    rust: &[query("birthday")],
};

const DELETE_BY_NAME: Step = Step {
    title: "Delete",
    python: "await session.delete(hero); await session.commit()",
    rust: &[query("delete_by_name")],
};

const FAILING_BATCH: Step = Step {
    title: "A failing batch rolls back whole",
    python: "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); await session.commit()  # IntegrityError",
    rust: &[anchored(TOUR, "failing_batch")],
};

const ROLLBACK: Step = Step {
    title: "Roll back on purpose",
    python: "session.add(hero); await session.rollback()",
    rust: &[anchored(TOUR, "rollback")],
};

const DROP: Step = Step {
    title: "Forget to commit: dropping the transaction rolls back",
    python: "async with session.begin(): ... raise  # the context manager rolls back",
    rust: &[anchored(TOUR, "drop")],
};

const N_PLUS_ONE: Step = Step {
    title: "Related rows: the N+1 trap, then loading them eagerly",
    python: "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(joinedload(Team.heroes))",
    rust: &[
        anchored(BEYOND, "n_plus_one"),
        anchored(BEYOND, "joined"),
        anchored(BEYOND, "json_agg"),
    ],
};

const SEARCH: Step = Step {
    title: "Filters that are given or not",
    python: "stmt = select(Hero); if min_age is not None: stmt = stmt.where(Hero.age >= min_age)  # ...",
    rust: &[anchored(BEYOND, "search")],
};

const SET_TYPES: Step = Step {
    title: "PostgreSQL's own types: an enum, an array, jsonb and numeric",
    python: "hero.rank = Rank.veteran; hero.powers = [\"karate\", \"science\"]; \
         hero.profile = {\"catchphrase\": \"Hi-yah!\"}; hero.salary = Decimal(\"1234567890.12\"); await session.commit()",
    rust: &[types_rs("set_types")],
};

const QUERY_TYPES: Step = Step {
    title: "Query them: an array element, the enum, a JSON field, decimal order, the uuid",
    python: "select(Hero).where(Hero.powers.contains([\"karate\"])); ...where(Hero.rank == Rank.legend); \
         ...where(Hero.profile[\"catchphrase\"].astext == \"I'm ready!\"); ...order_by(Hero.salary.desc()); \
         ...where(Hero.public_id == public_id)",
    rust: &[
        types_rs("with_power"),
        types_rs("by_rank"),
        types_rs("by_catchphrase"),
        types_rs("by_salary"),
        types_rs("by_public_id"),
    ],
};

const STREAM: Step = Step {
    title: "More rows than fit in memory: a stream",
    python: "async for hero in await session.stream_scalars(select(Hero)): ...",
    rust: &[anchored(BEYOND, "stream")],
};
