//! The study's queries through SeaORM's entity API.
//!
//! Each function is generic over `ConnectionTrait`, so it runs on the
//! `DatabaseConnection` (a pooled connection per statement) or inside a
//! `DatabaseTransaction` from `db.begin()`, as the caller chooses.
//! The entities (`hero`, `team`) live in heroes-model's `entity` module.

use heroes_model::entity::{hero, team};
use heroes_model::{Hero, NewHero, NewTeam, Team};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::error::Result;

// ANCHOR: get
/// `await db.get(HeroModel, hero_id)`: `Entity::find_by_id(id).one(db)`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<Hero>> {
    Ok(hero::Entity::find_by_id(id).one(db).await?.map(Hero::from))
}
// ANCHOR_END: get

// ANCHOR: by_name
/// `select(HeroModel).where(HeroModel.name == name)` + `scalar_one_or_none()`.
pub async fn by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<Hero>> {
    Ok(hero::Entity::find()
        .filter(hero::Column::Name.eq(name))
        .one(db)
        .await?
        .map(Hero::from))
}
// ANCHOR_END: by_name

// ANCHOR: secret_name_of
/// `await db.scalar(select(HeroModel.secret_name).where(...))`: one column,
/// via `select_only().column(..).into_tuple()`. The outer `Option` is "no such
/// hero", the inner one a NULL column.
pub async fn secret_name_of(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<Option<String>>> {
    Ok(hero::Entity::find()
        .select_only()
        .column(hero::Column::SecretName)
        .filter(hero::Column::Name.eq(name))
        .into_tuple::<Option<String>>()
        .one(db)
        .await?)
}
// ANCHOR_END: secret_name_of

// ANCHOR: count
/// `select(func.count()).select_from(HeroModel)`: `PaginatorTrait::count`.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(hero::Entity::find().count(db).await?)
}
// ANCHOR_END: count

// ANCHOR: by_app_src
/// `select(HeroModel).where(HeroModel.app_src == app_src)` + `scalars().all()`.
pub async fn by_app_src(db: &impl ConnectionTrait, app_src: &str) -> Result<Vec<Hero>> {
    Ok(hero::Entity::find()
        .filter(hero::Column::AppSrc.eq(app_src))
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Hero::from)
        .collect())
}
// ANCHOR_END: by_app_src

// ANCHOR: with_teams
/// The join, through the entity relation: `find_also_related(team::Entity)`
/// is a LEFT JOIN; teamless heroes come with `None`.
pub async fn with_teams(
    db: &impl ConnectionTrait,
    app_src: &str,
) -> Result<Vec<(Hero, Option<Team>)>> {
    Ok(hero::Entity::find()
        .find_also_related(team::Entity)
        .filter(hero::Column::AppSrc.eq(app_src))
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|(h, t)| (Hero::from(h), t.map(Team::from)))
        .collect())
}
// ANCHOR_END: with_teams

// ANCHOR: add_all
/// A new hero as SeaORM's `ActiveModel`: the columns to set, `id` and
/// `created_at` left to the database.
pub fn active_hero(row: &NewHero) -> hero::ActiveModel {
    hero::ActiveModel {
        name: ActiveValue::Set(row.name.clone()),
        secret_name: ActiveValue::Set(row.secret_name.clone()),
        age: ActiveValue::Set(row.age),
        app_src: ActiveValue::Set(row.app_src.clone()),
        team_id: ActiveValue::Set(row.team_id),
        // id and created_at come from the database.
        ..Default::default()
    }
}

/// `session.add_all([...])`: `Entity::insert_many` sends one multi-row
/// `INSERT ... RETURNING`. Call it inside a transaction: a failing row (a
/// duplicate name) then leaves none of them.
pub async fn add_all(db: &impl ConnectionTrait, rows: &[NewHero]) -> Result<Vec<Hero>> {
    let saved = hero::Entity::insert_many(rows.iter().map(active_hero))
        .exec_with_returning(db)
        .await?;
    Ok(saved.into_iter().map(Hero::from).collect())
}
// ANCHOR_END: add_all

// ANCHOR: birthday
/// `hero.age += 1; await session.commit()`, in SQL: `update_many` with a
/// column expression, `RETURNING` the changed row.
pub async fn birthday(db: &impl ConnectionTrait, name: &str) -> Result<Option<Hero>> {
    let changed = hero::Entity::update_many()
        .col_expr(hero::Column::Age, Expr::col(hero::Column::Age).add(1))
        .filter(hero::Column::Name.eq(name))
        .exec_with_returning(db)
        .await?;
    Ok(changed.into_iter().next().map(Hero::from))
}
// ANCHOR_END: birthday

// ANCHOR: delete_by_name
/// `await session.delete(hero)`: `delete_many().filter(..)`; rows removed.
pub async fn delete_by_name(db: &impl ConnectionTrait, name: &str) -> Result<u64> {
    Ok(hero::Entity::delete_many()
        .filter(hero::Column::Name.eq(name))
        .exec(db)
        .await?
        .rows_affected)
}
// ANCHOR_END: delete_by_name

// What the API needs beyond the study: teams, deleting by id. (Its queries
// that read or write a hero with every column are in `api`.)

/// Inserts teams, returning them with their ids.
pub async fn add_teams(db: &impl ConnectionTrait, rows: &[NewTeam]) -> Result<Vec<Team>> {
    let saved = team::Entity::insert_many(rows.iter().map(|t| team::ActiveModel {
        name: ActiveValue::Set(t.name.clone()),
        headquarters: ActiveValue::Set(t.headquarters.clone()),
        ..Default::default()
    }))
    .exec_with_returning(db)
    .await?;
    Ok(saved.into_iter().map(Team::from).collect())
}

/// `session.delete(hero)` by primary key: whether there was such a hero.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool> {
    let result = hero::Entity::delete_by_id(id).exec(db).await?;
    Ok(result.rows_affected == 1)
}

/// Every team, in id order.
pub async fn teams(db: &impl ConnectionTrait) -> Result<Vec<Team>> {
    let rows = team::Entity::find()
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Team::from).collect())
}

/// One team by primary key.
pub async fn team(db: &impl ConnectionTrait, id: i64) -> Result<Option<Team>> {
    Ok(team::Entity::find_by_id(id).one(db).await?.map(Team::from))
}
