//! Revision 3: PostgreSQL's own types — an enum, an array, jsonb, a uuid and
//! numeric (book/src/types.md). Every new column has a default or allows NULL,
//! so rows written before it and servers built before it keep working.

use sea_orm_migration::prelude::extension::postgres::Type;
use sea_orm_migration::prelude::*;

use crate::{HeroRank, Heroes};

/// Creates the `hero_rank` enum and adds `rank`, `powers`, `profile`,
/// `public_id` and `salary` to `heroes`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // heroes has live traffic by now: wait at most 5 s for its lock (then
        // fail and retry the deploy) rather than queue every query behind us.
        // SET LOCAL ends with the migration's transaction.
        let db = manager.get_connection();
        db.execute_unprepared("SET LOCAL lock_timeout = '5s'")
            .await?;
        db.execute_unprepared("SET LOCAL statement_timeout = '60s'")
            .await?;
        // ANCHOR: hero_types
        manager
            .create_type(
                Type::create()
                    .as_enum(HeroRank::Enum)
                    .values([HeroRank::Rookie, HeroRank::Veteran, HeroRank::Legend])
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Heroes::Table)
                    .add_column(
                        ColumnDef::new(Heroes::Rank)
                            .custom(HeroRank::Enum)
                            .not_null()
                            .default("rookie"),
                    )
                    .add_column(
                        ColumnDef::new(Heroes::Powers)
                            .array(ColumnType::Text)
                            .not_null()
                            .default(Expr::cust("'{}'")),
                    )
                    .add_column(ColumnDef::new(Heroes::Profile).json_binary().null())
                    .add_column(
                        ColumnDef::new(Heroes::PublicId)
                            .uuid()
                            .not_null()
                            .default(Expr::cust("gen_random_uuid()"))
                            .unique_key(),
                    )
                    .add_column(ColumnDef::new(Heroes::Salary).decimal_len(12, 2).null())
                    .to_owned(),
            )
            .await
        // ANCHOR_END: hero_types
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Heroes::Table)
                    .drop_column(Heroes::Salary)
                    .drop_column(Heroes::PublicId)
                    .drop_column(Heroes::Profile)
                    .drop_column(Heroes::Powers)
                    .drop_column(Heroes::Rank)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_type(Type::drop().name(HeroRank::Enum).to_owned())
            .await
    }
}
