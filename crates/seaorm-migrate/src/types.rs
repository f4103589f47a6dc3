//! PostgreSQL's own types (revision 3) through SeaORM's entity: the
//! `hero_rank` enum (an active enum), the `text[]` of powers, the `jsonb`
//! profile (typed through serde), the `uuid` public id and the `numeric`
//! salary. The entity's fields and the enum's derive are in heroes-model
//! (`entity.rs`, `types.rs`); what SeaORM's column methods do not cover, the
//! array and JSON operators, comes from sea-query's `PgExpr`.

use heroes_model::entity::hero;
use heroes_model::{HeroRank, HeroTypes, TypedHero};
use sea_orm::sea_query::extension::postgres::PgExpr as _;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::Result;

// ANCHOR: set_types
/// `hero.rank = ...; hero.powers = [...]; ...; await session.commit()`:
/// `update_many` with the four columns `Set`, `RETURNING` the row; `None` when
/// there is no such hero.
pub async fn set_types(
    db: &impl ConnectionTrait,
    name: &str,
    types: &HeroTypes,
) -> Result<Option<TypedHero>> {
    let changes = hero::ActiveModel {
        rank: ActiveValue::Set(types.rank),
        powers: ActiveValue::Set(types.powers.clone()),
        profile: ActiveValue::Set(types.profile.clone()),
        salary: ActiveValue::Set(types.salary),
        ..Default::default()
    };
    let mut changed = hero::Entity::update_many()
        .set(changes)
        .filter(hero::Column::Name.eq(name))
        .exec_with_returning(db)
        .await?;
    Ok(changed.pop().map(TypedHero::from))
}
// ANCHOR_END: set_types

// ANCHOR: with_power
/// `select(Hero).where(Hero.powers.contains([power]))`: sea-query's `@>`.
pub async fn with_power(db: &impl ConnectionTrait, power: &str) -> Result<Vec<TypedHero>> {
    let rows = hero::Entity::find()
        .filter(Expr::col(hero::Column::Powers).contains(vec![power.to_owned()]))
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: with_power

// ANCHOR: by_rank
/// `select(Hero).where(Hero.rank == Rank.legend)`: SeaORM casts the bound
/// label to the enum type (`CAST($1 AS hero_rank)`).
pub async fn by_rank(db: &impl ConnectionTrait, rank: HeroRank) -> Result<Vec<TypedHero>> {
    let rows = hero::Entity::find()
        .filter(hero::Column::Rank.eq(rank))
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: by_rank

// ANCHOR: by_catchphrase
/// `select(Hero).where(Hero.profile["catchphrase"].astext == phrase)`:
/// `profile ->> 'catchphrase'`, sea-query's `cast_json_field`.
pub async fn by_catchphrase(db: &impl ConnectionTrait, phrase: &str) -> Result<Vec<TypedHero>> {
    let rows = hero::Entity::find()
        .filter(
            Expr::col(hero::Column::Profile)
                .cast_json_field("catchphrase")
                .eq(phrase),
        )
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: by_catchphrase

// ANCHOR: by_salary
/// `select(Hero).where(Hero.salary.is_not(None)).order_by(Hero.salary.desc())`.
pub async fn by_salary(db: &impl ConnectionTrait) -> Result<Vec<TypedHero>> {
    let rows = hero::Entity::find()
        .filter(hero::Column::Salary.is_not_null())
        .order_by_desc(hero::Column::Salary)
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: by_salary

// ANCHOR: by_public_id
/// `select(Hero).where(Hero.public_id == public_id)`: the id a URL shows.
pub async fn by_public_id(db: &impl ConnectionTrait, public_id: Uuid) -> Result<Option<TypedHero>> {
    let row = hero::Entity::find()
        .filter(hero::Column::PublicId.eq(public_id))
        .one(db)
        .await?;
    Ok(row.map(TypedHero::from))
}
// ANCHOR_END: by_public_id
