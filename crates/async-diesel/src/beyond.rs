//! Beyond the study: related rows, filters that are given or not, and more
//! rows than fit in memory, in Diesel's query builder run by diesel-async.
//!
//! Diesel has no lazy relationships to trip over: related rows are loaded
//! only by a query you write, and the two ways to write it are below. Every
//! query here is built exactly as in sync Diesel; only running it awaits.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::{Stream, TryStreamExt as _};
use heroes_model::schema::{heroes, teams};
use heroes_model::{Hero, HeroColumns, HeroSearch, NewHero, SortKey, Team, TeamWithHeroes};

use crate::error::{Error, Result};

// ANCHOR: n_plus_one
/// The trap: the teams, then one more query per team for its heroes. This is
/// what touching `team.heroes` in a loop does with SQLAlchemy's lazy loading
/// (and what raises `MissingGreenlet` in an `AsyncSession`). Returns the
/// statements it sent beside the teams: 1 + one per team.
pub async fn teams_one_by_one(
    conn: &mut AsyncPgConnection,
) -> Result<(Vec<TeamWithHeroes>, usize)> {
    let teams: Vec<Team> = teams::table.order(teams::id).load(conn).await?;
    let mut statements = 1;
    let mut loaded = Vec::with_capacity(teams.len());
    for team in teams {
        let heroes = Hero::belonging_to(&team)
            .select(Hero::as_select())
            .order(heroes::id)
            .load(conn)
            .await?;
        statements += 1;
        loaded.push((team, heroes));
    }
    Ok((loaded, statements))
}
// ANCHOR_END: n_plus_one

// ANCHOR: grouped
/// `selectinload`: two queries whatever the number of teams. `belonging_to`
/// asks for the heroes of all the teams at once (`team_id = ANY($1)`), and
/// `grouped_by` sorts them into one `Vec` per team, in the teams' order.
pub async fn teams_with_heroes(conn: &mut AsyncPgConnection) -> Result<Vec<TeamWithHeroes>> {
    let teams: Vec<Team> = teams::table.order(teams::id).load(conn).await?;
    let heroes: Vec<Hero> = Hero::belonging_to(&teams)
        .select(Hero::as_select())
        .order(heroes::id)
        .load(conn)
        .await?;
    let grouped = heroes.grouped_by(&teams);
    Ok(teams.into_iter().zip(grouped).collect())
}
// ANCHOR_END: grouped

// ANCHOR: joined
/// `joinedload`: one `LEFT JOIN`, each row a `(Team, Option<Hero>)` (the
/// hero is `None` for a team without heroes), folded into one entry per
/// team. Rows arrive sorted by team, so a team's heroes are consecutive.
pub async fn teams_joined(conn: &mut AsyncPgConnection) -> Result<Vec<TeamWithHeroes>> {
    let rows: Vec<(Team, Option<Hero>)> = teams::table
        .left_join(heroes::table)
        .select((Team::as_select(), Option::<Hero>::as_select()))
        .order((teams::id, heroes::id))
        .load(conn)
        .await?;
    let mut teams: Vec<TeamWithHeroes> = Vec::new();
    for (team, hero) in rows {
        match teams.last_mut() {
            Some((last, heroes)) if last.id == team.id => heroes.extend(hero),
            _ => teams.push((team, hero.into_iter().collect())),
        }
    }
    Ok(teams)
}
// ANCHOR_END: joined

// ANCHOR: search
/// The query for the filters that are given: `into_boxed()` turns the query
/// into one type whatever filters are added, so that each `if` can add one.
/// Every value is a bound parameter; only the text of the query varies.
pub fn filtered(search: &HeroSearch) -> heroes::BoxedQuery<'static, Pg> {
    let mut query = heroes::table.into_boxed();
    if let Some(pattern) = search.name_pattern() {
        query = query.filter(heroes::name.ilike(pattern));
    }
    if let Some(min) = search.min_age {
        query = query.filter(heroes::age.ge(min));
    }
    if let Some(max) = search.max_age {
        query = query.filter(heroes::age.le(max));
    }
    if let Some(team_id) = search.team_id {
        query = query.filter(heroes::team_id.eq(team_id));
    }
    if let Some(app_src) = search.app_src.clone() {
        query = query.filter(heroes::app_src.eq(app_src));
    }
    if let Some(rank) = search.rank {
        query = query.filter(heroes::rank.eq(rank));
    }
    if let Some(power) = search.power.clone() {
        query = query.filter(heroes::powers.contains(vec![power]));
    }
    query = match (search.order.by, search.order.descending) {
        (SortKey::Id, false) => query.order(heroes::id),
        (SortKey::Id, true) => query.order(heroes::id.desc()),
        (SortKey::Name, false) => query.order(heroes::name),
        (SortKey::Name, true) => query.order(heroes::name.desc()),
        (SortKey::Age, false) => query.order(heroes::age),
        (SortKey::Age, true) => query.order(heroes::age.desc()),
    };
    query.then_order_by(heroes::id)
}

/// One page of [`filtered`].
pub async fn search(conn: &mut AsyncPgConnection, search: &HeroSearch) -> Result<Vec<Hero>> {
    let mut query = filtered(search).offset(search.offset);
    if let Some(limit) = search.limit {
        query = query.limit(limit);
    }
    Ok(query.select(Hero::as_select()).load(conn).await?)
}
// ANCHOR_END: search

// ANCHOR: stream
/// Every matching hero in id order, as a stream: `load_stream` (not `load`)
/// hands over each row as tokio-postgres reads it, so memory holds a few
/// rows, not all of them (`stream_scalars`).
pub async fn stream<'c>(
    conn: &'c mut AsyncPgConnection,
    search: &HeroSearch,
) -> Result<impl Stream<Item = Result<Hero>> + Send + 'c> {
    let query = filtered(&HeroSearch {
        order: Default::default(),
        ..search.clone()
    });
    let rows = query.select(Hero::as_select()).load_stream(conn).await?;
    Ok(rows.map_err(Error::from))
}
// ANCHOR_END: stream

// ANCHOR: add_all_unnest
/// [`crate::queries::add_all`]'s array twin: the rows go as five arrays, one
/// per column, which PostgreSQL's `UNNEST` turns back into rows: five
/// parameters whatever the row count, where multi-row `VALUES` binds five
/// per row. SQL by hand (`sql_query`), read back by column name.
pub async fn add_all_unnest(conn: &mut AsyncPgConnection, rows: &[NewHero]) -> Result<Vec<Hero>> {
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
    let columns = HeroColumns::of(rows);
    Ok(diesel::sql_query(heroes_model::INSERT_UNNEST)
        .bind::<Array<Text>, _>(columns.names)
        .bind::<Array<Nullable<Text>>, _>(columns.secret_names)
        .bind::<Array<Nullable<Integer>>, _>(columns.ages)
        .bind::<Array<Text>, _>(columns.app_srcs)
        .bind::<Array<Nullable<BigInt>>, _>(columns.team_ids)
        .load(conn)
        .await?)
}
// ANCHOR_END: add_all_unnest
