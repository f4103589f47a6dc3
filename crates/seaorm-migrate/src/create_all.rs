//! `Base.metadata.create_all(engine)` beside migrations: SeaORM can create
//! tables straight from the entities (`Schema::create_table_from_entity`),
//! with no migration history at all. Handy for a scratch or test database;
//! the migrations remain the way to change a database that holds data.

use heroes_model::entity::{hero, team};
use sea_orm::{ConnectionTrait, DbBackend, Schema};

use crate::error::Result;

// ANCHOR: statements
/// The statements `create_all` runs, in order: the enum types the entities
/// use (`hero_rank`), tables (teams first, for the foreign key), then the
/// indexes the entities mark `indexed`.
pub fn statements() -> Vec<String> {
    let schema = Schema::new(DbBackend::Postgres);
    let backend = DbBackend::Postgres;
    let mut sql: Vec<String> = schema
        .create_enum_from_entity(hero::Entity)
        .iter()
        .map(|create_type| backend.build(create_type).to_string())
        .collect();
    sql.extend([
        backend
            .build(&schema.create_table_from_entity(team::Entity))
            .to_string(),
        backend
            .build(&schema.create_table_from_entity(hero::Entity))
            .to_string(),
    ]);
    sql.extend(
        schema
            .create_index_from_entity(hero::Entity)
            .iter()
            .map(|index| backend.build(index).to_string()),
    );
    sql
}
// ANCHOR_END: statements

/// Creates `teams` and `heroes` from the entities in the connected (empty)
/// database. Returns the statements it ran.
pub async fn create_all(db: &impl ConnectionTrait) -> Result<Vec<String>> {
    let sql = statements();
    for statement in &sql {
        db.execute_unprepared(statement).await?;
    }
    Ok(sql)
}
