//! Every query idiom of the study, one async function each. The read queries
//! are the very same query values sync-diesel runs ([`crate::queries`]);
//! here they are executed with diesel-async's `RunQueryDsl`, so each call ends
//! in `.await`. The writes are written here.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, NewHero, NewTeam, Team, seed};

use crate::error::Result;
use crate::queries;

/// `session.add_all([...]); await session.commit()`: one multi-row
/// `INSERT ... RETURNING`. Inside a session, a failing row rolls back them all.
pub async fn add_all(conn: &mut AsyncPgConnection, rows: &[NewHero]) -> Result<Vec<Hero>> {
    Ok(diesel::insert_into(heroes::table)
        .values(rows)
        .returning(Hero::as_returning())
        .get_results(conn)
        .await?)
}

/// Inserts teams, returning them with their ids.
pub async fn add_teams(conn: &mut AsyncPgConnection, rows: &[NewTeam]) -> Result<Vec<Team>> {
    Ok(diesel::insert_into(teams::table)
        .values(rows)
        .returning(Team::as_returning())
        .get_results(conn)
        .await?)
}

/// Inserts the seed cast (teams first, then heroes pointing at them), stamped
/// with `app_src`. Returns the heroes in seed order.
pub async fn add_seed(conn: &mut AsyncPgConnection, app_src: &str) -> Result<Vec<Hero>> {
    let teams = add_teams(conn, &seed::new_teams()).await?;
    let team_id = |name: &str| teams.iter().find(|t| t.name == name).map(|t| t.id);
    add_all(conn, &seed::new_heroes(app_src, team_id)).await
}

/// Removes what an earlier tour wrote (its heroes and the seed teams).
pub async fn remove_seed(conn: &mut AsyncPgConnection, app_src: &str) -> Result<usize> {
    let removed = diesel::delete(heroes::table.filter(heroes::app_src.eq(app_src)))
        .execute(conn)
        .await?;
    let names: Vec<&str> = seed::TEAMS.iter().map(|t| t.name).collect();
    diesel::delete(teams::table.filter(teams::name.eq_any(names)))
        .execute(conn)
        .await?;
    Ok(removed)
}

/// `await session.get(Hero, id)`: by primary key; `None` when there is no such row.
pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Hero>> {
    Ok(queries::get(id).first(conn).await.optional()?)
}

/// `(await session.execute(select(Hero).where(Hero.name == name))).scalar_one_or_none()`.
pub async fn by_name(conn: &mut AsyncPgConnection, name: &str) -> Result<Option<Hero>> {
    Ok(queries::by_name(name).first(conn).await.optional()?)
}

/// `await session.scalar(select(Hero.secret_name).where(...))`: the outer
/// `Option` is "no such hero", the inner one a NULL column.
pub async fn secret_name_of(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> Result<Option<Option<String>>> {
    Ok(queries::secret_name_of(name).first(conn).await.optional()?)
}

/// `await session.scalar(select(func.count()).select_from(Hero))`.
pub async fn count(conn: &mut AsyncPgConnection) -> Result<i64> {
    Ok(queries::count().get_result(conn).await?)
}

/// `(await session.execute(select(Hero).where(Hero.app_src == app_src))).scalars().all()`.
pub async fn by_app_src(conn: &mut AsyncPgConnection, app_src: &str) -> Result<Vec<Hero>> {
    Ok(queries::by_app_src(app_src).load(conn).await?)
}

/// Every hero of `app_src` with its team, or `None` (a LEFT JOIN).
pub async fn with_teams(
    conn: &mut AsyncPgConnection,
    app_src: &str,
) -> Result<Vec<(Hero, Option<Team>)>> {
    Ok(queries::with_teams(app_src).load(conn).await?)
}

/// `hero.age += 1; await session.commit()`, as one `UPDATE ... RETURNING`.
pub async fn birthday(conn: &mut AsyncPgConnection, name: &str) -> Result<Option<Hero>> {
    Ok(diesel::update(heroes::table.filter(heroes::name.eq(name)))
        .set(heroes::age.eq(heroes::age + 1))
        .returning(Hero::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// `await session.delete(hero); await session.commit()`: rows removed (0 or 1).
pub async fn delete_by_name(conn: &mut AsyncPgConnection, name: &str) -> Result<usize> {
    Ok(diesel::delete(heroes::table.filter(heroes::name.eq(name)))
        .execute(conn)
        .await?)
}

/// One page of heroes (all, or only `app_src`'s), in id order.
pub async fn page(
    conn: &mut AsyncPgConnection,
    app_src: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Hero>> {
    Ok(queries::page(app_src, limit, offset).load(conn).await?)
}

/// Sets the columns `changes` names (diesel's `AsChangeset` skips the
/// `None`s); `None` when there is no such hero. `changes` must not be empty.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: i64,
    changes: &heroes_model::HeroChanges,
) -> Result<Option<Hero>> {
    Ok(diesel::update(heroes::table.find(id))
        .set(changes)
        .returning(Hero::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// `await session.delete(hero)` by primary key: whether there was such a hero.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> Result<bool> {
    let deleted = diesel::delete(heroes::table.find(id)).execute(conn).await?;
    Ok(deleted == 1)
}

/// One team by primary key.
pub async fn team(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Team>> {
    Ok(queries::team(id).first(conn).await.optional()?)
}

/// A team's heroes, through the join, in id order.
pub async fn of_team(conn: &mut AsyncPgConnection, team_id: i64) -> Result<Vec<Hero>> {
    Ok(queries::of_team(team_id).load(conn).await?)
}
