//! The study's queries as Diesel query *values*. Building a query and running
//! it are separate steps in Diesel: [`crate::heroes`] runs these with
//! `.first(conn)` on a blocking connection, and async-diesel compiles this very
//! file into itself (`#[path]` in its `lib.rs`) and runs the same values with
//! `.first(conn).await`. Nothing here touches a connection, so nothing here
//! links libpq.
//!
//! `#[dsl::auto_type]` writes the (long) return types out for us. It does not
//! handle INSERT/UPDATE/DELETE statements, so each crate writes those itself.

use diesel::dsl::{self, AsSelect};
use diesel::pg::Pg;
use diesel::prelude::*;

use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, Team};

/// `SELECT <hero columns> FROM heroes WHERE id = $1`.
#[dsl::auto_type(no_type_alias)]
pub fn get(id: i64) -> _ {
    let hero: AsSelect<Hero, Pg> = Hero::as_select();
    heroes::table.find(id).select(hero)
}

/// `SELECT <hero columns> FROM heroes WHERE name = $1`.
#[dsl::auto_type(no_type_alias)]
pub fn by_name<'a>(name: &'a str) -> _ {
    let hero: AsSelect<Hero, Pg> = Hero::as_select();
    heroes::table.filter(heroes::name.eq(name)).select(hero)
}

/// `SELECT secret_name FROM heroes WHERE name = $1`: one column.
#[dsl::auto_type(no_type_alias)]
pub fn secret_name_of<'a>(name: &'a str) -> _ {
    heroes::table
        .filter(heroes::name.eq(name))
        .select(heroes::secret_name)
}

/// `SELECT count(*) FROM heroes`.
#[dsl::auto_type(no_type_alias)]
pub fn count() -> _ {
    heroes::table.select(dsl::count_star())
}

/// `SELECT <hero columns> FROM heroes WHERE app_src = $1 ORDER BY id`.
#[dsl::auto_type(no_type_alias)]
pub fn by_app_src<'a>(app_src: &'a str) -> _ {
    let hero: AsSelect<Hero, Pg> = Hero::as_select();
    heroes::table
        .filter(heroes::app_src.eq(app_src))
        .order(heroes::id)
        .select(hero)
}

/// `SELECT <hero>, <team> FROM heroes LEFT JOIN teams ON teams.id = heroes.team_id
/// WHERE app_src = $1 ORDER BY heroes.id`: a team is `None` for heroes without one.
#[dsl::auto_type(no_type_alias)]
pub fn with_teams<'a>(app_src: &'a str) -> _ {
    let hero: AsSelect<Hero, Pg> = Hero::as_select();
    let team: AsSelect<Option<Team>, Pg> = Option::<Team>::as_select();
    heroes::table
        .left_join(teams::table)
        .filter(heroes::app_src.eq(app_src))
        .order(heroes::id)
        .select((hero, team))
}

/// One page of heroes in id order, for the API's `GET /heroes`: all of
/// them, or only those of `app_src`. Boxed, because whether the filter is
/// there is decided at run time (a boxed query is one type either way).
pub fn page<'a>(
    app_src: Option<&'a str>,
    limit: i64,
    offset: i64,
) -> heroes::BoxedQuery<'a, Pg, diesel::dsl::SqlTypeOf<AsSelect<Hero, Pg>>> {
    let mut query = heroes::table
        .select(Hero::as_select())
        .order(heroes::id)
        .limit(limit)
        .offset(offset)
        .into_boxed();
    if let Some(app_src) = app_src {
        query = query.filter(heroes::app_src.eq(app_src));
    }
    query
}

/// `SELECT <team columns> FROM teams WHERE id = $1`.
#[dsl::auto_type(no_type_alias)]
pub fn team(id: i64) -> _ {
    let team: AsSelect<Team, Pg> = Team::as_select();
    teams::table.find(id).select(team)
}

/// `SELECT <hero columns> FROM heroes JOIN teams ON teams.id = heroes.team_id
/// WHERE teams.id = $1 ORDER BY heroes.id`: a team's heroes, through the join.
#[dsl::auto_type(no_type_alias)]
pub fn of_team(team_id: i64) -> _ {
    let hero: AsSelect<Hero, Pg> = Hero::as_select();
    heroes::table
        .inner_join(teams::table)
        .filter(teams::id.eq(team_id))
        .order(heroes::id)
        .select(hero)
}

/// `echo=True` for both diesel crates: from now on every new connection (sync
/// or async) prints each SQL statement, with its bind values, before sending it.
pub fn enable_echo() {
    use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
    fn echo() -> Option<Box<dyn Instrumentation>> {
        Some(Box::new(|event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                support::narrate::sql(query);
            }
        }))
    }
    // Fails only if another thread panicked while setting it; echo is a
    // debugging aid, so carry on without it then.
    let _ = set_default_instrumentation(echo);
}

/// Reads a unique-name violation from a Diesel error (sync or async, both
/// report errors as `diesel::result::Error`): `Some(("hero", "sandy"))` when an
/// insert hit `heroes_name_key` with the name "sandy", `None` for any other error.
pub fn already_exists(err: &diesel::result::Error) -> Option<(&'static str, String)> {
    use diesel::result::{DatabaseErrorKind, Error};
    let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = err else {
        return None;
    };
    support::unique_name_violation(info.constraint_name(), info.details())
}

/// What a Diesel error means to a server that must answer for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// A foreign key pointed nowhere (a hero's `team_id` names no team).
    MissingReference,
    /// The connection is gone or the server is ending sessions: try later.
    Unavailable,
    /// Anything else.
    Other,
}

/// Sorts a Diesel error (sync or async) into a [`Trouble`]. Diesel reports
/// no SQLSTATE, so a session the server is ending (57P01, 57P02) is told by
/// the server's own words, "terminating connection".
pub fn trouble(err: &diesel::result::Error) -> Trouble {
    use diesel::result::{DatabaseErrorKind, Error};
    let Error::DatabaseError(kind, info) = err else {
        return Trouble::Other;
    };
    match kind {
        DatabaseErrorKind::ForeignKeyViolation => Trouble::MissingReference,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Trouble::Unavailable
        }
        _ if info.message().starts_with("terminating connection") => Trouble::Unavailable,
        _ => Trouble::Other,
    }
}
