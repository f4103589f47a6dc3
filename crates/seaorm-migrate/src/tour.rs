//! The tour: the seed's `src/migrate_db.py` (migrations first, then the data)
//! in the study's order, each step printed beside the Alembic or SQLAlchemy
//! line it mirrors (the steps are at the end of this file; what each prints
//! is this crate's own anchored source).

use futures_util::TryStreamExt as _;
use heroes_model::entity::{hero, team};
use heroes_model::{Hero, HeroRank, HeroSearch, NewHero, Order, SortKey, TypedHero, seed};
use migration::{Migrator, MigratorTrait as _};
use sea_orm::TransactionTrait as _;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use support::narrate::{Step, applied, hero, hero_with_team, outcome, seed_hero, seeded, show};
use support::narrate::{team_with_heroes, title, typed_hero};
use support::snippet::{Snippet, anchored};

use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, create_all, db, drift, migrate, queries, types};

/// Runs every step on `pool` (migrating on `migration_pool`). Safe to run
/// again: it replaces what an earlier run wrote.
pub async fn run(
    pool: &DatabaseConnection,
    migration_pool: &DatabaseConnection,
    database: &str,
) -> Result<()> {
    title("seaorm-migrate", SECTION, database);
    show(1, &POOL); // the engine: main.rs built it with db::pool
    outcome(pool_ready(pool));

    show(2, &UP);
    let pending = pending(&migrate::status(migration_pool).await?);
    // ANCHOR: migrate
    Migrator::up(migration_pool, None).await?;
    // ANCHOR_END: migrate
    applied(&pending);
    history(&migrate::status(migration_pool).await?);

    show(3, &INSERT);
    // ANCHOR: insert
    let txn = pool.begin().await?;
    let removed = remove_seed(&txn, APP_SRC).await?;
    let inserted = add_seed(&txn, APP_SRC).await?;
    txn.commit().await?;
    // ANCHOR_END: insert
    seeded(removed, &inserted);
    let spongebob = seed_hero(&inserted, "spongebob").map_err(Error::Internal)?;

    show(4, &GET);
    if let Some(found) = queries::get(pool, spongebob.id).await? {
        outcome(format!("id {} -> {}", spongebob.id, hero(&found)));
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        queries::get(pool, -1).await?
    ));

    show(5, &BY_NAME);
    if let Some(found) = queries::by_name(pool, "spongebob").await? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        queries::by_name(pool, "nobody").await?
    ));

    show(6, &SECRET_NAME_OF);
    outcome(format!(
        "sandy's secret name -> {:?}",
        queries::secret_name_of(pool, "sandy").await?.flatten()
    ));
    outcome(format!(
        "hero::Entity::find().count(pool) -> {} heroes in the table",
        queries::count(pool).await?
    ));

    show(7, &BY_APP_SRC);
    for found in queries::by_app_src(pool, APP_SRC).await? {
        outcome(hero(&found));
    }

    show(8, &WITH_TEAMS);
    for (found, team) in queries::with_teams(pool, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    show(9, &BIRTHDAY);
    if let Some(older) = queries::birthday(pool, "spongebob").await? {
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
        queries::delete_by_name(pool, "barnacle boy").await?
    ));

    show(11, &FAILING_BATCH);
    // ANCHOR: failing_batch
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC), // already there: the batch fails whole
    ];
    let failed: Result<()> = async {
        let txn = pool.begin().await?;
        queries::add_all(&txn, &batch).await?; // Err: `?` returns, txn is dropped: ROLLBACK
        txn.commit().await?;
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
        queries::by_name(pool, "mr. krabs").await?.map(|h| h.name)
    ));

    show(12, &CHECK);
    let differences = drift::check(pool).await?;
    if differences.is_empty() {
        outcome("no drift: the entities and the migrated tables agree");
    }
    for difference in &differences {
        outcome(format!("drift: {difference}"));
    }

    let scratch = format!("{database}_create_all");
    show(13, &STATEMENTS);
    let devdb = devdb::DevDb::from_env()?;
    devdb.drop_database(&scratch)?;
    let scratch_db = db::pool(&devdb.database_url(&scratch)?, &db::Settings::default()).await?;
    for statement in create_all::create_all(&scratch_db).await? {
        outcome(statement);
    }
    let scratch_drift = drift::check(&scratch_db).await?;
    outcome(format!(
        "database `{scratch}`: {} difference(s) from the entities, and no migration history",
        scratch_drift.len()
    ));
    scratch_db.close().await?;
    devdb.drop_database(&scratch)?;

    show(14, &N_PLUS_ONE);
    let (one_by_one, statements) = beyond::teams_one_by_one(pool).await?;
    let eager = beyond::teams_with_heroes(pool).await?;
    let other = beyond::teams_joined(pool).await?;
    outcome(format!(
        "{} teams: {statements} statements one by one, 2 (the loader) eagerly; \
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
    for found in beyond::search(pool, &grown_ups).await? {
        outcome(format!("min_age=18, order_by=-age -> {}", hero(&found)));
    }

    show(16, &STREAM);
    let everyone = HeroSearch {
        app_src: Some(APP_SRC.to_owned()),
        ..HeroSearch::default()
    };
    let streamed = beyond::stream(pool, &everyone)
        .await?
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

    show(17, &SET_TYPES);
    let mut sandy_public_id = None;
    for (name, columns) in seed::hero_types() {
        if let Some(typed) = types::set_types(pool, name, &columns).await? {
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
        names(types::with_power(pool, "karate").await?)
    ));
    outcome(format!(
        "rank legend -> {:?}",
        names(types::by_rank(pool, HeroRank::Legend).await?)
    ));
    outcome(format!(
        "catchphrase \"I'm ready!\" -> {:?}",
        names(types::by_catchphrase(pool, "I'm ready!").await?)
    ));
    for paid in types::by_salary(pool).await? {
        outcome(format!(
            "by salary -> {} {}",
            paid.name,
            paid.salary.unwrap_or_default()
        ));
    }
    if let Some(public_id) = sandy_public_id {
        let found = types::by_public_id(pool, public_id).await?;
        outcome(format!("sandy's public_id -> {:?}", found.map(|h| h.name)));
    }

    println!(
        "\nseaorm-migrate: done; {} heroes from this tour are in the database.",
        queries::by_app_src(pool, APP_SRC).await?.len()
    );
    Ok(())
}

/// Inserts the seed cast (teams first, then heroes pointing at them), stamped
/// with `app_src`. Returns the heroes in seed order.
pub async fn add_seed(db: &impl ConnectionTrait, app_src: &str) -> Result<Vec<Hero>> {
    let teams = queries::add_teams(db, &seed::new_teams()).await?;
    let team_id = |name: &str| teams.iter().find(|t| t.name == name).map(|t| t.id);
    queries::add_all(db, &seed::new_heroes(app_src, team_id)).await
}

/// Removes what an earlier tour wrote (its heroes and the seed teams), so
/// the tour can run any number of times and end in the same state.
pub async fn remove_seed(db: &impl ConnectionTrait, app_src: &str) -> Result<u64> {
    let removed = hero::Entity::delete_many()
        .filter(hero::Column::AppSrc.eq(app_src))
        .exec(db)
        .await?
        .rows_affected;
    team::Entity::delete_many()
        .filter(team::Column::Name.is_in(seed::TEAMS.iter().map(|t| t.name)))
        .exec(db)
        .await?;
    Ok(removed)
}

/// What the engine was built with.
fn pool_ready(pool: &DatabaseConnection) -> String {
    let options = pool.get_postgres_connection_pool().options();
    format!(
        "connected: a pool of up to {} connections, callers wait at most {} s for one",
        options.get_max_connections(),
        options.get_acquire_timeout().as_secs()
    )
}

/// The names of the revisions not applied yet: what `up` is about to apply.
fn pending(revisions: &[migrate::Revision]) -> Vec<String> {
    let pending = revisions.iter().filter(|r| !r.applied);
    pending.map(|r| r.name.clone()).collect()
}

/// Prints `alembic history`: each revision, applied or pending.
fn history(revisions: &[migrate::Revision]) {
    for revision in revisions {
        let state = if revision.applied {
            "applied"
        } else {
            "pending"
        };
        outcome(format!("history: {state} {}", revision.name));
    }
}

// The steps as the tour prints them: heading, the study's Python, the Rust.

/// The part of the study this tour follows.
const SECTION: &str = "\"Utilização do Async Alembic\" section (src/migrate_db.py)";

const CREATE_ALL: &str = include_str!("create_all.rs");
const DB: &str = include_str!("db.rs");
const DRIFT: &str = include_str!("drift.rs");
const MIGRATIONS: &str = include_str!("../migration/src/lib.rs");
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
    title: "The engine (built in main.rs)",
    python: "engine = create_async_engine(MIGRATE_DB)",
    rust: &[anchored(DB, "pool")],
};

const UP: Step = Step {
    title: "Migrate to head, then look at the history",
    python: "alembic upgrade head; alembic history",
    rust: &[anchored(MIGRATIONS, "migrator"), anchored(TOUR, "migrate")],
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
    title: "Join hero -> team, through the entity relation",
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

const CHECK: Step = Step {
    title: "Did the entities drift from the migrated tables?",
    python: "alembic check  # or: alembic revision --autogenerate shows an empty diff",
    rust: &[anchored(DRIFT, "check")],
};

const STATEMENTS: Step = Step {
    title: "create_all beside migrations, in a scratch database",
    python: "Base.metadata.create_all(engine)",
    rust: &[anchored(CREATE_ALL, "statements")],
};

const N_PLUS_ONE: Step = Step {
    title: "Related rows: the N+1 trap, then loading them eagerly",
    python: "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(selectinload(Team.heroes))",
    rust: &[
        anchored(BEYOND, "n_plus_one"),
        anchored(BEYOND, "loader"),
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
