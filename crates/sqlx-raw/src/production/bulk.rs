//! Bulk loads, the question sqlx users ask most (sqlx #294, #1240, #36): how to
//! insert many rows without one round trip per row. Two ways, both atomic:
//!
//! - **UNNEST**: each column is sent as one array parameter and
//!   `INSERT ... SELECT * FROM UNNEST($1, $2, ...)` turns them into rows. It is
//!   an ordinary statement (checked by `query!`, can `RETURNING`), sent in chunks.
//! - **COPY**: `COPY heroes (...) FROM STDIN` streams CSV to the server, the
//!   fastest way into PostgreSQL. sqlx exposes it as `copy_in_raw`; the data is
//!   not type-checked by the compiler, and one bad row fails the whole COPY.

use heroes_model::NewHero;
use sqlx::PgPool;

use crate::error::Result;

/// The `app_src` of rows written by `load`.
pub const LOAD_APP_SRC: &str = "sqlx-raw-load";

/// Rows per UNNEST statement: large enough that round trips do not matter,
/// small enough to keep each statement's arrays a few hundred kB.
const UNNEST_CHUNK: usize = 5_000;

/// Bytes of CSV per COPY message.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// `count` generated heroes named `<prefix>-0000000`, `<prefix>-0000001`, ...
/// with a mix of present and missing optional columns.
pub fn generate(count: usize, prefix: &str) -> Vec<NewHero> {
    (0..count)
        .map(|i| NewHero {
            name: format!("{prefix}-{i:07}"),
            secret_name: (i % 2 == 0).then(|| format!("Secret \"{i}\", of course")),
            age: (i % 3 != 0).then(|| i32::try_from(i % 90).unwrap_or(0) + 10),
            app_src: LOAD_APP_SRC.to_owned(),
            team_id: None,
        })
        .collect()
}

/// Inserts `rows` with UNNEST statements of `UNNEST_CHUNK` rows, all in one
/// transaction. `progress` is called with the rows done so far.
pub async fn load_unnest(pool: &PgPool, rows: &[NewHero], progress: impl Fn(u64)) -> Result<u64> {
    let mut tx = crate::production::begin(pool).await?;
    let mut done = 0u64;
    for chunk in rows.chunks(UNNEST_CHUNK) {
        done += crate::queries::add_all(&mut tx, chunk).await?.len() as u64;
        progress(done);
    }
    tx.commit().await?;
    Ok(done)
}

// ANCHOR: copy
/// Inserts `rows` with one `COPY ... FROM STDIN (FORMAT csv)` in a
/// transaction. `progress` is called with the rows sent so far.
pub async fn load_copy(pool: &PgPool, rows: &[NewHero], progress: impl Fn(u64)) -> Result<u64> {
    let mut tx = crate::production::begin(pool).await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY heroes (name, secret_name, age, app_src, team_id) FROM STDIN (FORMAT csv)",
        )
        .await?;
    let mut buffer = String::with_capacity(COPY_CHUNK_BYTES + 1024);
    let mut sent = 0u64;
    for (i, row) in rows.iter().enumerate() {
        write_csv_row(&mut buffer, row);
        if buffer.len() >= COPY_CHUNK_BYTES || i + 1 == rows.len() {
            if let Err(err) = copy.send(buffer.as_bytes()).await {
                // Leave the connection usable; the transaction rolls back on drop.
                let _ = copy.abort("client error").await;
                return Err(err.into());
            }
            buffer.clear();
            sent = i as u64 + 1;
            progress(sent);
        }
    }
    let loaded = copy.finish().await?;
    tx.commit().await?;
    debug_assert_eq!(loaded, sent);
    Ok(loaded)
}
// ANCHOR_END: copy

/// Removes every row `load` wrote, so it can run again with the same names.
pub async fn purge(pool: &PgPool) -> Result<u64> {
    Ok(
        sqlx::query!("DELETE FROM heroes WHERE app_src = $1", LOAD_APP_SRC)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Appends `row` as a CSV line. Text fields are always quoted (with quotes
/// doubled), so commas, quotes and newlines in names survive; a missing value is
/// an unquoted empty field, which COPY's CSV format reads as NULL (a quoted
/// empty string `""` stays an empty string).
pub fn write_csv_row(out: &mut String, row: &NewHero) {
    fn text(out: &mut String, value: Option<&str>) {
        if let Some(value) = value {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        }
    }
    text(out, Some(&row.name));
    out.push(',');
    text(out, row.secret_name.as_deref());
    out.push(',');
    if let Some(age) = row.age {
        out.push_str(&age.to_string());
    }
    out.push(',');
    text(out, Some(&row.app_src));
    out.push(',');
    if let Some(team) = row.team_id {
        out.push_str(&team.to_string());
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_quote_text_and_leave_nulls_empty() {
        let mut out = String::new();
        write_csv_row(
            &mut out,
            &NewHero {
                name: "a \"quoted\", name\nover two lines".into(),
                secret_name: None,
                age: Some(7),
                app_src: "x".into(),
                team_id: None,
            },
        );
        assert_eq!(
            out,
            "\"a \"\"quoted\"\", name\nover two lines\",,7,\"x\",\n"
        );
        out.clear();
        write_csv_row(
            &mut out,
            &NewHero {
                name: String::new(),
                secret_name: Some(String::new()),
                age: None,
                app_src: "x".into(),
                team_id: Some(3),
            },
        );
        assert_eq!(out, "\"\",\"\",,\"x\",3\n");
    }

    #[test]
    fn generated_names_are_unique_and_sorted() {
        let rows = generate(1_000, "g");
        assert_eq!(rows.len(), 1_000);
        assert_eq!(rows[0].name, "g-0000000");
        assert!(rows.windows(2).all(|w| w[0].name < w[1].name));
        assert!(rows.iter().any(|r| r.secret_name.is_none()));
        assert!(rows.iter().any(|r| r.age.is_none()));
    }
}
