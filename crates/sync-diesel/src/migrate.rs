//! The Alembic verbs over the workspace's `migrations/` folder: one folder
//! per revision, with an `up.sql` and a `down.sql`, as `diesel migration
//! generate` makes them (the root `diesel.toml` points Diesel's command line
//! there too).
//!
//! `embed_migrations!` compiles the SQL into the binary, so running it needs
//! no `diesel` command line. The verbs are diesel_migrations' own
//! (`pending_migrations`, `run_migration`, `revert_last_migration`,
//! `applied_migrations`), written once for both diesel crates in
//! `support::diesel::migrate`, where every verb that writes runs under a
//! migration lock (production::migrations).

use diesel::pg::PgConnection;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use support::diesel::migrate as verbs;

use crate::error::Result;

pub use verbs::Revision;

// ANCHOR: embed
/// The workspace's `migrations/`, embedded at compile time (the path is
/// relative to this crate's folder).
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");
// ANCHOR_END: embed

// ANCHOR: up
/// `alembic upgrade head`: applies every pending migration, oldest first,
/// each in its own transaction; returns the names applied.
pub fn up(conn: &mut PgConnection) -> Result<Vec<String>> {
    Ok(verbs::up(conn, &MIGRATIONS)?)
}
// ANCHOR_END: up

/// `alembic downgrade -N`: reverts the `steps` most recent migrations,
/// newest first; asking for more than are applied reverts nothing.
pub fn down(conn: &mut PgConnection, steps: usize) -> Result<Vec<String>> {
    Ok(verbs::down(conn, &MIGRATIONS, steps)?)
}

/// Reverts the latest migration and applies it again, which checks that its
/// `down.sql` undoes its `up.sql`; returns its name.
pub fn redo(conn: &mut PgConnection) -> Result<String> {
    Ok(verbs::redo(conn, &MIGRATIONS)?)
}

/// `alembic history`: every embedded migration, oldest first, with its state.
pub fn history(conn: &mut PgConnection) -> Result<Vec<Revision>> {
    Ok(verbs::history(conn, &MIGRATIONS)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_migration_has_its_sql_for_plan() {
        let names: Vec<String> = verbs::known(&MIGRATIONS)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let with_sql: Vec<&str> = verbs::UP_SQL.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, with_sql);
        assert_eq!(
            names,
            [
                "2025-01-01-000001_create_heroes",
                "2025-01-01-000002_teams_and_hero_team",
                "2025-01-01-000003_hero_types"
            ]
        );
        assert!(verbs::UP_SQL[0].1.contains("CREATE TABLE heroes"));
    }
}
