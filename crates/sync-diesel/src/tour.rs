//! The tour: the seed's `src/db.py`, step by step, each step printed beside
//! the SQLAlchemy line it mirrors.

use heroes_model::{NewHero, seed};
use support::narrate::{hero, hero_with_team, outcome, step, title};

use crate::engine::{self, PgPool};
use crate::error::{Error, Result};
use crate::{APP_SRC, heroes, migrate};

/// Runs every step on `pool`, the engine `main.rs` built for `database`
/// (migrating on `migrations`, its engine for migrations). Safe to run any
/// number of times: it first removes what an earlier run wrote, and ends in
/// the same state.
pub fn run(pool: &PgPool, migrations: &PgPool, database: &str) -> Result<()> {
    title(
        "sync-diesel",
        "\"Driver Síncrono - psycopg2\" section (src/db.py)",
        database,
    );
    step(
        1,
        "The engine: a pool of connections (built in main.rs)",
        "engine = create_engine(DB_URL); Session = sessionmaker(engine)",
        &format!(
            "let pool: PgPool = Pool::builder().max_size({}).build(Manager {{ inner: ConnectionManager::new(url), .. }})?;  // src/engine.rs",
            pool.max_size()
        ),
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
        "under pg_advisory_lock: conn.run_pending_migrations(MIGRATIONS)  // migrations/ embedded",
    );
    let applied = migrate::up(&mut migrations.get()?)?;
    let mut conn = pool.get()?;
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
        "session(&pool, |conn| insert_into(heroes).values(&new_heroes).get_results(conn))",
    );
    let inserted = engine::session(pool, |conn| {
        let removed = heroes::remove_seed(conn, APP_SRC)?;
        if removed > 0 {
            outcome(format!("removed {removed} heroes left by an earlier tour"));
        }
        heroes::add_seed(conn, APP_SRC)
    })?;
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
        "hero = session.get(Hero, hero_id)",
        "heroes.find(id).select(Hero::as_select()).first(conn).optional()?",
    );
    match heroes::get(&mut conn, spongebob.id)? {
        Some(found) => outcome(format!("id {} -> {}", spongebob.id, hero(&found))),
        None => outcome(format!("id {} -> None (unexpected)", spongebob.id)),
    }
    outcome(format!(
        "id -1 -> {:?} (no such row is None, not an error)",
        heroes::get(&mut conn, -1)?
    ));

    step(
        5,
        "Select with a WHERE clause, one row or none",
        "session.execute(select(Hero).where(Hero.name == \"spongebob\")).scalar_one_or_none()",
        "heroes.filter(name.eq(\"spongebob\")).select(Hero::as_select()).first(conn).optional()?",
    );
    if let Some(found) = heroes::by_name(&mut conn, "spongebob")? {
        outcome(format!("\"spongebob\" -> {}", hero(&found)));
    }
    outcome(format!(
        "\"nobody\" -> {:?}",
        heroes::by_name(&mut conn, "nobody")?
    ));

    step(
        6,
        "One value: scalar()",
        "session.scalar(select(Hero.secret_name).where(Hero.name == \"sandy\"))",
        "heroes.filter(name.eq(\"sandy\")).select(secret_name).first::<Option<String>>(conn).optional()?",
    );
    outcome(format!(
        "sandy's secret name -> {:?}",
        heroes::secret_name_of(&mut conn, "sandy")?.flatten()
    ));
    outcome(format!(
        "select count(*) -> {} heroes in the table",
        heroes::count(&mut conn)?
    ));

    step(
        7,
        "Many rows: scalars().all()",
        "session.execute(select(Hero).where(Hero.app_src == \"sync-diesel\")).scalars().all()",
        "heroes.filter(app_src.eq(APP_SRC)).order(id).select(Hero::as_select()).load(conn)?",
    );
    for found in heroes::by_app_src(&mut conn, APP_SRC)? {
        outcome(hero(&found));
    }

    step(
        8,
        "Join hero -> team",
        "session.execute(select(Hero, Team).join(Team, isouter=True)).all()",
        "heroes.left_join(teams).select((Hero::as_select(), Option::<Team>::as_select())).load(conn)?",
    );
    for (found, team) in heroes::with_teams(&mut conn, APP_SRC)? {
        outcome(hero_with_team(&found, team.as_ref()));
    }

    step(
        9,
        "Update",
        "hero.age += 1; session.commit()",
        "update(heroes.filter(name.eq(\"spongebob\"))).set(age.eq(age + 1)).returning(Hero::as_returning()).get_result(conn)?",
    );
    if let Some(older) = heroes::birthday(&mut conn, "spongebob")? {
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
        "delete(heroes.filter(name.eq(\"barnacle boy\"))).execute(conn)?",
    );
    outcome(format!(
        "deleted {} row(s) named \"barnacle boy\"",
        heroes::delete_by_name(&mut conn, "barnacle boy")?
    ));

    step(
        11,
        "A failing batch rolls back whole",
        "session.add_all([Hero(name=\"mr. krabs\"), Hero(name=\"sandy\")]); session.commit()  # IntegrityError",
        "session(&pool, |conn| add_all(conn, &batch))  // Err(AlreadyExists) -> ROLLBACK",
    );
    let batch = [
        NewHero::named("mr. krabs", APP_SRC),
        NewHero::named("sandy", APP_SRC),
    ];
    match engine::session(pool, |conn| heroes::add_all(conn, &batch)) {
        Err(err @ Error::AlreadyExists { .. }) => outcome(format!("error: {err}")),
        Err(other) => return Err(other),
        Ok(_) => outcome("unexpected: the batch was accepted"),
    }
    outcome(format!(
        "\"mr. krabs\" after the rollback -> {:?}",
        heroes::by_name(&mut conn, "mr. krabs")?.map(|h| h.name)
    ));

    println!(
        "\nsync-diesel: done; {} heroes from this tour are in the database.",
        heroes::by_app_src(&mut conn, APP_SRC)?.len()
    );
    Ok(())
}
