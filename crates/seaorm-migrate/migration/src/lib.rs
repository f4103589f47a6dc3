//! The SeaORM migrations: the `alembic/versions/` of this project.
//!
//! Each revision is a Rust file using sea-orm-migration's schema builder, with
//! an `up` and a `down`, listed in order in [`Migrator::migrations`]. `seaorm-migrate
//! migrate generate NAME` adds a new file here and registers it below, as
//! `alembic revision -m NAME` does. The builder emits the same SQL as the other
//! crates' migrations (revisions 1 to 3 of the reference SQL in the workspace's
//! `migrations/`; conformance scenario 9 compares the schemas).
//!
//! This crate only knows the migration prelude; the entities live in
//! heroes-model. Both preludes export a `ColumnDef`, so they are kept apart.

// `migrate generate` writes files from SeaORM's template, which spells
// `&SchemaManager` without its lifetime; allow that here rather than make every
// new migration fail the workspace lints.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod m20250101_000001_create_heroes;
mod m20250101_000002_teams_and_hero_team;
mod m20250101_000003_hero_types;

// ANCHOR: migrator
/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_heroes::Migration),
            Box::new(m20250101_000002_teams_and_hero_team::Migration),
            Box::new(m20250101_000003_hero_types::Migration),
        ]
    }
}
// ANCHOR_END: migrator

/// Table and column names, shared by the migrations.
#[derive(DeriveIden)]
pub(crate) enum Heroes {
    Table,
    Id,
    Name,
    SecretName,
    Age,
    AppSrc,
    CreatedAt,
    TeamId,
    Rank,
    Powers,
    Profile,
    PublicId,
    Salary,
}

// ANCHOR: hero_rank_iden
/// The `hero_rank` enum type and its labels, in order (revision 3): the SQL
/// names only, so a migration never depends on the entities it predates.
#[derive(DeriveIden)]
pub(crate) enum HeroRank {
    #[sea_orm(iden = "hero_rank")]
    Enum,
    Rookie,
    Veteran,
    Legend,
}
// ANCHOR_END: hero_rank_iden

/// Table and column names, shared by the migrations.
#[derive(DeriveIden)]
pub(crate) enum Teams {
    Table,
    Id,
    Name,
    Headquarters,
}
