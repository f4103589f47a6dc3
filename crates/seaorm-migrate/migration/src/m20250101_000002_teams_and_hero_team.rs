//! Revision 2: teams, and the hero -> team link (the seed's "interligações /
//! dependências" between tables).

use sea_orm_migration::prelude::*;

use crate::{Heroes, Teams};

/// Creates `teams`, adds `heroes.team_id` with its foreign key and index.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(
                        ColumnDef::new(Teams::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Teams::Name).text().not_null().unique_key())
                    .col(ColumnDef::new(Teams::Headquarters).text().null())
                    .to_owned(),
            )
            .await?;
        // ANCHOR: team_link
        // Deleting a team leaves its heroes teamless rather than deleting them.
        manager
            .alter_table(
                Table::alter()
                    .table(Heroes::Table)
                    .add_column(ColumnDef::new(Heroes::TeamId).big_integer().null())
                    .add_foreign_key(
                        TableForeignKey::new()
                            .name("heroes_team_id_fkey")
                            .from_tbl(Heroes::Table)
                            .from_col(Heroes::TeamId)
                            .to_tbl(Teams::Table)
                            .to_col(Teams::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // ANCHOR_END: team_link
        // PostgreSQL does not index foreign keys by itself.
        manager
            .create_index(
                Index::create()
                    .name("heroes_team_id_idx")
                    .table(Heroes::Table)
                    .col(Heroes::TeamId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("heroes_team_id_idx").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Heroes::Table)
                    .drop_column(Heroes::TeamId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Teams::Table).to_owned())
            .await
    }
}
