//! PostgreSQL's own types (revision 3) in Diesel's query builder, awaited on
//! diesel-async: the
//! `hero_rank` enum, the `text[]` of powers, the `jsonb` profile, the `uuid`
//! public id and the `numeric` salary. The Rust types and their Diesel
//! mapping are in heroes-model (`types.rs`, and `schema.rs` for the columns);
//! here they are queried like any other column,
//! exactly as in sync-diesel.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use heroes_model::schema::heroes;
use heroes_model::{HeroRank, HeroTypes, TypedHero};
use uuid::Uuid;

use crate::error::Result;

// ANCHOR: set_types
/// `hero.rank = ...; hero.powers = [...]; ...; await session.commit()`: one
/// `UPDATE ... RETURNING`; `None` when there is no such hero.
pub async fn set_types(
    conn: &mut AsyncPgConnection,
    name: &str,
    types: &HeroTypes,
) -> Result<Option<TypedHero>> {
    Ok(diesel::update(heroes::table.filter(heroes::name.eq(name)))
        .set(types)
        .returning(TypedHero::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}
// ANCHOR_END: set_types

// ANCHOR: with_power
/// `select(Hero).where(Hero.powers.contains([power]))`: `powers @> $1`.
pub async fn with_power(conn: &mut AsyncPgConnection, power: &str) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::powers.contains(vec![power]))
        .order(heroes::id)
        .select(TypedHero::as_select())
        .load(conn)
        .await?)
}
// ANCHOR_END: with_power

// ANCHOR: by_rank
/// `select(Hero).where(Hero.rank == Rank.legend)`: the enum is a value like
/// any other, bound as its label.
pub async fn by_rank(conn: &mut AsyncPgConnection, rank: HeroRank) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::rank.eq(rank))
        .order(heroes::id)
        .select(TypedHero::as_select())
        .load(conn)
        .await?)
}
// ANCHOR_END: by_rank

// ANCHOR: by_catchphrase
/// `select(Hero).where(Hero.profile["catchphrase"].astext == phrase)`:
/// `profile ->> 'catchphrase' = $1`.
pub async fn by_catchphrase(conn: &mut AsyncPgConnection, phrase: &str) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::profile.retrieve_as_text("catchphrase").eq(phrase))
        .order(heroes::id)
        .select(TypedHero::as_select())
        .load(conn)
        .await?)
}
// ANCHOR_END: by_catchphrase

// ANCHOR: by_salary
/// `select(Hero).where(Hero.salary.is_not(None)).order_by(Hero.salary.desc())`:
/// the best paid first, compared as exact decimals.
pub async fn by_salary(conn: &mut AsyncPgConnection) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::salary.is_not_null())
        .order((heroes::salary.desc(), heroes::id))
        .select(TypedHero::as_select())
        .load(conn)
        .await?)
}
// ANCHOR_END: by_salary

// ANCHOR: by_public_id
/// `select(Hero).where(Hero.public_id == public_id)`: the id a URL shows.
pub async fn by_public_id(
    conn: &mut AsyncPgConnection,
    public_id: Uuid,
) -> Result<Option<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::public_id.eq(public_id))
        .select(TypedHero::as_select())
        .first(conn)
        .await
        .optional()?)
}
// ANCHOR_END: by_public_id
