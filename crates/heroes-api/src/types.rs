//! The bodies the API reads and writes, and the rules a request must meet.
//!
//! Inputs are parsed strictly (`deny_unknown_fields`: a misspelt field is an
//! error, not silently ignored) and then validated into the model's types
//! ([`NewHero`](heroes_model::NewHero), [`HeroChanges`](heroes_model::HeroChanges), [`NewTeam`](heroes_model::NewTeam)); a store never sees a value
//! that breaks these rules, so the database is never asked to reject one.

use chrono::{DateTime, Utc};
use heroes_model::{
    FullHero, Hero, HeroChanges, HeroRank, HeroSearch, NewHero, NewTeam, Order, Profile, Team,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::Problem;
use crate::schema::{
    Age, Id, Include, Limit, Name, Offset, OrderBy, Powers, ProfileDoc, Salary, Text,
};

/// Longest name (and secret name) accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Most heroes one `POST /heroes` may carry.
pub const MAX_BATCH: usize = 1000;
/// Most powers one hero may have.
pub const MAX_POWERS: usize = 50;
/// Most digits of a salary before the decimal point: `numeric(12,2)`.
pub const SALARY_INTEGER_DIGITS: usize = 10;
/// Most digits of a salary after the decimal point.
pub const SALARY_SCALE: usize = 2;
/// `GET /heroes` page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest `limit` of `GET /heroes`.
pub const MAX_LIMIT: i64 = 1000;

/// A hero as stored: every column of `heroes`, revision 3's included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeroOut {
    /// The study's columns.
    #[serde(flatten)]
    pub hero: HeroBrief,
    /// The hero's rank (`rookie` unless set).
    #[schema(value_type = Rank)]
    pub rank: HeroRank,
    /// The hero's powers, in the order given (empty unless set).
    #[schema(value_type = Powers)]
    pub powers: Vec<String>,
    /// A JSON object: `catchphrase` (a string), `weaknesses` (strings) and
    /// any other keys, kept as sent; null when the hero has none.
    #[schema(value_type = Option<ProfileDoc>)]
    pub profile: Option<Profile>,
    /// The id to show the world (assigned by the database).
    pub public_id: Uuid,
    /// Exact, as a decimal string with two decimals (`"1234567890.12"`), so
    /// that no JSON parser rounds it; null when unknown.
    #[schema(value_type = Option<Salary>)]
    pub salary: Option<String>,
}

impl From<FullHero> for HeroOut {
    fn from(FullHero { hero, types }: FullHero) -> Self {
        Self {
            hero: hero.into(),
            rank: types.rank,
            powers: types.powers,
            profile: types.profile,
            public_id: types.public_id,
            salary: types.salary.map(|s| s.to_string()),
        }
    }
}

/// A hero's rank: PostgreSQL's `hero_rank` enum, in its order. (The OpenAPI
/// document's name for [`HeroRank`].)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Rank {
    /// The default.
    Rookie,
    /// Between.
    Veteran,
    /// The highest.
    Legend,
}

/// A hero in brief, the study's columns: what `GET /heroes/export` streams and
/// `GET /teams?include=heroes` nests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeroBrief {
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

impl From<Hero> for HeroBrief {
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
    #[schema(value_type = Name)]
    pub name: String,
    /// Up to 200 characters, no NUL.
    #[serde(default)]
    #[schema(value_type = Option<Text>)]
    pub secret_name: Option<String>,
    /// 0 or more.
    #[serde(default, deserialize_with = "whole")]
    #[schema(value_type = Option<Age>)]
    pub age: Option<i32>,
    /// An existing team's id.
    #[serde(default, deserialize_with = "whole")]
    #[schema(value_type = Option<Id>)]
    pub team_id: Option<i64>,
    /// `rookie` (the default), `veteran` or `legend`.
    #[serde(default)]
    #[schema(value_type = Option<Rank>)]
    pub rank: Option<HeroRank>,
    /// Up to 50 strings of up to 200 characters, no NUL (default: none).
    #[serde(default)]
    #[schema(value_type = Option<Powers>)]
    pub powers: Option<Vec<String>>,
    /// A JSON object (`catchphrase`: a string, `weaknesses`: strings, any
    /// other key kept as sent), no NUL in any string; or null.
    #[serde(default)]
    #[schema(value_type = Option<ProfileDoc>)]
    pub profile: Option<Profile>,
    /// A decimal string: up to 10 digits before the point and 2 after, an
    /// optional leading `-` (`"1234567890.12"`); or null.
    #[serde(default)]
    #[schema(value_type = Option<Salary>)]
    pub salary: Option<String>,
}

impl HeroIn {
    /// Checks the rules and stamps `app_src`: the row to insert, and the
    /// revision 3 columns to set on it when any was given.
    pub fn validate(self, app_src: &str) -> Result<(NewHero, Option<HeroChanges>), String> {
        let hero = NewHero {
            name: name("name", self.name)?,
            secret_name: self
                .secret_name
                .map(|s| text("secret_name", s))
                .transpose()?,
            age: self.age.map(age).transpose()?,
            app_src: app_src.to_owned(),
            team_id: self.team_id.map(|id| positive("team_id", id)).transpose()?,
        };
        let types = HeroChanges {
            rank: self.rank,
            powers: self.powers.map(powers).transpose()?,
            profile: self.profile.map(|p| profile(p).map(Some)).transpose()?,
            salary: self.salary.map(|s| salary(&s).map(Some)).transpose()?,
            ..HeroChanges::default()
        };
        Ok((hero, (!types.is_empty()).then_some(types)))
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
    #[schema(value_type = Name)]
    pub name: Option<Option<String>>,
    /// A new secret name, or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Text>)]
    pub secret_name: Option<Option<String>>,
    /// A new age, or null to clear it.
    #[serde(default, deserialize_with = "present_whole")]
    #[schema(value_type = Option<Age>)]
    pub age: Option<Option<i32>>,
    /// Another team, or null for none.
    #[serde(default, deserialize_with = "present_whole")]
    #[schema(value_type = Option<Id>)]
    pub team_id: Option<Option<i64>>,
    /// A new rank; cannot be null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Rank)]
    pub rank: Option<Option<HeroRank>>,
    /// New powers, replacing the old ones (`[]` for none); cannot be null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Powers)]
    pub powers: Option<Option<Vec<String>>>,
    /// A new profile, replacing the old one, or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ProfileDoc>)]
    pub profile: Option<Option<Profile>>,
    /// A new salary (a decimal string, as on creation), or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Salary>)]
    pub salary: Option<Option<String>>,
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
        let not_null = |field: &str| format!("{field} cannot be null; leave it out to keep it");
        Ok(HeroChanges {
            name,
            secret_name: opt(self.secret_name)?,
            age: self.age.map(|a| a.map(age).transpose()).transpose()?,
            team_id: self
                .team_id
                .map(|t| t.map(|id| positive("team_id", id)).transpose())
                .transpose()?,
            rank: self
                .rank
                .map(|r| r.ok_or_else(|| not_null("rank")))
                .transpose()?,
            powers: match self.powers {
                None => None,
                Some(None) => return Err(not_null("powers")),
                Some(Some(list)) => Some(powers(list)?),
            },
            profile: self
                .profile
                .map(|p| p.map(profile).transpose())
                .transpose()?,
            salary: self
                .salary
                .map(|s| s.map(|s| salary(&s)).transpose())
                .transpose()?,
        })
    }
}

/// An integer as JSON counts one: `25`, and also `25.0` (JSON Schema's
/// `integer` is any number without a fraction); `25.5` or one out of `T`'s
/// range is an error.
fn whole<'de, T: TryFrom<i64>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    use serde::de::Error as _;
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let integer = match (number.as_i64(), number.as_f64()) {
        (Some(i), _) => Some(i),
        // In range for i64 and without a fraction: exact as an i64.
        #[allow(clippy::cast_possible_truncation)]
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
        _ => None,
    };
    integer
        .and_then(|i| T::try_from(i).ok())
        .map(Some)
        .ok_or_else(|| {
            D::Error::custom(format!(
                "invalid value: {number}, expected an integer in range"
            ))
        })
}

/// An integer in a query string, as JSON Schema counts one: `25`, and also
/// `25.0`; anything else, or one out of `T`'s range, is an error (a 400).
fn query_whole<'de, T: TryFrom<i64>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    use serde::de::Error as _;
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let digits = match text.split_once('.') {
        Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => whole,
        _ => text.as_str(),
    };
    digits
        .parse::<i64>()
        .ok()
        .and_then(|i| T::try_from(i).ok())
        .map(Some)
        .ok_or_else(|| {
            D::Error::custom(format!(
                "invalid value '{text}', expected an integer in range"
            ))
        })
}

/// [`whole`], telling "absent" from "null" like [`present`].
fn present_whole<'de, T: TryFrom<i64>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    whole(d).map(Some)
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
    pub heroes: Option<Vec<HeroBrief>>,
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
            heroes: Some(heroes.into_iter().map(HeroBrief::from).collect()),
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
    #[param(value_type = Option<Include>)]
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
    #[schema(value_type = Name)]
    pub name: String,
    /// Up to 200 characters, no NUL.
    #[serde(default)]
    #[schema(value_type = Option<Text>)]
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
    #[param(value_type = Option<Text>)]
    pub app_src: Option<String>,
    /// The name contains this text, ignoring case; `%` and `_` are plain characters.
    #[param(value_type = Option<Text>)]
    pub name_contains: Option<String>,
    /// Age at least this (0 or more); heroes of unknown age are left out.
    #[param(value_type = Option<Age>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub min_age: Option<i32>,
    /// Age at most this (0 or more; below `min_age`, no hero matches).
    #[param(value_type = Option<Age>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub max_age: Option<i32>,
    /// Only this team's heroes (an id, 1 or more).
    #[param(value_type = Option<Id>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub team_id: Option<i64>,
    /// Only heroes of this rank.
    #[param(value_type = Option<Rank>)]
    pub rank: Option<String>,
    /// Only heroes having this power (an exact string).
    #[param(value_type = Option<Text>)]
    pub power: Option<String>,
    /// `id` (default), `name` or `age`; a leading `-` sorts largest first.
    /// Ties are broken by id.
    #[param(value_type = Option<OrderBy>)]
    pub order_by: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(value_type = Option<Limit>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub limit: Option<i64>,
    /// Rows to skip, 0 or more (default 0).
    #[param(value_type = Option<Offset>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub offset: Option<i64>,
}

/// The query string of `GET /heroes/export`: the filters of [`ListParams`],
/// no page (every matching hero) and id order.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// As in `GET /heroes`.
    #[param(value_type = Option<Text>)]
    pub app_src: Option<String>,
    /// As in `GET /heroes`.
    #[param(value_type = Option<Text>)]
    pub name_contains: Option<String>,
    /// As in `GET /heroes`.
    #[param(value_type = Option<Age>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub min_age: Option<i32>,
    /// As in `GET /heroes`.
    #[param(value_type = Option<Age>)]
    #[serde(default, deserialize_with = "query_whole")]
    pub max_age: Option<i32>,
    /// As in `GET /heroes`.
    #[param(value_type = Option<Id>)]
    #[serde(default, deserialize_with = "query_whole")]
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
            rank: self.rank.as_deref().map(rank).transpose()?,
            power: self.power.map(|p| text("power", p)).transpose()?,
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

/// A rank given as text (a query string): one of `hero_rank`'s labels.
pub fn rank(label: &str) -> Result<HeroRank, String> {
    label.parse().map_err(|_| {
        format!(
            "rank must be rookie, veteran or legend, got '{}'",
            label.escape_debug()
        )
    })
}

/// Powers: at most [`MAX_POWERS`], each free [`text`].
fn powers(list: Vec<String>) -> Result<Vec<String>, String> {
    if list.len() > MAX_POWERS {
        return Err(format!(
            "powers has {} entries; at most {MAX_POWERS} are allowed",
            list.len()
        ));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, power)| text(&format!("powers[{i}]"), power))
        .collect()
}

/// A profile: any JSON object, but no NUL character in any string or key,
/// which `jsonb` cannot store.
fn profile(profile: Profile) -> Result<Profile, String> {
    fn has_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(has_nul),
            serde_json::Value::Object(map) => {
                map.iter().any(|(k, v)| k.contains('\0') || has_nul(v))
            }
            _ => false,
        }
    }
    let document = serde_json::to_value(&profile).map_err(|e| format!("profile: {e}"))?;
    if has_nul(&document) {
        return Err("profile must not contain a NUL character in any string".to_owned());
    }
    Ok(profile)
}

/// A salary: a decimal string with at most [`SALARY_INTEGER_DIGITS`] digits
/// before the point and [`SALARY_SCALE`] after, and an optional leading `-`:
/// what `numeric(12,2)` holds without rounding. Read exactly, never through
/// a float.
pub fn salary(text: &str) -> Result<Decimal, String> {
    let bad = || {
        format!(
            "salary must be a decimal string with at most {SALARY_INTEGER_DIGITS} digits before the point \
             and {SALARY_SCALE} after, like \"1234567890.12\"; got \"{}\"",
            text.escape_debug()
        )
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let fraction_ok = if digits.contains('.') {
        (1..=SALARY_SCALE).contains(&fraction.len())
    } else {
        true
    };
    if whole.is_empty()
        || whole.len() > SALARY_INTEGER_DIGITS
        || !all_digits(whole)
        || !all_digits(fraction)
        || !fraction_ok
    {
        return Err(bad());
    }
    text.parse::<Decimal>().map_err(|_| bad())
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
            rank: None,
            powers: None,
            profile: None,
            salary: None,
        };
        let ok = hero(" O'Brien \"🦀\" ").validate("x").map(|h| h.0.name);
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
        // min_age above max_age is no error: no hero matches.
        assert_eq!(
            age(Some(30), Some(20)).validate().map(|s| s.max_age),
            Ok(Some(20))
        );
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

    #[test]
    fn a_salary_is_exact_and_fits_numeric_12_2() {
        let ok = |text: &str| salary(text).map(|d| d.to_string());
        assert_eq!(ok("1234567890.12"), Ok("1234567890.12".to_owned()));
        assert_eq!(ok("9999999999.99"), Ok("9999999999.99".to_owned()));
        assert_eq!(ok("0.10"), Ok("0.10".to_owned()));
        assert_eq!(ok("-0.01"), Ok("-0.01".to_owned()));
        assert_eq!(ok("7"), Ok("7".to_owned()));
        for bad in [
            "12345678901", // 11 digits before the point
            "0.125",       // 3 after
            "1.",
            ".5",
            "",
            "-",
            "1e3",
            "+1",
            " 1",
            "1,5",
            "NaN",
            "٣",
        ] {
            let err = salary(bad).err().unwrap_or_default();
            assert!(err.contains("salary"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn typed_fields_are_checked_and_name_the_field() {
        let body = |json: &str| {
            serde_json::from_str::<HeroIn>(json)
                .map_err(|e| e.to_string())
                .and_then(|h| h.validate("x").map(|(_, types)| types))
        };
        let types = body(r#"{"name": "a", "rank": "legend", "powers": ["x"], "salary": "1.50"}"#);
        let types = types.ok().flatten().unwrap_or_default();
        assert_eq!(types.rank, Some(HeroRank::Legend));
        assert_eq!(types.powers, Some(vec!["x".to_owned()]));
        assert_eq!(types.salary, Some(Some(Decimal::new(150, 2))));
        assert_eq!(body(r#"{"name": "a"}"#), Ok(None));
        let err = |json: &str| body(json).err().unwrap_or_default();
        assert!(err(r#"{"name": "a", "rank": "mythic"}"#).contains("legend"));
        assert!(err(r#"{"name": "a", "powers": "x"}"#).contains("sequence"));
        assert!(err(r#"{"name": "a", "powers": [1]}"#).contains("string"));
        assert!(err(r#"{"name": "a", "powers": ["a\u0000"]}"#).contains("powers[0]"));
        assert!(err(r#"{"name": "a", "salary": 1.5}"#).contains("string"));
        assert!(err(r#"{"name": "a", "salary": "0.125"}"#).contains("salary"));
        assert!(err(r#"{"name": "a", "profile": {"k": "\u0000"}}"#).contains("NUL"));
        let not_an_object = body(r#"{"name": "a", "profile": []}"#);
        assert!(not_an_object.is_err(), "{not_an_object:?}");
        assert!(rank("mythic").is_err_and(|e| e.contains("rookie, veteran or legend")));
        let patch: HeroPatch = serde_json::from_str(r#"{"rank": null}"#).unwrap_or_default();
        assert!(
            patch
                .validate()
                .is_err_and(|e| e.contains("rank cannot be null"))
        );
        let patch: HeroPatch = serde_json::from_str(r#"{"salary": null}"#).unwrap_or_default();
        assert_eq!(patch.validate().map(|c| c.salary), Ok(Some(None)));
    }

    #[test]
    fn an_integer_may_be_written_with_a_zero_fraction() {
        let age = |json: &str| {
            serde_json::from_str::<HeroIn>(&format!(r#"{{"name": "a", "age": {json}}}"#))
                .map(|h| h.age)
                .map_err(|e| e.to_string())
        };
        assert_eq!(age("25"), Ok(Some(25)));
        assert_eq!(age("25.0"), Ok(Some(25)));
        assert_eq!(age("null"), Ok(None));
        assert!(age("25.5").is_err());
        assert!(age("3000000000").is_err());
        assert!(age(r#""25""#).is_err());
        let patch: HeroPatch = serde_json::from_str(r#"{"team_id": 7.0}"#).unwrap_or_default();
        assert_eq!(patch.team_id, Some(Some(7)));
    }

    #[test]
    fn a_query_integer_may_have_a_zero_fraction() {
        let limit = |query: &str| {
            serde_urlencoded::from_str::<ListParams>(query)
                .map(|p| p.limit)
                .map_err(|e| e.to_string())
        };
        assert_eq!(limit("limit=10"), Ok(Some(10)));
        assert_eq!(limit("limit=10.0"), Ok(Some(10)));
        assert_eq!(limit(""), Ok(None));
        for bad in [
            "limit=10.5",
            "limit=ten",
            "limit=",
            "limit=1e1",
            "limit=99999999999999999999",
        ] {
            assert!(limit(bad).is_err_and(|e| e.contains("integer")), "{bad}");
        }
    }

    #[test]
    fn the_documented_ranks_are_the_enum_labels() {
        let documented = [Rank::Rookie, Rank::Veteran, Rank::Legend]
            .map(|r| serde_json::to_value(r).unwrap_or_default());
        let labels = HeroRank::ALL.map(|r| serde_json::Value::from(r.as_str()));
        assert_eq!(documented, labels);
    }
}
