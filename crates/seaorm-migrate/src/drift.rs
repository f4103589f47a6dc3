//! `alembic check` for SeaORM: do the entities (heroes-model's `entity`
//! module) still describe the tables the migrations built? Alembic's
//! `--autogenerate` answers by diffing models and database; here each entity's
//! columns (names, types, nullability, read from the entity itself) are
//! compared with `information_schema` by `heroes_model::drift`.

use heroes_model::drift::{CATALOG_COLUMNS_SQL, ColumnShape, Drift, compare};
use heroes_model::entity::{hero, team};
use sea_orm::sea_query::ColumnType;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable, Statement};

use crate::error::Result;

/// The name `information_schema.columns.data_type` gives a SeaORM column type.
fn pg_type_name(column_type: &ColumnType) -> String {
    match column_type {
        ColumnType::BigInteger => "bigint".to_owned(),
        ColumnType::Integer => "integer".to_owned(),
        ColumnType::SmallInteger => "smallint".to_owned(),
        ColumnType::Text => "text".to_owned(),
        ColumnType::String(_) => "character varying".to_owned(),
        ColumnType::Boolean => "boolean".to_owned(),
        ColumnType::TimestampWithTimeZone => "timestamp with time zone".to_owned(),
        ColumnType::DateTime | ColumnType::Timestamp => "timestamp without time zone".to_owned(),
        ColumnType::Enum { name, .. } => name.to_string(),
        ColumnType::Array(element) => format!("{}[]", pg_type_name(element)),
        ColumnType::JsonBinary => "jsonb".to_owned(),
        ColumnType::Json => "json".to_owned(),
        ColumnType::Uuid => "uuid".to_owned(),
        ColumnType::Decimal(_) => "numeric".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The columns entity `E` declares.
pub fn declared<E: EntityTrait + Default>() -> Vec<ColumnShape> {
    let table = E::default().table_name().to_owned();
    E::Column::iter()
        .map(|column| {
            let def = column.def();
            ColumnShape {
                table: table.clone(),
                column: column.as_str().to_owned(),
                data_type: pg_type_name(def.get_column_type()),
                nullable: def.is_null(),
            }
        })
        .collect()
}

/// The columns of `heroes` and `teams` in the connected database.
pub async fn in_database(db: &impl ConnectionTrait) -> Result<Vec<ColumnShape>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            CATALOG_COLUMNS_SQL,
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ColumnShape {
                table: row.try_get("", "table_name")?,
                column: row.try_get("", "column_name")?,
                data_type: row.try_get("", "data_type")?,
                nullable: row.try_get("", "nullable")?,
            })
        })
        .collect()
}

/// Compares `entities` (the declared columns of one or more entities) with the
/// database; empty means no drift.
pub async fn check_columns(
    db: &impl ConnectionTrait,
    entities: &[ColumnShape],
) -> Result<Vec<Drift>> {
    Ok(compare(entities, &in_database(db).await?))
}

// ANCHOR: check
/// `alembic check`: heroes-model's `hero` and `team` entities against the database.
pub async fn check(db: &impl ConnectionTrait) -> Result<Vec<Drift>> {
    let mut entities = declared::<hero::Entity>();
    entities.extend(declared::<team::Entity>());
    check_columns(db, &entities).await
}
// ANCHOR_END: check
