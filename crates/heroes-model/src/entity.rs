//! SeaORM entities for `heroes` and `teams`. They describe the same columns as
//! the migrations, including the column types SeaORM would otherwise guess
//! differently (`TEXT`, not `VARCHAR`), so that `Schema::create_table_from_entity`
//! yields the tables of the workspace's reference migrations (`migrations/`).
//!
//! Kept apart from any migration code: both `sea_orm::entity::prelude` and
//! `sea_orm_migration::prelude` export a `ColumnDef`.

// ANCHOR: hero_entity
/// The `heroes` table.
pub mod hero {
    use sea_orm::entity::prelude::*;

    /// A row of `heroes`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "heroes")]
    pub struct Model {
        /// Primary key (`BIGSERIAL`).
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Unique hero name.
        #[sea_orm(column_type = "Text", unique)]
        pub name: String,
        /// Civilian name.
        #[sea_orm(column_type = "Text", nullable)]
        pub secret_name: Option<String>,
        /// Age in years.
        pub age: Option<i32>,
        /// Which program wrote the row.
        #[sea_orm(column_type = "Text", indexed)]
        pub app_src: String,
        /// Insert time, filled in by the database.
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created_at: DateTimeUtc,
        /// The hero's team.
        #[sea_orm(indexed)]
        pub team_id: Option<i64>,
        // ANCHOR: types_fields
        /// `hero_rank`, an active enum (revision 3).
        #[sea_orm(default_value = "rookie")]
        pub rank: crate::HeroRank,
        /// `text[]` (SeaORM's own guess for a `Vec<String>` is `varchar[]`).
        #[sea_orm(
            column_type = "Array(RcOrArc::new(ColumnType::Text))",
            default_expr = "Expr::cust(\"'{}'\")"
        )]
        pub powers: Vec<String>,
        /// `jsonb`, typed through serde.
        #[sea_orm(column_type = "JsonBinary", nullable)]
        pub profile: Option<crate::Profile>,
        /// The public id.
        #[sea_orm(unique, default_expr = "Expr::cust(\"gen_random_uuid()\")")]
        pub public_id: Uuid,
        /// `numeric(12,2)`.
        #[sea_orm(column_type = "Decimal(Some((12, 2)))", nullable)]
        pub salary: Option<Decimal>,
        // ANCHOR_END: types_fields
    }

    /// Relations of `heroes`.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// hero → team (`team_id`), `ON DELETE SET NULL`.
        #[sea_orm(
            belongs_to = "super::team::Entity",
            from = "Column::TeamId",
            to = "super::team::Column::Id",
            on_delete = "SetNull"
        )]
        Team,
    }

    impl Related<super::team::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Team.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl From<Model> for crate::Hero {
        fn from(m: Model) -> Self {
            Self {
                id: m.id,
                name: m.name,
                secret_name: m.secret_name,
                age: m.age,
                app_src: m.app_src,
                created_at: m.created_at,
                team_id: m.team_id,
            }
        }
    }
}
// ANCHOR_END: hero_entity

/// The `teams` table.
pub mod team {
    use sea_orm::entity::prelude::*;

    /// A row of `teams`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        /// Primary key (`BIGSERIAL`).
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Unique team name.
        #[sea_orm(column_type = "Text", unique)]
        pub name: String,
        /// Where the team meets.
        #[sea_orm(column_type = "Text", nullable)]
        pub headquarters: Option<String>,
    }

    /// Relations of `teams`.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// team → its heroes.
        #[sea_orm(has_many = "super::hero::Entity")]
        Heroes,
    }

    impl Related<super::hero::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Heroes.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl From<Model> for crate::Team {
        fn from(m: Model) -> Self {
            Self {
                id: m.id,
                name: m.name,
                headquarters: m.headquarters,
            }
        }
    }
}
