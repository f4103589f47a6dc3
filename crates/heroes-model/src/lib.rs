//! The Hero/Team schema of the study, written once for every example crate.
//!
//! The seed's SQLAlchemy model was a single `Hero` class; here it is split the
//! way Rust ORMs like it: a row type for reading ([`Hero`], [`Team`]) and a row
//! type for inserting ([`NewHero`], [`NewTeam`]), where the database fills in
//! `id` and `created_at`. The mapping to each ORM lives behind a cargo feature,
//! so `sync-diesel` compiles diesel only and `sqlx-raw` compiles sqlx only.
//!
//! The tables, as the reference migrations in the workspace's `migrations/`
//! create them (every crate's own migrations must give the same columns, types,
//! nullability, keys and indexes; conformance scenario 9 checks it):
//!
//! ```sql
//! heroes (id BIGSERIAL PK, name TEXT UNIQUE NOT NULL, secret_name TEXT, age INTEGER,
//!         app_src TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
//!         team_id BIGINT REFERENCES teams ON DELETE SET NULL,
//!         rank hero_rank NOT NULL DEFAULT 'rookie', powers TEXT[] NOT NULL DEFAULT '{}',
//!         profile JSONB, public_id UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
//!         salary NUMERIC(12,2))
//! hero_rank ENUM ('rookie', 'veteran', 'legend')
//! teams  (id BIGSERIAL PK, name TEXT UNIQUE NOT NULL, headquarters TEXT)
//! ```

use chrono::{DateTime, Utc};

/// The canonical seed data every tour and test inserts.
pub mod seed;

/// Comparing the columns the code declares with those the database has.
pub mod drift;

/// PostgreSQL's own types: the rank enum, the profile document, and the hero
/// that carries them with its powers, public id and salary (revision 3).
pub mod types;
pub use types::{FullHero, HeroRank, HeroTypes, Profile, TypeColumns, TypedHero, UnknownRank};

/// A search's optional filters, order and page ([`HeroSearch`]).
pub mod search;
pub use search::{HeroSearch, Order, SortKey};

/// diesel's `table!` schema for both tables (feature `diesel`).
#[cfg(feature = "diesel")]
pub mod schema;

/// SeaORM entities for both tables, with the hero → team relation (feature `sea-orm`).
#[cfg(feature = "sea-orm")]
pub mod entity;

/// An `INSERT` of heroes given as five arrays, one per column (name,
/// secret_name, age, app_src, team_id), that `UNNEST` turns back into rows,
/// returning each stored row: the fast insert path of the diesel crates'
/// `beyond::add_all_unnest` (sqlx-raw's `queries::add_all` writes the same).
pub const INSERT_UNNEST: &str = "INSERT INTO heroes (name, secret_name, age, app_src, team_id) \
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::text[], $5::int8[]) \
     RETURNING id, name, secret_name, age, app_src, created_at, team_id";

/// New heroes as five columns, each one array, in the order of
/// [`INSERT_UNNEST`]'s parameters.
pub struct HeroColumns<'a> {
    /// `name` of each row.
    pub names: Vec<&'a str>,
    /// `secret_name` of each row.
    pub secret_names: Vec<Option<&'a str>>,
    /// `age` of each row.
    pub ages: Vec<Option<i32>>,
    /// `app_src` of each row.
    pub app_srcs: Vec<&'a str>,
    /// `team_id` of each row.
    pub team_ids: Vec<Option<i64>>,
}

impl<'a> HeroColumns<'a> {
    /// `rows`, column by column.
    pub fn of(rows: &'a [NewHero]) -> Self {
        Self {
            names: rows.iter().map(|h| h.name.as_str()).collect(),
            secret_names: rows.iter().map(|h| h.secret_name.as_deref()).collect(),
            ages: rows.iter().map(|h| h.age).collect(),
            app_srcs: rows.iter().map(|h| h.app_src.as_str()).collect(),
            team_ids: rows.iter().map(|h| h.team_id).collect(),
        }
    }
}

// ANCHOR: hero
/// A row of `heroes`, as read back from the database.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(
        diesel::Queryable,
        diesel::QueryableByName,
        diesel::Selectable,
        diesel::Identifiable,
        diesel::Associations
    ),
    // `belongs_to`: `Hero::belonging_to(&teams)` and `grouped_by` (team_id).
    // `QueryableByName`: read from hand-written SQL (`sql_query`) by column name.
    diesel(table_name = crate::schema::heroes, check_for_backend(diesel::pg::Pg), belongs_to(Team))
)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct Hero {
    /// Primary key, assigned by the database (`BIGSERIAL`).
    pub id: i64,
    /// Unique across the table; stored exactly as given.
    pub name: String,
    /// The hero's civilian name, if known.
    pub secret_name: Option<String>,
    /// Age in years, if known.
    pub age: Option<i32>,
    /// Which program wrote the row (the seed's `app_src`), e.g. `sync-diesel`.
    pub app_src: String,
    /// When the row was inserted (database default `now()`).
    pub created_at: DateTime<Utc>,
    /// The hero's team, if any (added by revision 2).
    pub team_id: Option<i64>,
}
// ANCHOR_END: hero

/// A hero to insert: everything but the columns the database fills in.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::Insertable),
    // `None` is NULL, not DEFAULT (the same for these columns, which have no
    // default): what `diesel::copy_from(..).from_insertable` needs.
    diesel(
        table_name = crate::schema::heroes,
        check_for_backend(diesel::pg::Pg),
        treat_none_as_default_value = false
    )
)]
pub struct NewHero {
    /// See [`Hero::name`].
    pub name: String,
    /// See [`Hero::secret_name`].
    pub secret_name: Option<String>,
    /// See [`Hero::age`].
    pub age: Option<i32>,
    /// See [`Hero::app_src`].
    pub app_src: String,
    /// See [`Hero::team_id`].
    pub team_id: Option<i64>,
}

impl NewHero {
    /// A hero with only a name, as in the seed's `Hero(name="spongebob")`.
    pub fn named(name: impl Into<String>, app_src: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            secret_name: None,
            age: None,
            app_src: app_src.into(),
            team_id: None,
        }
    }
}

/// Changes to one hero (an update): `None` leaves a column as it is;
/// `Some(None)` sets a nullable column to NULL. `id`, `app_src` and
/// `created_at` never change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::AsChangeset),
    diesel(table_name = crate::schema::heroes, check_for_backend(diesel::pg::Pg))
)]
pub struct HeroChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new secret name, or `Some(None)` to clear it.
    pub secret_name: Option<Option<String>>,
    /// A new age, or `Some(None)` to clear it.
    pub age: Option<Option<i32>>,
    /// Another team, or `Some(None)` for none.
    pub team_id: Option<Option<i64>>,
    /// A new rank (revision 3).
    pub rank: Option<HeroRank>,
    /// New powers, replacing the old ones.
    pub powers: Option<Vec<String>>,
    /// A new profile, replacing the old one, or `Some(None)` to clear it.
    pub profile: Option<Option<Profile>>,
    /// A new salary, or `Some(None)` to clear it.
    pub salary: Option<Option<rust_decimal::Decimal>>,
}

impl HeroChanges {
    /// Whether nothing would change (an UPDATE with no SET clause is not SQL).
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.secret_name.is_none()
            && self.age.is_none()
            && self.team_id.is_none()
            && self.rank.is_none()
            && self.powers.is_none()
            && self.profile.is_none()
            && self.salary.is_none()
    }
}

/// A row of `teams`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::Queryable, diesel::Selectable, diesel::Identifiable),
    diesel(table_name = crate::schema::teams, check_for_backend(diesel::pg::Pg))
)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct Team {
    /// Primary key, assigned by the database.
    pub id: i64,
    /// Unique across the table.
    pub name: String,
    /// Where the team meets, if known.
    pub headquarters: Option<String>,
}

/// A team with its heroes, in id order: what loading a relation gives.
pub type TeamWithHeroes = (Team, Vec<Hero>);

/// A team to insert.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::Insertable),
    diesel(table_name = crate::schema::teams, check_for_backend(diesel::pg::Pg))
)]
pub struct NewTeam {
    /// See [`Team::name`].
    pub name: String,
    /// See [`Team::headquarters`].
    pub headquarters: Option<String>,
}
