//! The independent witness: a plain tokio-postgres connection, none of the
//! four stacks, that reads what actually reached the database (row counts,
//! stored names, backends, the catalog), so a scenario never trusts only the
//! stack it is testing.

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};

/// The schema as the project's SQL migrations write it, applied by the
/// observer itself: the reference every stack's migrated schema must equal.
pub const REFERENCE_SCHEMA: [&str; 3] = [
    include_str!("../../../migrations/2025-01-01-000001_create_heroes/up.sql"),
    include_str!("../../../migrations/2025-01-01-000002_teams_and_hero_team/up.sql"),
    include_str!("../../../migrations/2025-01-01-000003_hero_types/up.sql"),
];

/// One catalog query per aspect of the schema: every line it returns must be
/// the same for every stack. Columns (type, length, nullability, default,
/// position, a numeric's precision and scale), constraints (primary, unique,
/// foreign keys with their actions, checks), indexes, the sequences behind the
/// ids, and the enum types with their labels in order.
const CATALOG: [&str; 5] = [
    "SELECT format('column %s.%s #%s %s(%s,%s,%s) nullable=%s default=%s', table_name, \
            column_name, ordinal_position, udt_name, \
            coalesce(character_maximum_length::text, '-'), \
            coalesce(numeric_precision::text, '-'), coalesce(numeric_scale::text, '-'), \
            is_nullable, coalesce(column_default, '-')) \
       FROM information_schema.columns \
      WHERE table_schema = current_schema() AND table_name IN ('heroes', 'teams') \
      ORDER BY table_name, ordinal_position",
    "SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) \
       FROM pg_constraint \
      WHERE conrelid IN (SELECT oid FROM pg_class WHERE relname IN ('heroes', 'teams') \
                           AND relnamespace = current_schema()::regnamespace) \
      ORDER BY 1",
    "SELECT format('index %s', indexdef) FROM pg_indexes \
      WHERE schemaname = current_schema() AND tablename IN ('heroes', 'teams') ORDER BY 1",
    "SELECT format('sequence %s %s start=%s', sequencename, data_type, start_value) \
       FROM pg_sequences WHERE schemaname = current_schema() \
        AND sequencename LIKE ANY (ARRAY['heroes%', 'teams%']) ORDER BY 1",
    "SELECT format('enum %s %s', t.typname, \
                   array_agg(e.enumlabel::text ORDER BY e.enumsortorder)) \
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
      WHERE t.typnamespace = current_schema()::regnamespace \
      GROUP BY t.typname ORDER BY 1",
];

/// A connection of the observer's own.
pub struct Observer {
    client: Client,
}

fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => err.to_string(),
    }
}

impl Observer {
    /// Connects to `url` (its connection task runs on the current runtime).
    pub async fn connect(url: &str) -> Result<Self, String> {
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .map_err(|e| format!("observer cannot connect: {}", describe(&e)))?;
        tokio::spawn(async move {
            // Ends when the client is dropped (or the server goes away).
            let _ = connection.await;
        });
        Ok(Self { client })
    }

    /// One `bigint` from `sql`.
    pub async fn scalar(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<i64, String> {
        let row = self
            .client
            .query_one(sql, params)
            .await
            .map_err(|e| format!("observer query `{sql}` failed: {}", describe(&e)))?;
        Ok(row.get(0))
    }

    /// The first column of every row of `sql`, as text.
    pub async fn texts(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<String>, String> {
        let rows = self
            .client
            .query(sql, params)
            .await
            .map_err(|e| format!("observer query `{sql}` failed: {}", describe(&e)))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Runs statements with no result (the reference schema, for one).
    pub async fn batch(&self, sql: &str) -> Result<(), String> {
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| format!("observer statement failed: {}", describe(&e)))
    }

    /// Rows in `heroes` (all of them).
    pub async fn hero_count(&self) -> Result<i64, String> {
        self.scalar("SELECT count(*) FROM heroes", &[]).await
    }

    /// Rows in `heroes` stamped with `app_src`.
    pub async fn heroes_of(&self, app_src: &str) -> Result<i64, String> {
        self.scalar(
            "SELECT count(*) FROM heroes WHERE app_src = $1",
            &[&app_src],
        )
        .await
    }

    /// The other sessions connected to this database (the stack's pool).
    pub async fn backends(&self) -> Result<Vec<i32>, String> {
        let rows = self
            .client
            .query(
                "SELECT pid FROM pg_stat_activity \
                  WHERE datname = current_database() AND pid <> pg_backend_pid() \
                    AND backend_type = 'client backend' ORDER BY pid",
                &[],
            )
            .await
            .map_err(|e| format!("observer cannot list backends: {}", describe(&e)))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// [`Self::backends`] once there are `count` of them, or as they are
    /// after 3 s: the backend of a connection just closed (a migration's)
    /// stays listed for a moment while it exits.
    pub async fn backends_settled(&self, count: usize) -> Result<Vec<i32>, String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            let pids = self.backends().await?;
            if pids.len() == count || std::time::Instant::now() >= deadline {
                return Ok(pids);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// `pg_terminate_backend(pid)` and waits (up to 5 s) until it is gone.
    pub async fn terminate(&self, pid: i32) -> Result<(), String> {
        self.client
            .query_one("SELECT pg_terminate_backend($1, 5000)", &[&pid])
            .await
            .map_err(|e| format!("cannot terminate backend {pid}: {}", describe(&e)))?;
        Ok(())
    }

    /// The schema of `heroes` and `teams`, one line per column, constraint,
    /// index and sequence, from `information_schema` and `pg_catalog`.
    pub async fn catalog(&self) -> Result<Vec<String>, String> {
        let mut lines = Vec::new();
        for sql in CATALOG {
            lines.extend(self.texts(sql, &[]).await?);
        }
        Ok(lines)
    }

    /// How many of `heroes` and `teams` exist.
    pub async fn table_count(&self) -> Result<i64, String> {
        self.scalar(
            "SELECT count(*) FROM information_schema.tables \
              WHERE table_schema = current_schema() AND table_name IN ('heroes', 'teams')",
            &[],
        )
        .await
    }
}
