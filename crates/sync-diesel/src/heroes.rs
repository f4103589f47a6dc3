//! Every query idiom of the study, one function each. The read queries are
//! built in [`crate::queries`] (async-diesel runs the very same query values
//! with `.await`); the writes are written here. Each
//! function takes a `&mut PgConnection`, so the caller decides the transaction:
//! inside [`crate::engine::session`] several of them form one unit of work.

use diesel::prelude::*;
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, NewHero, NewTeam, Team, seed};

use crate::error::Result;
use crate::queries;

/// `session.add_all([...]); session.commit()`: inserts `rows` with one
/// multi-row `INSERT ... RETURNING`. Call it inside a session: if any row fails
/// (a duplicate name), the session rolls back and none is stored.
pub fn add_all(conn: &mut PgConnection, rows: &[NewHero]) -> Result<Vec<Hero>> {
    Ok(diesel::insert_into(heroes::table)
        .values(rows)
        .returning(Hero::as_returning())
        .get_results(conn)?)
}

/// Inserts the seed teams, returning them with their ids.
pub fn add_teams(conn: &mut PgConnection, rows: &[NewTeam]) -> Result<Vec<Team>> {
    Ok(diesel::insert_into(teams::table)
        .values(rows)
        .returning(Team::as_returning())
        .get_results(conn)?)
}

/// Inserts the seed cast (teams first, then heroes pointing at them), stamped
/// with `app_src`. Returns the heroes in seed order.
pub fn add_seed(conn: &mut PgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let teams = add_teams(conn, &seed::new_teams())?;
    let team_id = |name: &str| teams.iter().find(|t| t.name == name).map(|t| t.id);
    add_all(conn, &seed::new_heroes(app_src, team_id))
}

/// Removes what an earlier tour wrote (its heroes, and the seed teams), so the
/// tour can run any number of times and end in the same state.
pub fn remove_seed(conn: &mut PgConnection, app_src: &str) -> Result<usize> {
    let heroes_removed =
        diesel::delete(heroes::table.filter(heroes::app_src.eq(app_src))).execute(conn)?;
    let names: Vec<&str> = seed::TEAMS.iter().map(|t| t.name).collect();
    diesel::delete(teams::table.filter(teams::name.eq_any(names))).execute(conn)?;
    Ok(heroes_removed)
}

/// `session.get(Hero, id)`: by primary key; `None` when there is no such row.
pub fn get(conn: &mut PgConnection, id: i64) -> Result<Option<Hero>> {
    Ok(queries::get(id).first(conn).optional()?)
}

/// `select(Hero).where(Hero.name == name)` + `scalar_one_or_none()`.
/// `name` is UNIQUE, so at most one row can match.
pub fn by_name(conn: &mut PgConnection, name: &str) -> Result<Option<Hero>> {
    Ok(queries::by_name(name).first(conn).optional()?)
}

/// `session.scalar(select(Hero.secret_name).where(...))`: one column of one
/// row. The outer `Option` is "no such hero", the inner one a NULL column.
pub fn secret_name_of(conn: &mut PgConnection, name: &str) -> Result<Option<Option<String>>> {
    Ok(queries::secret_name_of(name).first(conn).optional()?)
}

/// `session.scalar(select(func.count()).select_from(Hero))`.
pub fn count(conn: &mut PgConnection) -> Result<i64> {
    Ok(queries::count().get_result(conn)?)
}

/// `select(Hero).where(Hero.app_src == app_src)` + `scalars().all()`,
/// in id order.
pub fn by_app_src(conn: &mut PgConnection, app_src: &str) -> Result<Vec<Hero>> {
    Ok(queries::by_app_src(app_src).load(conn)?)
}

/// `select(Hero, Team).join(Team, isouter=True)`: every hero of `app_src` with
/// its team, or `None` for heroes without one (a LEFT JOIN).
pub fn with_teams(conn: &mut PgConnection, app_src: &str) -> Result<Vec<(Hero, Option<Team>)>> {
    Ok(queries::with_teams(app_src).load(conn)?)
}

/// `hero.age += 1; session.commit()`, done in the database with
/// `UPDATE ... SET age = age + 1 ... RETURNING *` (no read-modify-write race).
pub fn birthday(conn: &mut PgConnection, name: &str) -> Result<Option<Hero>> {
    Ok(diesel::update(heroes::table.filter(heroes::name.eq(name)))
        .set(heroes::age.eq(heroes::age + 1))
        .returning(Hero::as_returning())
        .get_result(conn)
        .optional()?)
}

/// `session.delete(hero); session.commit()`: returns how many rows went (0 or 1).
pub fn delete_by_name(conn: &mut PgConnection, name: &str) -> Result<usize> {
    Ok(diesel::delete(heroes::table.filter(heroes::name.eq(name))).execute(conn)?)
}

/// One page of heroes (all, or only `app_src`'s), in id order.
pub fn page(
    conn: &mut PgConnection,
    app_src: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Hero>> {
    Ok(queries::page(app_src, limit, offset).load(conn)?)
}

/// Sets the columns `changes` names (diesel's `AsChangeset` skips the
/// `None`s); `None` when there is no such hero. `changes` must not be empty.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    changes: &heroes_model::HeroChanges,
) -> Result<Option<Hero>> {
    Ok(diesel::update(heroes::table.find(id))
        .set(changes)
        .returning(Hero::as_returning())
        .get_result(conn)
        .optional()?)
}

/// `session.delete(hero)` by primary key: whether there was such a hero.
pub fn delete(conn: &mut PgConnection, id: i64) -> Result<bool> {
    Ok(diesel::delete(heroes::table.find(id)).execute(conn)? == 1)
}

/// One team by primary key.
pub fn team(conn: &mut PgConnection, id: i64) -> Result<Option<Team>> {
    Ok(queries::team(id).first(conn).optional()?)
}

/// A team's heroes, through the join, in id order.
pub fn of_team(conn: &mut PgConnection, team_id: i64) -> Result<Vec<Hero>> {
    Ok(queries::of_team(team_id).load(conn)?)
}
