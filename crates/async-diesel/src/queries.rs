//! The study's queries in Diesel's query builder, run on diesel-async's
//! `AsyncPgConnection` (tokio-postgres underneath, what asyncpg is to
//! SQLAlchemy).
//!
//! The query values are built exactly as in sync Diesel, from the same
//! `table!` schema, and checked by the compiler the same way; only running
//! them differs: diesel-async's `RunQueryDsl` makes `.first(conn)`,
//! `.load(conn)` and `.execute(conn)` futures, so each ends in `.await`. Each
//! function takes a `&mut AsyncPgConnection`, so the caller decides the
//! transaction: inside `conn.transaction(..)` several form one unit of work.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, NewHero, NewTeam, Team};

use crate::error::Result;

// ANCHOR: get
/// `hero = await db.get(HeroModel, hero_id)`: `None` when there is no such row.
pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Hero>> {
    let hero = heroes::table
        .find(id)
        .select(Hero::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(hero)
}
// ANCHOR_END: get

// ANCHOR: by_name
/// `(await db.execute(select(HeroModel).where(HeroModel.name == name))).scalar_one_or_none()`.
pub async fn by_name(conn: &mut AsyncPgConnection, name: &str) -> Result<Option<Hero>> {
    let hero = heroes::table
        .filter(heroes::name.eq(name))
        .select(Hero::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(hero)
}
// ANCHOR_END: by_name

// ANCHOR: secret_name_of
/// `await db.scalar(select(HeroModel.secret_name).where(...))`: the outer
/// `Option` is "no such hero", the inner one a NULL column.
pub async fn secret_name_of(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> Result<Option<Option<String>>> {
    let secret = heroes::table
        .filter(heroes::name.eq(name))
        .select(heroes::secret_name)
        .first(conn)
        .await
        .optional()?;
    Ok(secret)
}
// ANCHOR_END: secret_name_of

// ANCHOR: count
/// `await db.scalar(select(func.count()).select_from(HeroModel))`.
pub async fn count(conn: &mut AsyncPgConnection) -> Result<i64> {
    Ok(heroes::table.count().get_result(conn).await?)
}
// ANCHOR_END: count

// ANCHOR: by_app_src
/// `(await db.execute(select(HeroModel).where(HeroModel.app_src == app_src))).scalars().all()`,
/// in id order.
pub async fn by_app_src(conn: &mut AsyncPgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let found = heroes::table
        .filter(heroes::app_src.eq(app_src))
        .order(heroes::id)
        .select(Hero::as_select())
        .load(conn)
        .await?;
    Ok(found)
}
// ANCHOR_END: by_app_src

// ANCHOR: with_teams
/// `select(HeroModel, Team).join(Team, isouter=True)`: every hero of
/// `app_src` with its team, or `None` (a LEFT JOIN).
pub async fn with_teams(
    conn: &mut AsyncPgConnection,
    app_src: &str,
) -> Result<Vec<(Hero, Option<Team>)>> {
    let rows = heroes::table
        .left_join(teams::table)
        .filter(heroes::app_src.eq(app_src))
        .order(heroes::id)
        .select((Hero::as_select(), Option::<Team>::as_select()))
        .load(conn)
        .await?;
    Ok(rows)
}
// ANCHOR_END: with_teams

// ANCHOR: add_all
/// `session.add_all([...]); await session.commit()`: one multi-row
/// `INSERT ... RETURNING`. Inside a session, a failing row rolls back them all.
pub async fn add_all(conn: &mut AsyncPgConnection, rows: &[NewHero]) -> Result<Vec<Hero>> {
    let saved = diesel::insert_into(heroes::table)
        .values(rows)
        .returning(Hero::as_returning())
        .get_results(conn)
        .await?;
    Ok(saved)
}
// ANCHOR_END: add_all

// ANCHOR: birthday
/// `hero.age += 1; await session.commit()`, as one `UPDATE ... RETURNING`.
pub async fn birthday(conn: &mut AsyncPgConnection, name: &str) -> Result<Option<Hero>> {
    let older = diesel::update(heroes::table.filter(heroes::name.eq(name)))
        .set(heroes::age.eq(heroes::age + 1))
        .returning(Hero::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    Ok(older)
}
// ANCHOR_END: birthday

// ANCHOR: delete_by_name
/// `await session.delete(hero); await session.commit()`: rows removed (0 or 1).
pub async fn delete_by_name(conn: &mut AsyncPgConnection, name: &str) -> Result<usize> {
    Ok(diesel::delete(heroes::table.filter(heroes::name.eq(name)))
        .execute(conn)
        .await?)
}
// ANCHOR_END: delete_by_name

// What the API needs beyond the study: teams, deleting by id. (Its queries
// that read or write a hero with every column are in `api`.)

/// Inserts teams, returning them with their ids.
pub async fn add_teams(conn: &mut AsyncPgConnection, rows: &[NewTeam]) -> Result<Vec<Team>> {
    Ok(diesel::insert_into(teams::table)
        .values(rows)
        .returning(Team::as_returning())
        .get_results(conn)
        .await?)
}

/// `await session.delete(hero)` by primary key: whether there was such a hero.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> Result<bool> {
    let deleted = diesel::delete(heroes::table.find(id)).execute(conn).await?;
    Ok(deleted == 1)
}

/// Every team, in id order.
pub async fn teams(conn: &mut AsyncPgConnection) -> Result<Vec<Team>> {
    Ok(teams::table.order(teams::id).load(conn).await?)
}

/// One team by primary key.
pub async fn team(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Team>> {
    Ok(teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)
        .await
        .optional()?)
}
