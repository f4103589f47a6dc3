//! The tour: the seed's `src/migrate_db.py` (migrations first, then the data),
//! each step printed beside the Alembic or SQLAlchemy line it mirrors. The
//! Rust each step prints is cut out of this crate's own source by its anchors
//! ([`support::snippet`]): the code that runs.

use futures_util::TryStreamExt as _;
use heroes_model::entity::{hero, team};
use heroes_model::{Hero, HeroSearch, NewHero, Order, SortKey, seed};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use support::narrate::{hero, hero_with_team, outcome, step, team_with_heroes, title};
use support::snippet::{Snippet, anchored};

use crate::error::{Error, Result};
use crate::{APP_SRC, beyond, create_all, db, drift, migrate, queries};

const CREATE_ALL: &str = include_str!("create_all.rs");
const DB: &str = include_str!("db.rs");
const DRIFT: &str = include_str!("drift.rs");
const MIGRATE: &str = include_str!("migrate.rs");
const BEYOND: &str = include_str!("beyond.rs");
const QUERIES: &str = include_str!("queries.rs");
const TOUR: &str = include_str!("tour.rs");

/// `name`'s lines in `queries.rs`.
const fn query(name: &'static str) -> Snippet {
    anchored(QUERIES, name)
}

/// Runs every step on `pool`, the engine `main.rs` built for `database`
/// (migrating on `migration_pool`). Safe to run any number of times: it
/// first removes what an earlier run wrote, and ends in the same state.
pub async fn run(
    pool: &DatabaseConnection,
    migration_pool: &DatabaseConnection,
    database: &str,
) -> Result<()> {
    title(
        "seaorm-migrate",
        "\"Utilização do Async Alembic\" section (src/migrate_db.py)",
        database,
    );
    step(
        1,
        "The engine (built in main.rs)",
        "engine = create_async_engine(MIGRATE_DB)",
        &[const { anchored(DB, "pool") }],
    );
    let sqlx_pool = pool.get_postgres_connection_pool().options();
    outcome(format!(
        "connected: a pool of up to {} connections, callers wait at most {} s for one",
        sqlx_pool.get_max_connections(),
        sqlx_pool.get_acquire_timeout().as_secs()
    ));

    step(
        2,
        "Migrate to head, then look at the history",
        "alembic upgrade head; alembic history",
        &[const { anchored(MIGRATE, "up") }],
    );
    let applied = migrate::up(migration_pool, None).await?;
    if applied.is_empty() {
        outcome("already at head: nothing to apply");
    }
    for name in applied {
        outcome(format!("applied {name}"));
    }
    for revision in migrate::status(migration_pool).await? {
        let state = if revision.applied {
            "applied"
        } else {
            "pending"
        };
        outcome(format!("history: {state} {}", revision.name));
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
    let txn = db::session(pool).await?;
    let removed = remove_seed(&txn, APP_SRC).await?;
    let inserted = add_seed(&txn, APP_SRC).await?;
    txn.commit().await?;
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

    step(
        4,
        "Get by primary key",
        "hero = await db.get(HeroModel, hero_id)",
        &[const { query("get") }],
    );
    if let Some(found) = queries::get(pool, spongebob.id).await? {
        outcome(format!("id {} -> {}", spongebob.id, hero(&found)));
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        queries::get(pool, -1).await?
    ));

    step(
        5,
        "Select with a WHERE clause, one row or none",
        "(await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\"))).scalar_one_or_none()",
        &[const { query("by_name") }],
    );
    if let Some(found) = queries::by_name(pool, "spongebob").await? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        queries::by_name(pool, "nobody").await?
    ));

    step(
        6,
        "One value: scalar()",
        "await db.scalar(select(HeroModel.secret_name).where(HeroModel.name == \"sandy\"))",
        &[const { query("secret_name_of") }, const { query("count") }],
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        queries::secret_name_of(pool, "sandy").await?.flatten()
    ));
    outcome(format!(
        "hero::Entity::find().count(pool) -> {} heroes in the table",
        queries::count(pool).await?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "(await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\"))).scalars().all()",
        &[const { query("by_app_src") }],
    );
    for found in queries::by_app_src(pool, APP_SRC).await? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team, through the entity relation",
        "await db.execute(select(HeroModel, Team).join(Team, isouter=True))",
        &[const { query("with_teams") }],
    );
    for (found, team) in queries::with_teams(pool, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; await session.commit()",
        &[const { query("birthday") }],
    );
    if let Some(older) = queries::birthday(pool, "spongebob").await? {
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
        queries::delete_by_name(pool, "barnacle boy").await?
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
    let failed: Result<()> = async {
        let txn = db::session(pool).await?;
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

    step(
        12,
        "Did the entities drift from the migrated tables?",
        "alembic check  # or: alembic revision --autogenerate shows an empty diff",
        &[const { anchored(DRIFT, "check") }],
    );
    let differences = drift::check(pool).await?;
    if differences.is_empty() {
        outcome("no drift: the entities and the migrated tables agree");
    }
    for difference in &differences {
        outcome(format!("drift: {difference}"));
    }

    let scratch = format!("{database}_create_all");
    step(
        13,
        "create_all beside migrations, in a scratch database",
        "Base.metadata.create_all(engine)",
        &[const { anchored(CREATE_ALL, "statements") }],
    );
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

    step(
        14,
        "Related rows: the N+1 trap, then loading them eagerly",
        "for team in teams: team.heroes  # lazy: a SELECT per team (MissingGreenlet in async); \
         then select(Team).options(selectinload(Team.heroes))",
        &[
            const { anchored(BEYOND, "n_plus_one") },
            const { anchored(BEYOND, "loader") },
            const { anchored(BEYOND, "joined") },
        ],
    );
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
    for found in beyond::search(pool, &grown_ups).await? {
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
    let streamed = beyond::stream(pool, &everyone)
        .await?
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await?;
    outcome(format!("streamed {streamed} heroes, one row at a time"));

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
