//! The study's queries in Diesel's query builder, run on a blocking
//! `PgConnection` (what psycopg2 is to SQLAlchemy).
//!
//! A Diesel query is a value built from the `table!` schema
//! (`heroes_model::schema`) and checked by the compiler: a misspelt column, a
//! wrong type or a nullable column read into a non-`Option` field does not
//! build. `.first(conn)`, `.load(conn)` and `.execute(conn)` run it. Each
//! function takes a `&mut PgConnection`, so the caller decides the
//! transaction: inside `conn.transaction(..)` several form one unit of work.

use diesel::prelude::*;
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, NewHero, NewTeam, Team};

use crate::error::Result;

// ANCHOR: get
/// `hero = session.get(Hero, hero_id)`: `None` when there is no such row.
pub fn get(conn: &mut PgConnection, id: i64) -> Result<Option<Hero>> {
    let hero = heroes::table
        .find(id)
        .select(Hero::as_select())
        .first(conn)
        .optional()?;
    Ok(hero)
}
// ANCHOR_END: get

// ANCHOR: by_name
/// `select(Hero).where(Hero.name == name)` + `scalar_one_or_none()`.
/// `name` is UNIQUE, so at most one row can match.
pub fn by_name(conn: &mut PgConnection, name: &str) -> Result<Option<Hero>> {
    let hero = heroes::table
        .filter(heroes::name.eq(name))
        .select(Hero::as_select())
        .first(conn)
        .optional()?;
    Ok(hero)
}
// ANCHOR_END: by_name

// ANCHOR: secret_name_of
/// `session.scalar(select(Hero.secret_name).where(...))`: one column of one
/// row. The outer `Option` is "no such hero", the inner one a NULL column.
pub fn secret_name_of(conn: &mut PgConnection, name: &str) -> Result<Option<Option<String>>> {
    let secret = heroes::table
        .filter(heroes::name.eq(name))
        .select(heroes::secret_name)
        .first(conn)
        .optional()?;
    Ok(secret)
}
// ANCHOR_END: secret_name_of

// ANCHOR: count
/// `session.scalar(select(func.count()).select_from(Hero))`.
pub fn count(conn: &mut PgConnection) -> Result<i64> {
    Ok(heroes::table.count().get_result(conn)?)
}
// ANCHOR_END: count

// ANCHOR: by_app_src
/// `select(Hero).where(Hero.app_src == app_src)` + `scalars().all()`, in id order.
pub fn by_app_src(conn: &mut PgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let found = heroes::table
        .filter(heroes::app_src.eq(app_src))
        .order(heroes::id)
        .select(Hero::as_select())
        .load(conn)?;
    Ok(found)
}
// ANCHOR_END: by_app_src

// ANCHOR: with_teams
/// `select(Hero, Team).join(Team, isouter=True)`: every hero of `app_src`
/// with its team, or `None` for heroes without one (a LEFT JOIN).
pub fn with_teams(conn: &mut PgConnection, app_src: &str) -> Result<Vec<(Hero, Option<Team>)>> {
    let rows = heroes::table
        .left_join(teams::table)
        .filter(heroes::app_src.eq(app_src))
        .order(heroes::id)
        .select((Hero::as_select(), Option::<Team>::as_select()))
        .load(conn)?;
    Ok(rows)
}
// ANCHOR_END: with_teams

// ANCHOR: add_all
/// `session.add_all([...]); session.commit()`: one multi-row
/// `INSERT ... RETURNING`. Call it inside a session: if any row fails (a
/// duplicate name), the session rolls back and none is stored.
pub fn add_all(conn: &mut PgConnection, rows: &[NewHero]) -> Result<Vec<Hero>> {
    let saved = diesel::insert_into(heroes::table)
        .values(rows)
        .returning(Hero::as_returning())
        .get_results(conn)?;
    Ok(saved)
}
// ANCHOR_END: add_all

// ANCHOR: birthday
/// `hero.age += 1; session.commit()`, done in the database with
/// `UPDATE ... SET age = age + 1 ... RETURNING` (no read-modify-write race).
pub fn birthday(conn: &mut PgConnection, name: &str) -> Result<Option<Hero>> {
    let older = diesel::update(heroes::table.filter(heroes::name.eq(name)))
        .set(heroes::age.eq(heroes::age + 1))
        .returning(Hero::as_returning())
        .get_result(conn)
        .optional()?;
    Ok(older)
}
// ANCHOR_END: birthday

// ANCHOR: delete_by_name
/// `session.delete(hero); session.commit()`: how many rows went (0 or 1).
pub fn delete_by_name(conn: &mut PgConnection, name: &str) -> Result<usize> {
    Ok(diesel::delete(heroes::table.filter(heroes::name.eq(name))).execute(conn)?)
}
// ANCHOR_END: delete_by_name

// What the API needs beyond the study: teams, deleting by id. (Its queries
// that read or write a hero with every column are in `api`.)

/// Inserts teams, returning them with their ids.
pub fn add_teams(conn: &mut PgConnection, rows: &[NewTeam]) -> Result<Vec<Team>> {
    Ok(diesel::insert_into(teams::table)
        .values(rows)
        .returning(Team::as_returning())
        .get_results(conn)?)
}

/// `session.delete(hero)` by primary key: whether there was such a hero.
pub fn delete(conn: &mut PgConnection, id: i64) -> Result<bool> {
    Ok(diesel::delete(heroes::table.find(id)).execute(conn)? == 1)
}

/// Every team, in id order.
pub fn teams(conn: &mut PgConnection) -> Result<Vec<Team>> {
    Ok(teams::table.order(teams::id).load(conn)?)
}

/// One team by primary key.
pub fn team(conn: &mut PgConnection, id: i64) -> Result<Option<Team>> {
    Ok(teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)
        .optional()?)
}
