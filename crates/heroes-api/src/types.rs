//! The bodies the API reads and writes, and the rules a request must meet.
//!
//! Inputs are parsed strictly (`deny_unknown_fields`: a misspelt field is an
//! error, not silently ignored) and then validated into the model's types
//! ([`NewHero`](heroes_model::NewHero), [`HeroChanges`](heroes_model::HeroChanges), [`NewTeam`](heroes_model::NewTeam)); a store never sees a value
//! that breaks these rules, so the database is never asked to reject one.

use chrono::{DateTime, Utc};
use heroes_model::{Hero, HeroChanges, HeroSearch, NewHero, NewTeam, Order, Team};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::Problem;

/// Longest name (and secret name) accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Most heroes one `POST /heroes` may carry.
pub const MAX_BATCH: usize = 1000;
/// `GET /heroes` page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest `limit` of `GET /heroes`.
pub const MAX_LIMIT: i64 = 1000;

/// A hero as stored: every column of `heroes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeroOut {
    /// Primary key.
    pub id: i64,
    /// Unique; stored exactly as given.
    pub name: String,
    /// The civilian name, if known.
    pub secret_name: Option<String>,
    /// Age in years, if known.
    pub age: Option<i32>,
    /// Which program wrote the row: the server's crate name.
    pub app_src: String,
    /// When the row was inserted.
    pub created_at: DateTime<Utc>,
    /// The hero's team, if any.
    pub team_id: Option<i64>,
}

impl From<Hero> for HeroOut {
    fn from(h: Hero) -> Self {
        Self {
            id: h.id,
            name: h.name,
            secret_name: h.secret_name,
            age: h.age,
            app_src: h.app_src,
            created_at: h.created_at,
            team_id: h.team_id,
        }
    }
}

/// A hero to create. `app_src` is not part of it: the server sets it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeroIn {
    /// 1 to 200 characters, not only spaces, no NUL; unique.
    pub name: String,
    /// Up to 200 characters, no NUL.
    #[serde(default)]
    pub secret_name: Option<String>,
    /// 0 or more.
    #[serde(default)]
    pub age: Option<i32>,
    /// An existing team's id.
    #[serde(default)]
    pub team_id: Option<i64>,
}

impl HeroIn {
    /// Checks the rules and stamps `app_src`.
    pub fn validate(self, app_src: &str) -> Result<NewHero, String> {
        Ok(NewHero {
            name: name("name", self.name)?,
            secret_name: self
                .secret_name
                .map(|s| text("secret_name", s))
                .transpose()?,
            age: self.age.map(age).transpose()?,
            app_src: app_src.to_owned(),
            team_id: self.team_id.map(|id| positive("team_id", id)).transpose()?,
        })
    }
}

/// The body of `POST /heroes`: one hero, or an array of them stored all or
/// nothing (`session.add_all([...])`). The response has the same shape.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single object.
    One(T),
    /// A JSON array.
    Many(Vec<T>),
}

/// Changes to a hero (`PATCH /heroes/{id}`): a field left out is unchanged;
/// `null` clears a nullable field.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeroPatch {
    /// A new unique name (same rules as on creation); cannot be null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// A new secret name, or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub secret_name: Option<Option<String>>,
    /// A new age, or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub age: Option<Option<i32>>,
    /// Another team, or null for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
}

impl HeroPatch {
    /// Checks the rules; the result says which columns to set.
    pub fn validate(self) -> Result<HeroChanges, String> {
        let name = match self.name {
            None => None,
            Some(None) => return Err("name cannot be null; leave it out to keep it".into()),
            Some(Some(n)) => Some(name("name", n)?),
        };
        let opt = |v: Option<Option<String>>| -> Result<_, String> {
            v.map(|inner| inner.map(|s| text("secret_name", s)).transpose())
                .transpose()
        };
        Ok(HeroChanges {
            name,
            secret_name: opt(self.secret_name)?,
            age: self.age.map(|a| a.map(age).transpose()).transpose()?,
            team_id: self
                .team_id
                .map(|t| t.map(|id| positive("team_id", id)).transpose())
                .transpose()?,
        })
    }
}

/// Tells "absent" (`None`, via `#[serde(default)]`) from "null" (`Some(None)`).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A team as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TeamOut {
    /// Primary key.
    pub id: i64,
    /// Unique.
    pub name: String,
    /// Where the team meets, if known.
    pub headquarters: Option<String>,
    /// The team's heroes in id order, with `GET /teams?include=heroes`;
    /// absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heroes: Option<Vec<HeroOut>>,
}

impl From<Team> for TeamOut {
    fn from(t: Team) -> Self {
        Self {
            id: t.id,
            name: t.name,
            headquarters: t.headquarters,
            heroes: None,
        }
    }
}

impl From<(Team, Vec<Hero>)> for TeamOut {
    fn from((team, heroes): (Team, Vec<Hero>)) -> Self {
        Self {
            heroes: Some(heroes.into_iter().map(HeroOut::from).collect()),
            ..team.into()
        }
    }
}

/// The query string of `GET /teams`.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeamsParams {
    /// `heroes` to nest each team's heroes in it (at most two statements,
    /// whatever the number of teams).
    pub include: Option<String>,
}

impl TeamsParams {
    /// Whether the heroes are wanted; anything but `heroes` is an error.
    pub fn include_heroes(&self) -> Result<bool, String> {
        match self.include.as_deref() {
            None => Ok(false),
            Some("heroes") => Ok(true),
            Some(other) => Err(format!(
                "include can only be 'heroes', got '{}'",
                other.escape_debug()
            )),
        }
    }
}

/// A team to create.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    /// Same rules as a hero's name; unique.
    pub name: String,
    /// Up to 200 characters, no NUL.
    #[serde(default)]
    pub headquarters: Option<String>,
}

impl TeamIn {
    /// Checks the rules.
    pub fn validate(self) -> Result<NewTeam, String> {
        Ok(NewTeam {
            name: name("name", self.name)?,
            headquarters: self
                .headquarters
                .map(|s| text("headquarters", s))
                .transpose()?,
        })
    }
}

/// `GET /heroes/count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Count {
    /// Rows in `heroes`.
    pub count: i64,
}

/// The query string of `GET /heroes`: every filter optional, combined with AND.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only heroes written by this program (e.g. `sqlx-raw`).
    pub app_src: Option<String>,
    /// The name contains this text, ignoring case; `%` and `_` are plain characters.
    pub name_contains: Option<String>,
    /// Age at least this (0 or more); heroes of unknown age are left out.
    pub min_age: Option<i32>,
    /// Age at most this (0 or more, not below `min_age`).
    pub max_age: Option<i32>,
    /// Only this team's heroes (an id, 1 or more).
    pub team_id: Option<i64>,
    /// `id` (default), `name` or `age`; a leading `-` sorts largest first.
    /// Ties are broken by id.
    pub order_by: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<i64>,
    /// Rows to skip, 0 or more (default 0).
    pub offset: Option<i64>,
}

/// The query string of `GET /heroes/export`: the filters of [`ListParams`],
/// no page (every matching hero) and id order.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// As in `GET /heroes`.
    pub app_src: Option<String>,
    /// As in `GET /heroes`.
    pub name_contains: Option<String>,
    /// As in `GET /heroes`.
    pub min_age: Option<i32>,
    /// As in `GET /heroes`.
    pub max_age: Option<i32>,
    /// As in `GET /heroes`.
    pub team_id: Option<i64>,
}

impl ListParams {
    /// Checks every value and fills in the defaults: what a store's search receives.
    pub fn validate(self) -> Result<HeroSearch, String> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!("limit must be from 1 to {MAX_LIMIT}, got {limit}"));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(format!("offset must be 0 or more, got {offset}"));
        }
        let order = match self.order_by {
            None => Order::default(),
            Some(text) => Order::parse(&text).ok_or_else(|| {
                format!(
                    "order_by must be id, name or age, with an optional leading -, got '{}'",
                    text.escape_debug()
                )
            })?,
        };
        let filters = ExportParams {
            app_src: self.app_src,
            name_contains: self.name_contains,
            min_age: self.min_age,
            max_age: self.max_age,
            team_id: self.team_id,
        };
        Ok(HeroSearch {
            order,
            limit: Some(limit),
            offset,
            ..filters.validate()?
        })
    }
}

impl ExportParams {
    /// Checks every value: every matching hero, in id order.
    pub fn validate(self) -> Result<HeroSearch, String> {
        let age_bound = |field: &str, value: Option<i32>| match value {
            Some(age) if age < 0 => Err(format!("{field} must be 0 or more, got {age}")),
            other => Ok(other),
        };
        let min_age = age_bound("min_age", self.min_age)?;
        let max_age = age_bound("max_age", self.max_age)?;
        if let (Some(min), Some(max)) = (min_age, max_age)
            && min > max
        {
            return Err(format!(
                "min_age ({min}) must not be more than max_age ({max})"
            ));
        }
        Ok(HeroSearch {
            name_contains: self
                .name_contains
                .map(|s| text("name_contains", s))
                .transpose()?,
            min_age,
            max_age,
            team_id: self.team_id.map(|id| positive("team_id", id)).transpose()?,
            app_src: self.app_src.map(|s| text("app_src", s)).transpose()?,
            ..HeroSearch::default()
        })
    }
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` (the process runs) or `ready` (and the database answered).
    pub status: String,
    /// The pool, for `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<crate::PoolStatus>,
}

/// A name: 1 to [`MAX_NAME_CHARS`] characters, not only white space, no NUL.
pub fn name(field: &str, value: String) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    text(field, value)
}

/// Free text: at most [`MAX_NAME_CHARS`] characters and no NUL byte, which
/// PostgreSQL cannot store in TEXT.
pub fn text(field: &str, value: String) -> Result<String, String> {
    if value.contains('\0') {
        return Err(format!("{field} must not contain a NUL character"));
    }
    let chars = value.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(format!(
            "{field} is {chars} characters long; at most {MAX_NAME_CHARS} are allowed"
        ));
    }
    Ok(value)
}

fn age(value: i32) -> Result<i32, String> {
    if value < 0 {
        return Err(format!("age must be 0 or more, got {value}"));
    }
    Ok(value)
}

/// An id: 1 or more (`BIGSERIAL` starts at 1).
pub fn positive(field: &str, value: i64) -> Result<i64, String> {
    if value < 1 {
        return Err(format!("{field} must be 1 or more, got {value}"));
    }
    Ok(value)
}

/// A path id, as a [`Problem`] when it is below 1.
pub fn path_id(field: &str, value: i64) -> Result<i64, Problem> {
    positive(field, value).map_err(Problem::unprocessable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_exactly_but_must_be_storable() {
        let hero = |name: &str| HeroIn {
            name: name.into(),
            secret_name: None,
            age: None,
            team_id: None,
        };
        let ok = hero(" O'Brien \"🦀\" ").validate("x").map(|h| h.name);
        assert_eq!(ok, Ok(" O'Brien \"🦀\" ".to_owned()));
        assert!(hero("").validate("x").is_err());
        assert!(hero("   ").validate("x").is_err());
        assert!(hero("a\0b").validate("x").is_err());
        assert!(hero(&"é".repeat(MAX_NAME_CHARS)).validate("x").is_ok());
        assert!(hero(&"é".repeat(MAX_NAME_CHARS + 1)).validate("x").is_err());
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let patch: HeroPatch = serde_json::from_str(r#"{"age": null}"#).unwrap_or_default();
        let changes = patch.validate().unwrap_or_default();
        assert_eq!(changes.age, Some(None));
        assert_eq!(changes.secret_name, None);
        let null_name: HeroPatch = serde_json::from_str(r#"{"name": null}"#).unwrap_or_default();
        assert!(null_name.validate().is_err());
    }

    #[test]
    fn list_limits_have_a_default_and_a_range() {
        let params = |limit, offset| ListParams {
            limit,
            offset,
            ..ListParams::default()
        };
        assert_eq!(
            params(None, None).validate().map(|f| f.limit),
            Ok(Some(DEFAULT_LIMIT))
        );
        assert!(params(Some(0), None).validate().is_err());
        assert!(params(Some(MAX_LIMIT + 1), None).validate().is_err());
        assert!(params(None, Some(-1)).validate().is_err());
    }

    #[test]
    fn filters_are_checked_and_name_the_parameter() {
        let bad = |params: ListParams| params.validate().err().unwrap_or_default();
        let age = |min_age, max_age| ListParams {
            min_age,
            max_age,
            ..ListParams::default()
        };
        assert!(bad(age(Some(-1), None)).contains("min_age"));
        assert!(bad(age(None, Some(-3))).contains("max_age"));
        assert!(bad(age(Some(30), Some(20))).contains("min_age (30)"));
        assert_eq!(
            age(Some(20), Some(20)).validate().map(|s| s.min_age),
            Ok(Some(20))
        );
        let order = |text: &str| ListParams {
            order_by: Some(text.to_owned()),
            ..ListParams::default()
        };
        assert!(bad(order("secret_name")).contains("order_by"));
        assert_eq!(
            order("-age").validate().map(|s| s.order),
            Ok(heroes_model::Order {
                by: heroes_model::SortKey::Age,
                descending: true
            })
        );
        let team = ListParams {
            team_id: Some(0),
            ..ListParams::default()
        };
        assert!(bad(team).contains("team_id"));
        let nul = ExportParams {
            name_contains: Some("a\0b".to_owned()),
            ..ExportParams::default()
        };
        assert!(nul.validate().is_err_and(|e| e.contains("name_contains")));
    }
}
