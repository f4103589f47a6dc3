//! Beyond the study: related rows, filters that are given or not, and more
//! rows than fit in memory. Each is where SQLAlchemy users reach next, and
//! where the four libraries differ most.
//!
//! sqlx has no relationships: a "team with its heroes" is whatever SQL you
//! write and however you fold its rows. The compile-time check still covers
//! every statement whose text is fixed; the dynamic filter below is the one
//! place this crate gives it up, on purpose.

use futures_util::{Stream, TryStreamExt as _};
use heroes_model::{Hero, HeroRank, HeroSearch, SortKey, Team, TeamWithHeroes};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::error::{Error, Result};

// ANCHOR: n_plus_one
/// The trap: the teams, then one more query per team for its heroes. This is
/// what touching `team.heroes` in a loop does with SQLAlchemy's lazy loading
/// (and what raises `MissingGreenlet` in an `AsyncSession`). Returns the
/// statements it sent beside the teams: 1 + one per team.
pub async fn teams_one_by_one(conn: &mut PgConnection) -> Result<(Vec<TeamWithHeroes>, usize)> {
    let teams = sqlx::query_as!(Team, "SELECT id, name, headquarters FROM teams ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    let mut statements = 1;
    let mut loaded = Vec::with_capacity(teams.len());
    for team in teams {
        let heroes = sqlx::query_as!(
            Hero,
            "SELECT id, name, secret_name, age, app_src, created_at, team_id
               FROM heroes WHERE team_id = $1 ORDER BY id",
            team.id
        )
        .fetch_all(&mut *conn)
        .await?;
        statements += 1;
        loaded.push((team, heroes));
    }
    Ok((loaded, statements))
}
// ANCHOR_END: n_plus_one

// ANCHOR: joined
/// `joinedload`: one `LEFT JOIN`, one row per (team, hero), folded into
/// nested values in Rust. Rows arrive sorted by team, so a team's heroes are
/// consecutive; a team without heroes comes as one row of NULL hero columns
/// (the `?` aliases tell sqlx they may be NULL).
pub async fn teams_with_heroes(conn: &mut PgConnection) -> Result<Vec<TeamWithHeroes>> {
    let rows = sqlx::query!(
        r#"SELECT t.id AS team_id, t.name AS team_name, t.headquarters,
                  h.id AS "id?", h.name AS "name?", h.secret_name, h.age,
                  h.app_src AS "app_src?", h.created_at AS "created_at?"
             FROM teams t LEFT JOIN heroes h ON h.team_id = t.id
            ORDER BY t.id, h.id"#
    )
    .fetch_all(conn)
    .await?;
    let mut teams: Vec<TeamWithHeroes> = Vec::new();
    for row in rows {
        if teams.last().is_none_or(|(team, _)| team.id != row.team_id) {
            let team = Team {
                id: row.team_id,
                name: row.team_name,
                headquarters: row.headquarters,
            };
            teams.push((team, Vec::new()));
        }
        if let (Some((_, heroes)), Some(id), Some(name), Some(app_src), Some(created_at)) = (
            teams.last_mut(),
            row.id,
            row.name,
            row.app_src,
            row.created_at,
        ) {
            heroes.push(Hero {
                id,
                name,
                secret_name: row.secret_name,
                age: row.age,
                app_src,
                created_at,
                team_id: Some(row.team_id),
            });
        }
    }
    Ok(teams)
}
// ANCHOR_END: joined

// ANCHOR: json_agg
/// The same in one row per team: PostgreSQL nests the heroes itself
/// (`json_agg`), and serde reads them. Less to fold, but the heroes cross
/// as JSON text, and their columns are checked by serde at run time, not by
/// `query!` at build time.
pub async fn teams_with_heroes_json(conn: &mut PgConnection) -> Result<Vec<TeamWithHeroes>> {
    let rows = sqlx::query!(
        r#"SELECT t.id, t.name, t.headquarters,
                  coalesce(json_agg(h ORDER BY h.id) FILTER (WHERE h.id IS NOT NULL), '[]')
                      AS "heroes!: Json<Vec<HeroJson>>"
             FROM teams t LEFT JOIN heroes h ON h.team_id = t.id
            GROUP BY t.id
            ORDER BY t.id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let team = Team {
                id: row.id,
                name: row.name,
                headquarters: row.headquarters,
            };
            (team, row.heroes.0.into_iter().map(Hero::from).collect())
        })
        .collect())
}

/// A hero as `row_to_json` writes it.
#[derive(Debug, serde::Deserialize)]
pub struct HeroJson {
    id: i64,
    name: String,
    secret_name: Option<String>,
    age: Option<i32>,
    app_src: String,
    created_at: chrono::DateTime<chrono::Utc>,
    team_id: Option<i64>,
}

impl From<HeroJson> for Hero {
    fn from(h: HeroJson) -> Self {
        let HeroJson {
            id,
            name,
            secret_name,
            age,
            app_src,
            created_at,
            team_id,
        } = h;
        Self {
            id,
            name,
            secret_name,
            age,
            app_src,
            created_at,
            team_id,
        }
    }
}
// ANCHOR_END: json_agg

// ANCHOR: search
/// A query built from the filters that are given: `QueryBuilder` appends SQL
/// text and binds each value as a parameter (`push_bind` writes `$1`, `$2`,
/// ...), so a value is never part of the SQL text. The price: the text is
/// only known at run time, so `query!`'s compile-time check cannot see it.
pub async fn search(conn: &mut PgConnection, search: &HeroSearch) -> Result<Vec<Hero>> {
    let columns = "id, name, secret_name, age, app_src, created_at, team_id";
    let mut sql = filtered(columns, search);
    Ok(sql.build_query_as::<Hero>().fetch_all(conn).await?)
}

/// `SELECT columns FROM heroes` with a condition for each filter given, the
/// order and the page: the query [`search`] runs (and the API's with more
/// columns).
pub fn filtered(columns: &str, search: &HeroSearch) -> QueryBuilder<Postgres> {
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {columns} FROM heroes WHERE true"));
    if let Some(pattern) = search.name_pattern() {
        sql.push(" AND name ILIKE ").push_bind(pattern);
    }
    if let Some(min) = search.min_age {
        sql.push(" AND age >= ").push_bind(min);
    }
    if let Some(max) = search.max_age {
        sql.push(" AND age <= ").push_bind(max);
    }
    if let Some(team_id) = search.team_id {
        sql.push(" AND team_id = ").push_bind(team_id);
    }
    if let Some(app_src) = &search.app_src {
        sql.push(" AND app_src = ").push_bind(app_src);
    }
    if let Some(rank) = search.rank {
        sql.push(" AND rank = ").push_bind(rank);
    }
    if let Some(power) = &search.power {
        sql.push(" AND powers @> ARRAY[").push_bind(power).push("]");
    }
    // Column names cannot be parameters: they come from our enum, never
    // from the request's text.
    sql.push(match search.order.by {
        SortKey::Id => " ORDER BY id",
        SortKey::Name => " ORDER BY name",
        SortKey::Age => " ORDER BY age",
    });
    sql.push(if search.order.descending {
        " DESC, id"
    } else {
        ", id"
    });
    if let Some(limit) = search.limit {
        sql.push(" LIMIT ").push_bind(limit);
    }
    sql.push(" OFFSET ").push_bind(search.offset);
    sql
}
// ANCHOR_END: search

// ANCHOR: stream
/// Every matching hero in id order, as a stream: `fetch` (not `fetch_all`)
/// hands over each row as it is decoded, so memory holds a few rows, not all
/// of them (`stream_scalars`). The filters keep `query_as!`'s compile-time
/// check with the other way to make them optional: each is a parameter that
/// may be NULL (`$1 IS NULL OR ...`), one fixed text for every combination,
/// at the price of a plan made for none of them in particular.
pub fn stream<'c>(
    conn: &'c mut PgConnection,
    search: &HeroSearch,
) -> impl Stream<Item = Result<Hero>> + Send + 'c {
    sqlx::query_as!(
        Hero,
        "SELECT id, name, secret_name, age, app_src, created_at, team_id FROM heroes
          WHERE ($1::text IS NULL OR name ILIKE $1)
            AND ($2::int4 IS NULL OR age >= $2)
            AND ($3::int4 IS NULL OR age <= $3)
            AND ($4::int8 IS NULL OR team_id = $4)
            AND ($5::text IS NULL OR app_src = $5)
            AND ($6::hero_rank IS NULL OR rank = $6)
            AND ($7::text IS NULL OR powers @> ARRAY[$7])
          ORDER BY id",
        search.name_pattern(),
        search.min_age,
        search.max_age,
        search.team_id,
        search.app_src.as_deref(),
        search.rank as Option<HeroRank>,
        search.power.as_deref(),
    )
    .fetch(conn)
    .map_err(Error::from)
}
// ANCHOR_END: stream
