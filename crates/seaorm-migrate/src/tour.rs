//! The tour: the seed's `src/migrate_db.py` (migrations first, then the data),
//! each step printed beside the Alembic or SQLAlchemy line it mirrors.

use heroes_model::{NewHero, seed};
use sea_orm::DatabaseConnection;
use support::narrate::{hero, hero_with_team, outcome, step, title};

use crate::error::{Error, Result};
use crate::{APP_SRC, create_all, drift, engine, heroes, migrate};

/// Runs every step on `db`, the engine `main.rs` built for `database`. Safe
/// to run any number of times: it first removes what an earlier run wrote,
/// and ends in the same state.
pub async fn run(
    db: &DatabaseConnection,
    migrations: &DatabaseConnection,
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
        &format!(
            "let db = Database::connect(ConnectOptions::new(url).max_connections({})).await?;",
            engine::MAX_CONNECTIONS
        ),
    );
    outcome(format!(
        "connected: a pool of up to {} connections",
        engine::MAX_CONNECTIONS
    ));

    step(
        2,
        "Migrate to head, then look at the history",
        "alembic upgrade head; alembic history",
        "Migrator::up(db, None).await?; Migrator::get_migration_with_status(db).await?",
    );
    let applied = migrate::up(migrations, None).await?;
    if applied.is_empty() {
        outcome("already at head: nothing to apply");
    }
    for name in applied {
        outcome(format!("applied {name}"));
    }
    for revision in migrate::status(migrations).await? {
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
        "let txn = engine::begin(&db).await?;  // db.begin(), once more if the connection was closed\n\
         hero::Entity::insert_many(models).exec_with_returning(&txn).await?; txn.commit().await?;",
    );
    let txn = engine::begin(db).await?;
    let removed = heroes::remove_seed(&txn, APP_SRC).await?;
    if removed > 0 {
        outcome(format!("removed {removed} heroes left by an earlier tour"));
    }
    let inserted = heroes::add_seed(&txn, APP_SRC).await?;
    txn.commit().await?;
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
        "hero::Entity::find_by_id(id).one(db).await?",
    );
    if let Some(found) = heroes::get(db, spongebob.id).await? {
        outcome(format!("id {} -> {}", spongebob.id, hero(&found)));
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        heroes::get(db, -1).await?
    ));

    step(
        5,
        "Select with a WHERE clause, one row or none",
        "(await db.execute(select(HeroModel).where(HeroModel.name == \"spongebob\"))).scalar_one_or_none()",
        "hero::Entity::find().filter(hero::Column::Name.eq(\"spongebob\")).one(db).await?",
    );
    if let Some(found) = heroes::by_name(db, "spongebob").await? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        heroes::by_name(db, "nobody").await?
    ));

    step(
        6,
        "One value: scalar()",
        "await db.scalar(select(HeroModel.secret_name).where(HeroModel.name == \"sandy\"))",
        "find().select_only().column(hero::Column::SecretName).filter(..).into_tuple::<Option<String>>().one(db)",
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        heroes::secret_name_of(db, "sandy").await?.flatten()
    ));
    outcome(format!(
        "hero::Entity::find().count(db) -> {} heroes in the table",
        heroes::count(db).await?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "(await db.execute(select(HeroModel).where(HeroModel.app_src == \"async_app\"))).scalars().all()",
        "find().filter(hero::Column::AppSrc.eq(APP_SRC)).order_by_asc(hero::Column::Id).all(db).await?",
    );
    for found in heroes::by_app_src(db, APP_SRC).await? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team, through the entity relation",
        "await db.execute(select(HeroModel, Team).join(Team, isouter=True))",
        "hero::Entity::find().find_also_related(team::Entity).all(db).await?",
    );
    for (found, team) in heroes::with_teams(db, APP_SRC).await? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; await session.commit()",
        "update_many().col_expr(hero::Column::Age, Expr::col(hero::Column::Age).add(1)).filter(..).exec_with_returning(db)",
    );
    if let Some(older) = heroes::birthday(db, "spongebob").await? {
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
        "hero::Entity::delete_many().filter(hero::Column::Name.eq(\"barnacle boy\")).exec(db).await?",
    );
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        heroes::delete_by_name(db, "barnacle boy").await?
    ));

    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); await session.commit()  # IntegrityError",
        "let txn = engine::begin(&db).await?; insert_many(batch).exec_with_returning(&txn).await?  // Err: txn dropped -> ROLLBACK",
    );
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC),
    ];
    let failed: Result<()> = async {
        let txn = engine::begin(db).await?;
        heroes::add_all(&txn, &batch).await?;
        txn.commit().await?;
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
        heroes::by_name(db, "mr. krabs").await?.map(|h| h.name)
    ));

    step(
        12,
        "Did the entities drift from the migrated tables?",
        "alembic check  # or: alembic revision --autogenerate shows an empty diff",
        "drift::check(db)  // entity columns vs information_schema",
    );
    let differences = drift::check(db).await?;
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
        "Schema::new(DbBackend::Postgres).create_table_from_entity(hero::Entity)",
    );
    let devdb = devdb::DevDb::from_env()?;
    devdb.drop_database(&scratch)?;
    let scratch_db = engine::connect(&devdb.database_url(&scratch)?).await?;
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

    println!(
        "\nseaorm-migrate: done; {} heroes from this tour are in the database.",
        heroes::by_app_src(db, APP_SRC).await?.len()
    );
    Ok(())
}
