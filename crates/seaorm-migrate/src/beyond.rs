//! Beyond the study: related rows, filters that are given or not, and more
//! rows than fit in memory, through SeaORM's entities.
//!
//! SeaORM knows the relation (`team` has many `hero`, declared in the
//! entities) but never loads it behind your back: there is no lazy
//! attribute to touch by mistake. You ask for related rows by name, in one
//! JOIN or in a second query, and the loop that asks team by team is the
//! one thing to avoid.

use futures_util::{Stream, TryStreamExt as _};
use heroes_model::entity::{hero, team};
use heroes_model::{Hero, HeroSearch, NewHero, SortKey, TeamWithHeroes};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::extension::postgres::PgExpr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, LoaderTrait, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Statement, StreamTrait,
};

use crate::error::{Error, Result};

// ANCHOR: n_plus_one
/// The trap: the teams, then `find_related` once per team. This is what
/// touching `team.heroes` in a loop does with SQLAlchemy's lazy loading (and
/// what raises `MissingGreenlet` in an `AsyncSession`). Returns the
/// statements it sent beside the teams: 1 + one per team.
pub async fn teams_one_by_one(db: &impl ConnectionTrait) -> Result<(Vec<TeamWithHeroes>, usize)> {
    let teams = team::Entity::find()
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?;
    let mut statements = 1;
    let mut loaded = Vec::with_capacity(teams.len());
    for team in teams {
        let heroes = team
            .find_related(hero::Entity)
            .order_by_asc(hero::Column::Id)
            .all(db)
            .await?;
        statements += 1;
        loaded.push((team.into(), heroes.into_iter().map(Hero::from).collect()));
    }
    Ok((loaded, statements))
}
// ANCHOR_END: n_plus_one

// ANCHOR: loader
/// `selectinload`: two queries whatever the number of teams. The loader
/// (`load_many`) asks for the heroes of all the teams at once
/// (`team_id IN (...)`) and hands back one `Vec` per team, in the teams'
/// order.
pub async fn teams_with_heroes(db: &impl ConnectionTrait) -> Result<Vec<TeamWithHeroes>> {
    let teams = team::Entity::find()
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?;
    let heroes = teams
        .load_many(hero::Entity::find().order_by_asc(hero::Column::Id), db)
        .await?;
    Ok(teams
        .into_iter()
        .zip(heroes)
        .map(|(team, heroes)| (team.into(), heroes.into_iter().map(Hero::from).collect()))
        .collect())
}
// ANCHOR_END: loader

// ANCHOR: joined
/// `joinedload`: `find_with_related` sends one `LEFT JOIN` and folds its
/// rows into one entry per team (a team without heroes gets an empty `Vec`).
pub async fn teams_joined(db: &impl ConnectionTrait) -> Result<Vec<TeamWithHeroes>> {
    let rows = team::Entity::find()
        .find_with_related(hero::Entity)
        .order_by_asc(team::Column::Id)
        .order_by_asc(hero::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(team, heroes)| (team.into(), heroes.into_iter().map(Hero::from).collect()))
        .collect())
}
// ANCHOR_END: joined

// ANCHOR: search
/// The query for the filters that are given: `Condition::all()` is an AND of
/// whatever is added, and `add_option` adds nothing for a `None`. Every
/// value is a bound parameter.
pub fn filtered(search: &HeroSearch) -> Select<hero::Entity> {
    let name = search
        .name_pattern()
        .map(|pattern| Expr::col((hero::Entity, hero::Column::Name)).ilike(pattern));
    let filters = Condition::all()
        .add_option(name)
        .add_option(search.min_age.map(|min| hero::Column::Age.gte(min)))
        .add_option(search.max_age.map(|max| hero::Column::Age.lte(max)))
        .add_option(search.team_id.map(|team| hero::Column::TeamId.eq(team)))
        .add_option(
            search
                .app_src
                .as_deref()
                .map(|src| hero::Column::AppSrc.eq(src)),
        )
        .add_option(search.rank.map(|rank| hero::Column::Rank.eq(rank)))
        .add_option(
            search
                .power
                .clone()
                .map(|power| Expr::col(hero::Column::Powers).contains(vec![power])),
        );
    let column = match search.order.by {
        SortKey::Id => hero::Column::Id,
        SortKey::Name => hero::Column::Name,
        SortKey::Age => hero::Column::Age,
    };
    let query = hero::Entity::find().filter(filters);
    let query = if search.order.descending {
        query.order_by_desc(column)
    } else {
        query.order_by_asc(column)
    };
    query.order_by_asc(hero::Column::Id)
}

/// One page of [`filtered`].
pub async fn search(db: &impl ConnectionTrait, search: &HeroSearch) -> Result<Vec<Hero>> {
    let rows = filtered(search)
        .limit(search.limit.and_then(|n| u64::try_from(n).ok()))
        .offset(u64::try_from(search.offset).ok())
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Hero::from).collect())
}
// ANCHOR_END: search

// ANCHOR: stream
/// Every matching hero in id order, as a stream: `stream` (not `all`) hands
/// over each row as sqlx decodes it, so memory holds a few rows, not all of
/// them (`stream_scalars`). The stream borrows `db` (and, on a
/// `DatabaseConnection`, holds one pooled connection) until it is dropped.
pub async fn stream<'c, C>(
    db: &'c C,
    search: &HeroSearch,
) -> Result<impl Stream<Item = Result<Hero>> + Send + 'c>
where
    C: ConnectionTrait + StreamTrait + Sync,
{
    let query = filtered(&HeroSearch {
        order: Default::default(),
        ..search.clone()
    });
    let rows = query.stream(db).await?;
    Ok(rows.map_ok(Hero::from).map_err(Error::from))
}
// ANCHOR_END: stream

// ANCHOR: add_all_json
/// [`crate::queries::add_all`]'s array twin. `insert_many` binds five
/// parameters per row (500 for 100 heroes), in a statement whose text changes
/// with the row count and which PostgreSQL caps at 65,535 parameters. Here
/// the rows go as one JSON parameter that `jsonb_to_recordset` turns back
/// into rows, whatever the count. (The `UNNEST` of five arrays that the other
/// crates send needs arrays with NULLs in them, which SeaORM's sqlx binder
/// cannot send.) The price is SQL by hand, read back into the entity by
/// `from_raw_sql`, which wants every column of the entity: `RETURNING` names
/// all twelve.
pub async fn add_all_json(db: &impl ConnectionTrait, rows: &[NewHero]) -> Result<Vec<Hero>> {
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|h| {
            serde_json::json!({
                "name": h.name, "secret_name": h.secret_name, "age": h.age,
                "app_src": h.app_src, "team_id": h.team_id,
            })
        })
        .collect();
    let insert = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO heroes (name, secret_name, age, app_src, team_id) \
         SELECT name, secret_name, age, app_src, team_id FROM jsonb_to_recordset($1::text::jsonb) \
           AS r(name text, secret_name text, age int4, app_src text, team_id int8) \
         RETURNING id, name, secret_name, age, app_src, created_at, team_id, \
                   rank, powers, profile, public_id, salary",
        [serde_json::Value::Array(json).to_string().into()],
    );
    let saved = hero::Entity::find().from_raw_sql(insert).all(db).await?;
    Ok(saved.into_iter().map(Hero::from).collect())
}
// ANCHOR_END: add_all_json
