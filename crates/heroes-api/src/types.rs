//! The bodies the API reads and writes, and the rules a request must meet.
//!
//! Inputs are parsed strictly (`deny_unknown_fields`: a misspelt field is an
//! error, not silently ignored) and then validated into the model's types
//! ([`NewHero`](heroes_model::NewHero), [`HeroChanges`](heroes_model::HeroChanges), [`NewTeam`](heroes_model::NewTeam)); a store never sees a value
//! that breaks these rules, so the database is never asked to reject one.

use chrono::{DateTime, Utc};
use heroes_model::{Hero, HeroChanges, NewHero, NewTeam, Team};
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
}

impl From<Team> for TeamOut {
    fn from(t: Team) -> Self {
        Self {
            id: t.id,
            name: t.name,
            headquarters: t.headquarters,
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

/// The query string of `GET /heroes`.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only heroes written by this program (e.g. `sqlx-raw`).
    pub app_src: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<i64>,
    /// Rows to skip, 0 or more (default 0).
    pub offset: Option<i64>,
}

/// A validated [`ListParams`]: what a store's list query receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeroFilter {
    /// Only heroes with this `app_src`; all when `None`.
    pub app_src: Option<String>,
    /// At most this many, 1..=1000.
    pub limit: i64,
    /// After skipping this many, in id order.
    pub offset: i64,
}

impl ListParams {
    /// Checks the ranges and fills in the defaults.
    pub fn validate(self) -> Result<HeroFilter, String> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!("limit must be from 1 to {MAX_LIMIT}, got {limit}"));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(format!("offset must be 0 or more, got {offset}"));
        }
        let app_src = self.app_src.map(|s| text("app_src", s)).transpose()?;
        Ok(HeroFilter {
            app_src,
            limit,
            offset,
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
            app_src: None,
            limit,
            offset,
        };
        assert_eq!(
            params(None, None).validate().map(|f| f.limit),
            Ok(DEFAULT_LIMIT)
        );
        assert!(params(Some(0), None).validate().is_err());
        assert!(params(Some(MAX_LIMIT + 1), None).validate().is_err());
        assert!(params(None, Some(-1)).validate().is_err());
    }
}
