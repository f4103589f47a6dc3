//! The data every measurement starts from: the project's schema (applied
//! with sqlx-raw's migrations, identical to the others') and 10,000 heroes.

use tokio_postgres::NoTls;

use crate::contenders::BenchResult;
use crate::workloads::{
    BULK_APP_SRC, DATA_ROWS, INSERT_APP_SRC, TYPED_POWER, TYPED_ROWS, data_row, to_csv,
};

/// A plain tokio-postgres connection (its I/O task on the current runtime).
pub(crate) async fn connect(url: &str) -> BenchResult<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Migrates the database at `url` to head and reloads the data set: ids
/// 1…10,000, names `hero-00001`…, 100 heroes per `app_src`, the first 1,000
/// with PostgreSQL's own types set.
pub async fn prepare(url: &str) -> BenchResult<()> {
    migrate(url).await?;
    reload(url).await
}

/// Migrates the database at `url` to head (sqlx-raw's migrations).
pub async fn migrate(url: &str) -> BenchResult<()> {
    let pool = sqlx_raw::production::pool(url, &Default::default(), &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    sqlx_raw::migrate::up(&pool)
        .await
        .map_err(|e| e.to_string())?;
    pool.close().await;
    Ok(())
}

/// Empties both tables and loads the data set again: ids 1…10,000.
pub async fn reload(url: &str) -> BenchResult<()> {
    let client = connect(url).await?;
    client
        .batch_execute("TRUNCATE heroes, teams RESTART IDENTITY CASCADE")
        .await
        .map_err(|e| e.to_string())?;
    let rows: Vec<_> = (1..=DATA_ROWS).map(data_row).collect();
    let sink = client
        .copy_in("COPY heroes (name, secret_name, age, app_src, team_id) FROM STDIN (FORMAT csv)")
        .await
        .map_err(|e| e.to_string())?;
    let mut sink = std::pin::pin!(sink);
    futures_util::SinkExt::send(&mut sink, bytes::Bytes::from(to_csv(&rows)))
        .await
        .map_err(|e| e.to_string())?;
    sink.as_mut().finish().await.map_err(|e| e.to_string())?;
    // The first 1,000 carry PostgreSQL's own types (`Workload::Types1000`):
    // every rank, two powers, a profile with a nested number, a salary.
    client
        .execute(
            "UPDATE heroes SET \
               rank = (ARRAY['rookie', 'veteran', 'legend']::hero_rank[])[id % 3 + 1], \
               powers = ARRAY[$1, 'power ' || (id % 7)], \
               profile = jsonb_build_object('catchphrase', 'catchphrase ' || id, \
                 'weaknesses', jsonb_build_array('weakness ' || (id % 5)), \
                 'fans', jsonb_build_object('count', id * 1000)), \
               salary = (id * 1234.56)::numeric(12, 2) \
             WHERE id <= $2",
            &[&TYPED_POWER, &i64::try_from(TYPED_ROWS).unwrap_or(1_000)],
        )
        .await
        .map_err(|e| e.to_string())?;
    client
        .batch_execute("VACUUM ANALYZE heroes")
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Teams for the relation routes: 100 teams named `team-001`…, each with
/// ten of the first 1,000 heroes (diesel_bench's "loading associations"
/// shape). Run after [`reload`], which empties `teams`.
pub async fn add_teams(url: &str) -> BenchResult<()> {
    let client = connect(url).await?;
    client
        .batch_execute(
            "INSERT INTO teams (name, headquarters) \
             SELECT format('team-%s', lpad(i::text, 3, '0')), format('hq %s', i) FROM generate_series(1, 100) AS i; \
             UPDATE heroes SET team_id = (id - 1) % 100 + 1 WHERE id <= 1000",
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    // Apart: VACUUM cannot run in the implicit transaction of a multi-statement query.
    client
        .batch_execute("VACUUM ANALYZE heroes, teams")
        .await
        .map_err(|e| format!("{e:?}"))
}

/// Removes what the insert and bulk workloads wrote, so every contender
/// measures against the same table.
pub async fn clean(url: &str) -> BenchResult<()> {
    let client = connect(url).await?;
    client
        .execute(
            "DELETE FROM heroes WHERE app_src = $1 OR app_src = $2",
            &[&INSERT_APP_SRC, &BULK_APP_SRC],
        )
        .await
        .map_err(|e| e.to_string())?;
    client
        .batch_execute("VACUUM ANALYZE heroes")
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
