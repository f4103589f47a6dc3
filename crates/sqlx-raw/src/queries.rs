//! The study's queries as plain SQL, checked at compile time.
//!
//! `query_as!`, `query_scalar!` and `query!` send each statement to
//! PostgreSQL while compiling (or read its answer saved in `.sqlx/`), so a
//! misspelt column, a wrong parameter type or a nullable column read into a
//! non-`Option` field is a build error, not a run-time one. Each function
//! takes a `&mut PgConnection`: `&mut *pool.acquire().await?` for a query on
//! its own, or a transaction from `pool.begin()`, which derefs to one;
//! the caller decides where the transaction ends.

use heroes_model::{Hero, NewHero, NewTeam, Team};
use sqlx::PgConnection;

use crate::error::Result;

// ANCHOR: get
/// `session.get(Hero, id)`: by primary key; `None` when there is no such row.
pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Option<Hero>> {
    Ok(sqlx::query_as!(
        Hero,
        "SELECT id, name, secret_name, age, app_src, created_at, team_id FROM heroes WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?)
}
// ANCHOR_END: get

// ANCHOR: by_name
/// `select(Hero).where(Hero.name == name)` + `scalar_one_or_none()`.
pub async fn by_name(conn: &mut PgConnection, name: &str) -> Result<Option<Hero>> {
    Ok(sqlx::query_as!(
        Hero,
        "SELECT id, name, secret_name, age, app_src, created_at, team_id FROM heroes WHERE name = $1",
        name
    )
    .fetch_optional(conn)
    .await?)
}
// ANCHOR_END: by_name

// ANCHOR: secret_name_of
/// `session.scalar(select(Hero.secret_name).where(...))`: the outer `Option`
/// is "no such hero", the inner one a NULL column.
pub async fn secret_name_of(conn: &mut PgConnection, name: &str) -> Result<Option<Option<String>>> {
    Ok(
        sqlx::query_scalar!("SELECT secret_name FROM heroes WHERE name = $1", name)
            .fetch_optional(conn)
            .await?,
    )
}
// ANCHOR_END: secret_name_of

// ANCHOR: count
/// `session.scalar(select(func.count()).select_from(Hero))`. The `"count!"`
/// alias tells sqlx the value is never NULL (it cannot know for `count(*)`).
pub async fn count(conn: &mut PgConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM heroes"#)
            .fetch_one(conn)
            .await?,
    )
}
// ANCHOR_END: count

// ANCHOR: by_app_src
/// `select(Hero).where(Hero.app_src == app_src)` + `scalars().all()`, in id order.
pub async fn by_app_src(conn: &mut PgConnection, app_src: &str) -> Result<Vec<Hero>> {
    Ok(sqlx::query_as!(
        Hero,
        "SELECT id, name, secret_name, age, app_src, created_at, team_id
           FROM heroes WHERE app_src = $1 ORDER BY id",
        app_src
    )
    .fetch_all(conn)
    .await?)
}
// ANCHOR_END: by_app_src

// ANCHOR: with_teams
/// Every hero of `app_src` with its team, or `None` (a LEFT JOIN). The `?`
/// aliases mark the team columns nullable: they are NULL for teamless heroes.
pub async fn with_teams(
    conn: &mut PgConnection,
    app_src: &str,
) -> Result<Vec<(Hero, Option<Team>)>> {
    let rows = sqlx::query!(
        r#"SELECT h.id, h.name, h.secret_name, h.age, h.app_src, h.created_at, h.team_id,
                  t.id AS "t_id?", t.name AS "t_name?", t.headquarters AS "t_headquarters?"
             FROM heroes h LEFT JOIN teams t ON t.id = h.team_id
            WHERE h.app_src = $1
            ORDER BY h.id"#,
        app_src
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let team = match (r.t_id, r.t_name) {
                (Some(id), Some(name)) => Some(Team {
                    id,
                    name,
                    headquarters: r.t_headquarters,
                }),
                _ => None,
            };
            let hero = Hero {
                id: r.id,
                name: r.name,
                secret_name: r.secret_name,
                age: r.age,
                app_src: r.app_src,
                created_at: r.created_at,
                team_id: r.team_id,
            };
            (hero, team)
        })
        .collect())
}
// ANCHOR_END: with_teams

// ANCHOR: add_all
/// `session.add_all([...])`: the whole batch in **one** statement, whatever
/// its size: each column travels as one array parameter and `UNNEST` turns the
/// arrays back into rows (sqlx has no multi-row `VALUES` builder for `query!`,
/// and one statement per row would be one round trip per row).
pub async fn add_all(conn: &mut PgConnection, rows: &[NewHero]) -> Result<Vec<Hero>> {
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let secret_names: Vec<Option<&str>> = rows.iter().map(|r| r.secret_name.as_deref()).collect();
    let ages: Vec<Option<i32>> = rows.iter().map(|r| r.age).collect();
    let app_srcs: Vec<&str> = rows.iter().map(|r| r.app_src.as_str()).collect();
    let team_ids: Vec<Option<i64>> = rows.iter().map(|r| r.team_id).collect();
    Ok(sqlx::query_as!(
        Hero,
        r#"INSERT INTO heroes (name, secret_name, age, app_src, team_id)
           SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::text[], $5::int8[])
           RETURNING id, name, secret_name, age, app_src, created_at, team_id"#,
        &names as &[&str],
        &secret_names as &[Option<&str>],
        &ages as &[Option<i32>],
        &app_srcs as &[&str],
        &team_ids as &[Option<i64>],
    )
    .fetch_all(conn)
    .await?)
}
// ANCHOR_END: add_all

// ANCHOR: birthday
/// `hero.age += 1; session.commit()`, as one `UPDATE ... RETURNING`.
pub async fn birthday(conn: &mut PgConnection, name: &str) -> Result<Option<Hero>> {
    Ok(sqlx::query_as!(
        Hero,
        "UPDATE heroes SET age = age + 1 WHERE name = $1
         RETURNING id, name, secret_name, age, app_src, created_at, team_id",
        name
    )
    .fetch_optional(conn)
    .await?)
}
// ANCHOR_END: birthday

// ANCHOR: delete_by_name
/// `session.delete(hero); session.commit()`: rows removed (0 or 1).
pub async fn delete_by_name(conn: &mut PgConnection, name: &str) -> Result<u64> {
    Ok(sqlx::query!("DELETE FROM heroes WHERE name = $1", name)
        .execute(conn)
        .await?
        .rows_affected())
}
// ANCHOR_END: delete_by_name

// What the API needs beyond the study: teams, deleting by id. (Its queries
// that read or write a hero with every column are in `api`.)

/// Inserts teams, returning them with their ids.
pub async fn add_teams(conn: &mut PgConnection, rows: &[NewTeam]) -> Result<Vec<Team>> {
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let headquarters: Vec<Option<&str>> = rows.iter().map(|r| r.headquarters.as_deref()).collect();
    Ok(sqlx::query_as!(
        Team,
        r#"INSERT INTO teams (name, headquarters)
           SELECT * FROM UNNEST($1::text[], $2::text[])
           RETURNING id, name, headquarters"#,
        &names as &[&str],
        &headquarters as &[Option<&str>],
    )
    .fetch_all(conn)
    .await?)
}

/// `session.delete(hero)` by primary key: whether there was such a hero.
pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<bool> {
    let deleted = sqlx::query!("DELETE FROM heroes WHERE id = $1", id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

/// Every team, in id order.
pub async fn teams(conn: &mut PgConnection) -> Result<Vec<Team>> {
    Ok(
        sqlx::query_as!(Team, "SELECT id, name, headquarters FROM teams ORDER BY id")
            .fetch_all(conn)
            .await?,
    )
}

/// One team by primary key.
pub async fn team(conn: &mut PgConnection, id: i64) -> Result<Option<Team>> {
    Ok(sqlx::query_as!(
        Team,
        "SELECT id, name, headquarters FROM teams WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?)
}
