//! The tour: the seed's `src/db.py`, step by step, each step printed beside
//! the SQLAlchemy line it mirrors. The Rust each step prints is cut out of
//! this crate's own source by its anchors ([`support::snippet`]): the code
//! that runs.

use diesel::prelude::*;
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, HeroSearch, NewHero, Order, SortKey, seed};
use support::narrate::{hero, hero_with_team, outcome, step, team_with_heroes, title};
use support::snippet::{Snippet, anchored};

use crate::db::{self, Pool};
use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, migrate, queries};

const DB: &str = include_str!("db.rs");
const MIGRATE: &str = include_str!("migrate.rs");
const BEYOND: &str = include_str!("beyond.rs");
const QUERIES: &str = include_str!("queries.rs");
const TOUR: &str = include_str!("tour.rs");
const VERBS: &str = include_str!("../../support/src/diesel/migrate.rs");

/// `name`'s lines in `queries.rs`.
const fn query(name: &'static str) -> Snippet {
    anchored(QUERIES, name)
}

/// Runs every step on `pool`, the pool `main.rs` built for `database`
/// (migrating on `migration_pool`). Safe to run any number of times: it first
/// removes what an earlier run wrote, and ends in the same state.
pub fn run(pool: &Pool, migration_pool: &Pool, database: &str) -> Result<()> {
    title(
        "sync-diesel",
        "\"Driver Síncrono - psycopg2\" section (src/db.py)",
        database,
    );
    step(
        1,
        "The engine: a pool of connections (built in main.rs)",
        "engine = create_engine(DB_URL); Session = sessionmaker(engine)",
        &[const { anchored(DB, "pool") }],
    );
    outcome(format!(
        "pool ready: up to {} connections, callers wait at most {} s for one",
        pool.max_size(),
        pool.connection_timeout().as_secs()
    ));

    step(
        2,
        "Migrate to head",
        "alembic upgrade head",
        &[
            const { anchored(MIGRATE, "embed") },
            const { anchored(MIGRATE, "up") },
            const { anchored(VERBS, "up") },
        ],
    );
    let applied = migrate::up(&mut *migration_pool.get()?)?;
    if applied.is_empty() {
        outcome("already at head: nothing to apply");
    }
    for name in applied {
        outcome(format!("applied {name}"));
    }

    step(
        3,
        "Insert the seed heroes in one transaction",
        "session.add_all([Hero(name=\"spongebob\"), Hero(name=\"sandy\"), ...]); session.commit()",
        &[
            const { anchored(TOUR, "insert") },
            const { anchored(DB, "session") },
            const { query("add_all") },
        ],
    );
    // ANCHOR: insert
    let (removed, inserted) = db::session(pool, |conn| {
        let removed = remove_seed(conn, APP_SRC)?;
        Ok((removed, add_seed(conn, APP_SRC)?))
    })?;
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

    let mut conn = pool.get()?;
    step(
        4,
        "Get by primary key",
        "hero = session.get(Hero, hero_id)",
        &[const { query("get") }],
    );
    match queries::get(&mut conn, spongebob.id)? {
        Some(found) => outcome(format!("id {} -> {}", spongebob.id, hero(&found))),
        None => outcome(format!("id {} -> None (unexpected)", spongebob.id)),
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        queries::get(&mut conn, -1)?
    ));

    step(
        5,
        "Select with a WHERE clause, one row or none",
        "session.execute(select(Hero).where(Hero.name == \"spongebob\")).scalar_one_or_none()",
        &[const { query("by_name") }],
    );
    if let Some(found) = queries::by_name(&mut conn, "spongebob")? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        queries::by_name(&mut conn, "nobody")?
    ));

    step(
        6,
        "One value: scalar()",
        "session.scalar(select(Hero.secret_name).where(Hero.name == \"sandy\"))",
        &[const { query("secret_name_of") }, const { query("count") }],
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        queries::secret_name_of(&mut conn, "sandy")?.flatten()
    ));
    outcome(format!(
        "count -> {} heroes in the table",
        queries::count(&mut conn)?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "session.execute(select(Hero).where(Hero.app_src == \"sync-diesel\")).scalars().all()",
        &[const { query("by_app_src") }],
    );
    for found in queries::by_app_src(&mut conn, APP_SRC)? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team",
        "session.execute(select(Hero, Team).join(Team, isouter=True)).all()",
        &[const { query("with_teams") }],
    );
    for (found, team) in queries::with_teams(&mut conn, APP_SRC)? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; session.commit()",
        &[const { query("birthday") }],
    );
    if let Some(older) = queries::birthday(&mut conn, "spongebob")? {
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
        "session.delete(hero); session.commit()",
        &[const { query("delete_by_name") }],
    );
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        queries::delete_by_name(&mut conn, "barnacle boy")?
    ));

    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); session.commit()  # IntegrityError",
        &[const { anchored(TOUR, "failing_batch") }],
    );
    // ANCHOR: failing_batch
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC), // already there: the batch fails whole
    ];
    let failed = db::session(pool, |conn| queries::add_all(conn, &batch)); // Err: ROLLBACK
    // ANCHOR_END: failing_batch
    match failed {
        Err(err @ Error::AlreadyExists { .. }) => outcome(format!("error: {err}")),
        Err(other) => return Err(other),
        Ok(_) => outcome("unexpected: the batch was accepted"),
    }
    outcome(format!(
        "\"mr. krabs\" after the rollback -> {:?}",
        queries::by_name(&mut conn, "mr. krabs")?.map(|h| h.name)
    ));

    step(
        12,
        "Related rows: the N+1 trap, then loading them eagerly",
        "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(selectinload(Team.heroes))",
        &[
            const { anchored(BEYOND, "n_plus_one") },
            const { anchored(BEYOND, "grouped") },
            const { anchored(BEYOND, "joined") },
        ],
    );
    let (one_by_one, statements) = beyond::teams_one_by_one(&mut conn)?;
    let eager = beyond::teams_with_heroes(&mut conn)?;
    let other = beyond::teams_joined(&mut conn)?;
    outcome(format!(
        "{} teams: {statements} statements one by one, 2 (belonging_to + grouped_by) eagerly; \
         the same teams and heroes every way: {}",
        one_by_one.len(),
        one_by_one == eager && eager == other
    ));
    eager.iter().map(team_with_heroes).for_each(outcome);

    step(
        13,
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
    for found in beyond::search(&mut conn, &grown_ups)? {
        outcome(format!("min_age=18, order_by=-age -> {}", hero(&found)));
    }

    step(
        14,
        "More rows than fit in memory: a stream",
        "for hero in session.scalars(select(Hero).execution_options(yield_per=100)): ...",
        &[const { anchored(BEYOND, "stream") }],
    );
    let everyone = HeroSearch {
        app_src: Some(APP_SRC.to_owned()),
        ..HeroSearch::default()
    };
    let streamed =
        beyond::stream(&mut conn, &everyone)?.try_fold(0, |n, hero| hero.map(|_| n + 1))?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

    println!(
        "\nsync-diesel: done; {} heroes from this tour are in the database.",
        queries::by_app_src(&mut conn, APP_SRC)?.len()
    );
    Ok(())
}

/// Inserts the seed cast (teams first, then heroes pointing at them), stamped
/// with `app_src`. Returns the heroes in seed order.
pub fn add_seed(conn: &mut PgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let teams = queries::add_teams(conn, &seed::new_teams())?;
    let team_id = |name: &str| teams.iter().find(|t| t.name == name).map(|t| t.id);
    queries::add_all(conn, &seed::new_heroes(app_src, team_id))
}

/// Removes what an earlier tour wrote (its heroes, and the seed teams), so the
/// tour can run any number of times and end in the same state.
pub fn remove_seed(conn: &mut PgConnection, app_src: &str) -> Result<usize> {
    let removed =
        diesel::delete(heroes::table.filter(heroes::app_src.eq(app_src))).execute(conn)?;
    let names: Vec<&str> = seed::TEAMS.iter().map(|t| t.name).collect();
    diesel::delete(teams::table.filter(teams::name.eq_any(names))).execute(conn)?;
    Ok(removed)
}
