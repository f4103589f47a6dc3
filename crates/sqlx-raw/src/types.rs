//! PostgreSQL's own types (revision 3) as plain SQL: the `hero_rank` enum, the
//! `text[]` of powers, the `jsonb` profile, the `uuid` public id and the
//! `numeric` salary.
//!
//! The macros know `text[]` (`Vec<String>`), `uuid` (`Uuid`) and `numeric`
//! (`Decimal`) from sqlx's features; what they cannot know is which Rust type
//! is your enum or your JSON document. Both are said in the query, with an
//! alias: `rank AS "rank: HeroRank"` and `profile AS "profile: Json<Profile>"`.

use heroes_model::{HeroRank, HeroTypes, Profile, TypedHero};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;

// ANCHOR: row
/// What `query_as!` fills: the columns with sqlx's `Json` wrapper around the
/// document. (Without the `"rank: HeroRank"` alias the macro stops the build:
/// it has no Rust type for a user-defined PostgreSQL type.)
struct TypedHeroRow {
    id: i64,
    name: String,
    rank: HeroRank,
    powers: Vec<String>,
    profile: Option<Json<Profile>>,
    public_id: Uuid,
    salary: Option<Decimal>,
}

impl From<TypedHeroRow> for TypedHero {
    fn from(row: TypedHeroRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            rank: row.rank,
            powers: row.powers,
            profile: row.profile.map(|Json(profile)| profile),
            public_id: row.public_id,
            salary: row.salary,
        }
    }
}
// ANCHOR_END: row

// ANCHOR: set_types
/// `hero.rank = ...; hero.powers = [...]; ...; await session.commit()`: one
/// `UPDATE ... RETURNING`; `None` when there is no such hero. `x as T` tells
/// the macro the parameter's Rust type where it cannot check it itself.
pub async fn set_types(
    conn: &mut PgConnection,
    name: &str,
    types: &HeroTypes,
) -> Result<Option<TypedHero>> {
    let row = sqlx::query_as!(
        TypedHeroRow,
        r#"UPDATE heroes SET rank = $2, powers = $3, profile = $4, salary = $5
            WHERE name = $1
        RETURNING id, name, rank AS "rank: HeroRank", powers,
                  profile AS "profile: Json<Profile>", public_id, salary"#,
        name,
        types.rank as HeroRank,
        &types.powers,
        types.profile.as_ref().map(Json) as _,
        types.salary,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(TypedHero::from))
}
// ANCHOR_END: set_types

// ANCHOR: with_power
/// `select(Hero).where(Hero.powers.contains([power]))`: `powers @> ARRAY[$1]`.
pub async fn with_power(conn: &mut PgConnection, power: &str) -> Result<Vec<TypedHero>> {
    let rows = sqlx::query_as!(
        TypedHeroRow,
        r#"SELECT id, name, rank AS "rank: HeroRank", powers,
                  profile AS "profile: Json<Profile>", public_id, salary
             FROM heroes WHERE powers @> ARRAY[$1] ORDER BY id"#,
        power
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: with_power

// ANCHOR: by_rank
/// `select(Hero).where(Hero.rank == Rank.legend)`: the enum bound as itself.
pub async fn by_rank(conn: &mut PgConnection, rank: HeroRank) -> Result<Vec<TypedHero>> {
    let rows = sqlx::query_as!(
        TypedHeroRow,
        r#"SELECT id, name, rank AS "rank: HeroRank", powers,
                  profile AS "profile: Json<Profile>", public_id, salary
             FROM heroes WHERE rank = $1 ORDER BY id"#,
        rank as HeroRank
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: by_rank

// ANCHOR: by_catchphrase
/// `select(Hero).where(Hero.profile["catchphrase"].astext == phrase)`.
pub async fn by_catchphrase(conn: &mut PgConnection, phrase: &str) -> Result<Vec<TypedHero>> {
    let rows = sqlx::query_as!(
        TypedHeroRow,
        r#"SELECT id, name, rank AS "rank: HeroRank", powers,
                  profile AS "profile: Json<Profile>", public_id, salary
             FROM heroes WHERE profile ->> 'catchphrase' = $1 ORDER BY id"#,
        phrase
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: by_catchphrase

// ANCHOR: by_salary
/// `select(Hero).where(Hero.salary.is_not(None)).order_by(Hero.salary.desc())`.
pub async fn by_salary(conn: &mut PgConnection) -> Result<Vec<TypedHero>> {
    let rows = sqlx::query_as!(
        TypedHeroRow,
        r#"SELECT id, name, rank AS "rank: HeroRank", powers,
                  profile AS "profile: Json<Profile>", public_id, salary
             FROM heroes WHERE salary IS NOT NULL ORDER BY salary DESC, id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(TypedHero::from).collect())
}
// ANCHOR_END: by_salary

// ANCHOR: by_public_id
/// `select(Hero).where(Hero.public_id == public_id)`: the id a URL shows.
pub async fn by_public_id(conn: &mut PgConnection, public_id: Uuid) -> Result<Option<TypedHero>> {
    let row = sqlx::query_as!(
        TypedHeroRow,
        r#"SELECT id, name, rank AS "rank: HeroRank", powers,
                  profile AS "profile: Json<Profile>", public_id, salary
             FROM heroes WHERE public_id = $1"#,
        public_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(TypedHero::from))
}
// ANCHOR_END: by_public_id
