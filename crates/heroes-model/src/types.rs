//! PostgreSQL's own types, as revision 3 adds them to `heroes`: the
//! `hero_rank` enum, a `text[]` of powers, a `jsonb` profile, a `uuid` public
//! id and a `numeric(12,2)` salary (book/src/types.md).
//!
//! The Rust types are written once, here; each library's mapping sits behind
//! its cargo feature, in that library's own idiom:
//!
//! | column      | Rust                 | Diesel                         | sqlx                              | SeaORM                        |
//! |-------------|----------------------|--------------------------------|-----------------------------------|-------------------------------|
//! | `rank`      | [`HeroRank`]         | a `SqlType` + `ToSql`/`FromSql` | `#[derive(sqlx::Type)]`          | `DeriveActiveEnum`            |
//! | `powers`    | `Vec<String>`        | `Array<Text>`                  | built in                          | built in (`postgres-array`)   |
//! | `profile`   | `Option<`[`Profile`]`>` | `Jsonb` through serde       | `Json<Profile>` in the query      | `FromJsonQueryResult`         |
//! | `public_id` | `uuid::Uuid`         | feature `uuid`                 | feature `uuid`                    | feature `with-uuid`           |
//! | `salary`    | `Option<rust_decimal::Decimal>` | rust_decimal's `db-diesel2-postgres` | feature `rust_decimal` | feature `with-rust_decimal` |

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

// ANCHOR: rank
/// `heroes.rank`: PostgreSQL's `hero_rank` enum, `('rookie', 'veteran',
/// 'legend')`, stored as its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
// Diesel: the Rust type of the `hero_rank` SQL type in schema.rs; the
// `ToSql`/`FromSql` impls below say how its label is written and read.
#[cfg_attr(
    feature = "diesel",
    derive(diesel::FromSqlRow, diesel::AsExpression),
    diesel(sql_type = crate::schema::sql_types::HeroRank)
)]
// sqlx: `type_name` is the PostgreSQL type; without it sqlx would look for a
// type called `HeroRank`. (Where SeaORM's derive is also compiled in, it
// already implements sqlx's traits for the enum; see `sqlx_when_sea_orm`.)
#[cfg_attr(
    all(feature = "sqlx", not(feature = "sea-orm")),
    derive(sqlx::Type),
    sqlx(type_name = "hero_rank", rename_all = "lowercase")
)]
// SeaORM: an active enum over the database enum, each variant's label given.
#[cfg_attr(
    feature = "sea-orm",
    derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum),
    sea_orm(rs_type = "String", db_type = "Enum", enum_name = "hero_rank")
)]
pub enum HeroRank {
    /// `'rookie'`, the column's default.
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "rookie"))]
    Rookie,
    /// `'veteran'`.
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "veteran"))]
    Veteran,
    /// `'legend'`.
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "legend"))]
    Legend,
}
// ANCHOR_END: rank

impl HeroRank {
    /// Every rank, in the enum's order.
    pub const ALL: [Self; 3] = [Self::Rookie, Self::Veteran, Self::Legend];

    /// The label PostgreSQL stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rookie => "rookie",
            Self::Veteran => "veteran",
            Self::Legend => "legend",
        }
    }
}

impl fmt::Display for HeroRank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label that is not a [`HeroRank`]: what reading a row gives when a newer
/// migration has added a value this build does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRank(pub String);

impl fmt::Display for UnknownRank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown hero rank '{}' (this build knows rookie, veteran, legend)",
            self.0
        )
    }
}

impl std::error::Error for UnknownRank {}

impl FromStr for HeroRank {
    type Err = UnknownRank;

    fn from_str(label: &str) -> Result<Self, UnknownRank> {
        Self::ALL
            .into_iter()
            .find(|rank| rank.as_str() == label)
            .ok_or_else(|| UnknownRank(label.to_owned()))
    }
}

// ANCHOR: profile
/// `heroes.profile`, a `jsonb` document given a shape: the keys the code
/// knows are typed, any other key is kept as it came (`extra`), so a document
/// written by someone else round-trips whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::FromSqlRow, diesel::AsExpression),
    diesel(sql_type = diesel::sql_types::Jsonb)
)]
#[cfg_attr(feature = "sea-orm", derive(sea_orm::FromJsonQueryResult))]
pub struct Profile {
    /// What the hero says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catchphrase: Option<String>,
    /// What stops the hero.
    #[serde(default)]
    pub weaknesses: Vec<String>,
    /// Every other key of the document.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
// ANCHOR_END: profile

// ANCHOR: typed_hero
/// A hero with the revision 3 columns: what the types lesson reads.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::Queryable, diesel::Selectable),
    diesel(table_name = crate::schema::heroes, check_for_backend(diesel::pg::Pg))
)]
pub struct TypedHero {
    /// Primary key, for the database's own joins.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// `hero_rank NOT NULL DEFAULT 'rookie'`.
    pub rank: HeroRank,
    /// `text[] NOT NULL DEFAULT '{}'`.
    pub powers: Vec<String>,
    /// `jsonb`, NULL when the hero has no profile.
    pub profile: Option<Profile>,
    /// `uuid NOT NULL UNIQUE DEFAULT gen_random_uuid()`: the id to show the
    /// world, which says nothing about how many heroes there are.
    pub public_id: Uuid,
    /// `numeric(12,2)`: exact cents, NULL when unknown.
    pub salary: Option<Decimal>,
}
// ANCHOR_END: typed_hero

// ANCHOR: full_hero
/// Revision 3's columns of a hero as read back, to go beside a [`Hero`](crate::Hero).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::Queryable, diesel::Selectable),
    diesel(table_name = crate::schema::heroes, check_for_backend(diesel::pg::Pg))
)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct TypeColumns {
    /// See [`TypedHero::rank`].
    pub rank: HeroRank,
    /// See [`TypedHero::powers`].
    pub powers: Vec<String>,
    /// See [`TypedHero::profile`]. sqlx reads the `jsonb` through serde.
    #[cfg_attr(feature = "sqlx", sqlx(json(nullable)))]
    pub profile: Option<Profile>,
    /// See [`TypedHero::public_id`].
    pub public_id: Uuid,
    /// See [`TypedHero::salary`].
    pub salary: Option<Decimal>,
}

/// Every column of a hero, the study's and revision 3's: what the HTTP API
/// serves. Diesel selects both halves in one statement (`embed`), sqlx reads
/// them from one row (`flatten`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::Queryable, diesel::Selectable),
    diesel(table_name = crate::schema::heroes, check_for_backend(diesel::pg::Pg))
)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct FullHero {
    /// The study's columns.
    #[cfg_attr(feature = "diesel", diesel(embed))]
    #[cfg_attr(feature = "sqlx", sqlx(flatten))]
    pub hero: crate::Hero,
    /// Revision 3's columns.
    #[cfg_attr(feature = "diesel", diesel(embed))]
    #[cfg_attr(feature = "sqlx", sqlx(flatten))]
    pub types: TypeColumns,
}
// ANCHOR_END: full_hero

// ANCHOR: hero_types
/// The revision 3 columns of one hero, to set together (an update).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::AsChangeset),
    // `None` writes NULL (a hero loses a profile or a salary), not "leave as is".
    diesel(
        table_name = crate::schema::heroes,
        check_for_backend(diesel::pg::Pg),
        treat_none_as_null = true
    )
)]
pub struct HeroTypes {
    /// See [`TypedHero::rank`].
    pub rank: HeroRank,
    /// See [`TypedHero::powers`].
    pub powers: Vec<String>,
    /// See [`TypedHero::profile`].
    pub profile: Option<Profile>,
    /// See [`TypedHero::salary`].
    pub salary: Option<Decimal>,
}
// ANCHOR_END: hero_types

// ANCHOR: diesel_rank
/// How Diesel writes and reads `hero_rank`: as its label, the way Diesel's
/// own `examples/postgres/custom_types` does it.
#[cfg(feature = "diesel")]
mod diesel_rank {
    use std::io::Write as _;

    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, IsNull, Output, ToSql};

    use super::HeroRank;
    use crate::schema::sql_types::HeroRank as HeroRankSql;

    impl ToSql<HeroRankSql, Pg> for HeroRank {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            out.write_all(self.as_str().as_bytes())?;
            Ok(IsNull::No)
        }
    }

    impl FromSql<HeroRankSql, Pg> for HeroRank {
        fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
            // An unknown label is an error for this row, not a panic.
            Ok(std::str::from_utf8(bytes.as_bytes())?.parse()?)
        }
    }
}
// ANCHOR_END: diesel_rank

// ANCHOR: diesel_profile
/// `jsonb` through serde: Diesel reads a `serde_json::Value`, serde gives it
/// the `Profile` shape; writing is the JSON text after jsonb's version byte.
#[cfg(feature = "diesel")]
mod diesel_profile {
    use std::io::Write as _;

    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, IsNull, Output, ToSql};
    use diesel::sql_types::Jsonb;

    use super::Profile;

    impl FromSql<Jsonb, Pg> for Profile {
        fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
            let document = <serde_json::Value as FromSql<Jsonb, Pg>>::from_sql(bytes)?;
            Ok(serde_json::from_value(document)?)
        }
    }

    impl ToSql<Jsonb, Pg> for Profile {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            out.write_all(&[1])?; // jsonb's binary format: version 1, then the text
            serde_json::to_writer(out, self)?;
            Ok(IsNull::No)
        }
    }
}
// ANCHOR_END: diesel_profile

// ANCHOR: sqlx_when_sea_orm
/// Where SeaORM's `DeriveActiveEnum` is compiled in beside sqlx (the
/// benchmark and conformance crates link every library), it implements sqlx's
/// `Type` and `Decode` for [`HeroRank`] itself, so `#[derive(sqlx::Type)]`
/// would conflict; the one trait it leaves out, `Encode`, is written here.
#[cfg(all(feature = "sqlx", feature = "sea-orm"))]
mod sqlx_when_sea_orm {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::PgArgumentBuffer;
    use sqlx::{Encode, Postgres};

    use super::HeroRank;

    impl Encode<'_, Postgres> for HeroRank {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <&str as Encode<'_, Postgres>>::encode(self.as_str(), buf)
        }
    }
}
// ANCHOR_END: sqlx_when_sea_orm

/// Values at the edges of each type, for the round-trip tests of every crate:
/// an empty array and one of awkward strings, non-ASCII text, a nested
/// document holding 2^53 + 1 (which a JSON library that reads every number as
/// an `f64` would round), numeric(12,2)'s largest value, `0.10` (not `0.1`), a
/// negative cent, an empty profile, and NULL profile and salary.
pub fn edge_values() -> Vec<HeroTypes> {
    let extra = serde_json::json!({
        "nested": {"ünïcode": "日本語 🌊", "big": 9_007_199_254_740_993_u64, "list": [1, null, true]}
    });
    let extra = match extra {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    vec![
        HeroTypes {
            rank: HeroRank::Veteran,
            powers: Vec::new(),
            profile: Some(Profile {
                catchphrase: Some("¡Olé! — ñ, ü, 字".to_owned()),
                weaknesses: vec![String::new(), "a \"quoted\" one".to_owned()],
                extra,
            }),
            salary: Some(Decimal::new(999_999_999_999, 2)),
        },
        HeroTypes {
            rank: HeroRank::Legend,
            powers: ["écho", "with,comma", "{brace}", "NULL", " spaced "]
                .map(str::to_owned)
                .to_vec(),
            profile: None,
            salary: Some(Decimal::new(10, 2)),
        },
        HeroTypes {
            rank: HeroRank::Rookie,
            powers: vec!["only".to_owned()],
            profile: Some(Profile::default()),
            salary: Some(Decimal::new(-1, 2)),
        },
        HeroTypes {
            rank: HeroRank::Rookie,
            powers: Vec::new(),
            profile: None,
            salary: None,
        },
    ]
}

#[cfg(feature = "sea-orm")]
impl From<crate::entity::hero::Model> for FullHero {
    fn from(m: crate::entity::hero::Model) -> Self {
        let types = TypeColumns {
            rank: m.rank,
            powers: m.powers.clone(),
            profile: m.profile.clone(),
            public_id: m.public_id,
            salary: m.salary,
        };
        Self {
            hero: m.into(),
            types,
        }
    }
}

#[cfg(feature = "sea-orm")]
impl From<crate::entity::hero::Model> for TypedHero {
    fn from(m: crate::entity::hero::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            rank: m.rank,
            powers: m.powers,
            profile: m.profile,
            public_id: m.public_id,
            salary: m.salary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rank_reads_back_from_its_label_and_an_unknown_label_is_named() {
        for rank in HeroRank::ALL {
            assert_eq!(rank.as_str().parse::<HeroRank>(), Ok(rank));
        }
        let err = "mythic".parse::<HeroRank>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown hero rank 'mythic' (this build knows rookie, veteran, legend)"
        );
    }

    #[test]
    fn decimals_add_up_where_floats_do_not() {
        assert_ne!(0.1_f64 + 0.2, 0.3);
        assert_eq!(Decimal::new(1, 1) + Decimal::new(2, 1), Decimal::new(3, 1));
        // The scale is kept: 0.10 is written back as 0.10, not 0.1.
        assert_eq!(Decimal::new(10, 2).to_string(), "0.10");
    }

    #[test]
    fn a_profile_keeps_keys_it_does_not_know_and_big_integers_exactly() {
        let text = r#"{"catchphrase":"I'm ready!","weaknesses":["dry air"],"fans":{"count":9007199254740993}}"#;
        let profile: Profile = serde_json::from_str(text).unwrap();
        assert_eq!(profile.catchphrase.as_deref(), Some("I'm ready!"));
        assert_eq!(
            profile.extra["fans"]["count"].as_u64(),
            Some(9_007_199_254_740_993)
        );
        let back: serde_json::Value = serde_json::to_value(&profile).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }
}
