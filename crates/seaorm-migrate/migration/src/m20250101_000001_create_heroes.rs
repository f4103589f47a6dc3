//! Revision 1: the seed's Hero model as a table (`alembic revision
//! --autogenerate -m "create heroes"` in the seed).

use sea_orm_migration::prelude::*;

use crate::Heroes;

/// Creates `heroes` and its `app_src` index.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Heroes::Table)
                    // BIGSERIAL (the `postgres-use-serial-pk` feature makes
                    // auto_increment a serial, as in the other crates, rather
                    // than an identity column).
                    .col(
                        ColumnDef::new(Heroes::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Heroes::Name).text().not_null().unique_key())
                    .col(ColumnDef::new(Heroes::SecretName).text().null())
                    .col(ColumnDef::new(Heroes::Age).integer().null())
                    .col(ColumnDef::new(Heroes::AppSrc).text().not_null())
                    .col(
                        ColumnDef::new(Heroes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(Expr::cust("now()")),
                    )
                    .to_owned(),
            )
            .await?;
        // The scalars().all() idiom filters on app_src.
        manager
            .create_index(
                Index::create()
                    .name("heroes_app_src_idx")
                    .table(Heroes::Table)
                    .col(Heroes::AppSrc)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Heroes::Table).to_owned())
            .await
    }
}
