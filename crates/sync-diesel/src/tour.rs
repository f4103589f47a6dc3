//! The tour: the seed's `src/db.py` in the study's order, each step printed
//! beside the SQLAlchemy line it mirrors (the steps are at the end of this
//! file; what each prints is this crate's own anchored source).

use diesel::prelude::*;
use diesel_migrations::MigrationHarness as _;
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, HeroRank, HeroSearch, NewHero, Order, SortKey, seed};
use support::narrate::{Step, applied, hero, hero_with_team, outcome, seed_hero, seeded, show};
use support::narrate::{team_with_heroes, title, typed_hero};
use support::snippet::{Snippet, anchored};

use crate::db::Pool;
use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, migrate, queries, types};

/// Runs every step on `pool` (migrating on `migration_pool`). Safe to run
/// again: it replaces what an earlier run wrote.
pub fn run(pool: &Pool, migration_pool: &Pool, database: &str) -> Result<()> {
    title("sync-diesel", SECTION, database);
    show(1, &POOL); // the engine: main.rs built it with db::pool
    outcome(pool_ready(pool));

    show(2, &EMBED);
    let mut conn = migration_pool.get()?;
    let pending = pending(&migrate::history(&mut conn)?);
    // ANCHOR: migrate
    conn.run_pending_migrations(migrate::MIGRATIONS)
        .map_err(|e| Error::Migration(e.to_string()))?;
    // ANCHOR_END: migrate
    applied(&pending);

    show(3, &INSERT);
    // ANCHOR: insert
    let (removed, inserted) = pool.get()?.transaction::<_, Error, _>(|conn| {
        let removed = remove_seed(conn, APP_SRC)?;
        Ok((removed, add_seed(conn, APP_SRC)?))
    })?;
    // ANCHOR_END: insert
    seeded(removed as u64, &inserted);
    let spongebob = seed_hero(&inserted, "spongebob").map_err(Error::Internal)?;

    let mut conn = pool.get()?;
    show(4, &GET);
    match queries::get(&mut conn, spongebob.id)? {
        Some(found) => outcome(format!("id {} -> {}", spongebob.id, hero(&found))),
        None => outcome(format!("id {} -> None (unexpected)", spongebob.id)),
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        queries::get(&mut conn, -1)?
    ));

    show(5, &BY_NAME);
    if let Some(found) = queries::by_name(&mut conn, "spongebob")? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        queries::by_name(&mut conn, "nobody")?
    ));

    show(6, &SECRET_NAME_OF);
    outcome(format!(
        "sandy's secret name -> {:?}",
        queries::secret_name_of(&mut conn, "sandy")?.flatten()
    ));
    outcome(format!(
        "count -> {} heroes in the table",
        queries::count(&mut conn)?
    ));

    show(7, &BY_APP_SRC);
    for found in queries::by_app_src(&mut conn, APP_SRC)? {
        outcome(hero(&found));
    }

    show(8, &WITH_TEAMS);
    for (found, team) in queries::with_teams(&mut conn, APP_SRC)? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    show(9, &BIRTHDAY);
    if let Some(older) = queries::birthday(&mut conn, "spongebob")? {
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
        queries::delete_by_name(&mut conn, "barnacle boy")?
    ));

    show(11, &FAILING_BATCH);
    // ANCHOR: failing_batch
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC), // already there: the batch fails whole
    ];
    let failed = pool
        .get()?
        .transaction(|conn| queries::add_all(conn, &batch)); // Err: ROLLBACK
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

    show(12, &N_PLUS_ONE);
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

    show(13, &SEARCH);
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

    show(14, &STREAM);
    let everyone = HeroSearch {
        app_src: Some(APP_SRC.to_owned()),
        ..HeroSearch::default()
    };
    let streamed =
        beyond::stream(&mut conn, &everyone)?.try_fold(0, |n, hero| hero.map(|_| n + 1))?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

    show(15, &SET_TYPES);
    let mut sandy_public_id = None;
    for (name, columns) in seed::hero_types() {
        if let Some(typed) = types::set_types(&mut conn, name, &columns)? {
            outcome(typed_hero(&typed));
            if typed.name == "sandy" {
                sandy_public_id = Some(typed.public_id);
            }
        }
    }

    show(16, &QUERY_TYPES);
    let names = |heroes: Vec<heroes_model::TypedHero>| -> Vec<String> {
        heroes.into_iter().map(|h| h.name).collect()
    };
    outcome(format!(
        "with the power \"karate\" -> {:?}",
        names(types::with_power(&mut conn, "karate")?)
    ));
    outcome(format!(
        "rank legend -> {:?}",
        names(types::by_rank(&mut conn, HeroRank::Legend)?)
    ));
    outcome(format!(
        "catchphrase \"I'm ready!\" -> {:?}",
        names(types::by_catchphrase(&mut conn, "I'm ready!")?)
    ));
    for paid in types::by_salary(&mut conn)? {
        outcome(format!(
            "by salary -> {} {}",
            paid.name,
            paid.salary.unwrap_or_default()
        ));
    }
    if let Some(public_id) = sandy_public_id {
        let found = types::by_public_id(&mut conn, public_id)?;
        outcome(format!("sandy's public_id -> {:?}", found.map(|h| h.name)));
    }

    println!(
        "\nsync-diesel: done; {} heroes from this tour are in the database.",
        queries::by_app_src(&mut conn, APP_SRC)?.len()
    );
    Ok(())
}

/// The names of the revisions not applied yet: what is about to be applied.
fn pending(revisions: &[migrate::Revision]) -> Vec<String> {
    let pending = revisions.iter().filter(|r| !r.applied);
    pending.map(|r| r.name.clone()).collect()
}

/// What the pool was built with.
fn pool_ready(pool: &Pool) -> String {
    format!(
        "pool ready: up to {} connections, callers wait at most {} s for one",
        pool.max_size(),
        pool.connection_timeout().as_secs()
    )
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

// The steps as the tour prints them: heading, the study's Python, the Rust.

/// The part of the study this tour follows.
const SECTION: &str = "\"Driver Síncrono - psycopg2\" section (src/db.py)";

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
    python: "engine = create_engine(DB_URL); Session = sessionmaker(engine)",
    rust: &[anchored(DB, "pool")],
};

const EMBED: Step = Step {
    title: "Migrate to head",
    python: "alembic upgrade head",
    rust: &[anchored(MIGRATE, "embed"), anchored(TOUR, "migrate")],
};

const INSERT: Step = Step {
    title: "Insert the seed heroes in one transaction",
    python: "session.add_all([Hero(name=\"spongebob\"), Hero(name=\"sandy\"), ...]); session.commit()",
    rust: &[anchored(TOUR, "insert"), query("add_all")],
};

const GET: Step = Step {
    title: "Get by primary key",
    python: "hero = session.get(Hero, hero_id)",
    rust: &[query("get")],
};

const BY_NAME: Step = Step {
    title: "Select with a WHERE clause, one row or none",
    python: "session.execute(select(Hero).where(Hero.name == \"spongebob\")).scalar_one_or_none()",
    rust: &[query("by_name")],
};

const SECRET_NAME_OF: Step = Step {
    title: "One value: scalar()",
    python: "session.scalar(select(Hero.secret_name).where(Hero.name == \"sandy\"))",
    rust: &[query("secret_name_of"), query("count")],
};

const BY_APP_SRC: Step = Step {
    title: "Many rows: scalars().all()",
    python: "session.execute(select(Hero).where(Hero.app_src == \"sync-diesel\")).scalars().all()",
    rust: &[query("by_app_src")],
};

const WITH_TEAMS: Step = Step {
    title: "Join hero -> team",
    python: "session.execute(select(Hero, Team).join(Team, isouter=True)).all()",
    rust: &[query("with_teams")],
};

const BIRTHDAY: Step = Step {
    title: "Update",
    python: "hero.age += 1; session.commit()",
    rust: &[query("birthday")],
};

const DELETE_BY_NAME: Step = Step {
    title: "Delete",
    python: "session.delete(hero); session.commit()",
    rust: &[query("delete_by_name")],
};

const FAILING_BATCH: Step = Step {
    title: "A failing batch rolls back whole",
    python: "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); session.commit()  # IntegrityError",
    rust: &[anchored(TOUR, "failing_batch")],
};

const N_PLUS_ONE: Step = Step {
    title: "Related rows: the N+1 trap, then loading them eagerly",
    python: "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(selectinload(Team.heroes))",
    rust: &[
        anchored(BEYOND, "n_plus_one"),
        anchored(BEYOND, "grouped"),
        anchored(BEYOND, "joined"),
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
         hero.profile = {\"catchphrase\": \"Hi-yah!\"}; hero.salary = Decimal(\"1234567890.12\"); session.commit()",
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
    python: "for hero in session.scalars(select(Hero).execution_options(yield_per=100)): ...",
    rust: &[anchored(BEYOND, "stream")],
};
