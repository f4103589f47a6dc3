//! PostgreSQL's own types (revision 3) in Diesel's query builder: the
//! `hero_rank` enum, the `text[]` of powers, the `jsonb` profile, the `uuid`
//! public id and the `numeric` salary. The Rust types and their Diesel
//! mapping are in heroes-model (`types.rs`, and `schema.rs` for the columns);
//! here they are queried like any other column.

use diesel::prelude::*;
use heroes_model::schema::heroes;
use heroes_model::{HeroRank, HeroTypes, TypedHero};
use uuid::Uuid;

use crate::error::Result;

// ANCHOR: set_types
/// `hero.rank = ...; hero.powers = [...]; ...; session.commit()`: one
/// `UPDATE ... RETURNING`; `None` when there is no such hero.
pub fn set_types(
    conn: &mut PgConnection,
    name: &str,
    types: &HeroTypes,
) -> Result<Option<TypedHero>> {
    Ok(diesel::update(heroes::table.filter(heroes::name.eq(name)))
        .set(types)
        .returning(TypedHero::as_returning())
        .get_result(conn)
        .optional()?)
}
// ANCHOR_END: set_types

// ANCHOR: with_power
/// `select(Hero).where(Hero.powers.contains([power]))`: `powers @> $1`.
pub fn with_power(conn: &mut PgConnection, power: &str) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::powers.contains(vec![power]))
        .order(heroes::id)
        .select(TypedHero::as_select())
        .load(conn)?)
}
// ANCHOR_END: with_power

// ANCHOR: by_rank
/// `select(Hero).where(Hero.rank == Rank.legend)`: the enum is a value like
/// any other, bound as its label.
pub fn by_rank(conn: &mut PgConnection, rank: HeroRank) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::rank.eq(rank))
        .order(heroes::id)
        .select(TypedHero::as_select())
        .load(conn)?)
}
// ANCHOR_END: by_rank

// ANCHOR: by_catchphrase
/// `select(Hero).where(Hero.profile["catchphrase"].astext == phrase)`:
/// `profile ->> 'catchphrase' = $1`.
pub fn by_catchphrase(conn: &mut PgConnection, phrase: &str) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::profile.retrieve_as_text("catchphrase").eq(phrase))
        .order(heroes::id)
        .select(TypedHero::as_select())
        .load(conn)?)
}
// ANCHOR_END: by_catchphrase

// ANCHOR: by_salary
/// `select(Hero).where(Hero.salary.is_not(None)).order_by(Hero.salary.desc())`:
/// the best paid first, compared as exact decimals.
pub fn by_salary(conn: &mut PgConnection) -> Result<Vec<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::salary.is_not_null())
        .order((heroes::salary.desc(), heroes::id))
        .select(TypedHero::as_select())
        .load(conn)?)
}
// ANCHOR_END: by_salary

// ANCHOR: by_public_id
/// `select(Hero).where(Hero.public_id == public_id)`: the id a URL shows.
pub fn by_public_id(conn: &mut PgConnection, public_id: Uuid) -> Result<Option<TypedHero>> {
    Ok(heroes::table
        .filter(heroes::public_id.eq(public_id))
        .select(TypedHero::as_select())
        .first(conn)
        .optional()?)
}
// ANCHOR_END: by_public_id
