//! The lesson of `alembic revision --autogenerate` (and `alembic check`),
//! for Diesel (the comparison itself is `heroes_model::drift`):
//! the code's idea of the schema and the database's real schema can drift
//! apart. Diesel's `table!` schema (in heroes-model) is what the compiler
//! checks queries against; this module compares it, column by column, with what
//! the migrations actually produced, as reported by `information_schema`.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Bool, Int4, Int8, Jsonb, Nullable, Numeric, SqlType, Text, Timestamptz, Uuid,
};
use heroes_model::schema::sql_types::HeroRank;
use heroes_model::schema::{heroes, teams};

use heroes_model::drift::{CATALOG_COLUMNS_SQL, ColumnShape, Drift, compare};

use crate::error::Result;

/// A diesel SQL type and the name `information_schema` gives it.
trait PgTypeName {
    const NAME: &'static str;
    const NULLABLE: bool = false;
}

impl PgTypeName for Int8 {
    const NAME: &'static str = "bigint";
}
impl PgTypeName for Int4 {
    const NAME: &'static str = "integer";
}
impl PgTypeName for Text {
    const NAME: &'static str = "text";
}
impl PgTypeName for Timestamptz {
    const NAME: &'static str = "timestamp with time zone";
}
impl PgTypeName for HeroRank {
    const NAME: &'static str = "hero_rank";
}
impl PgTypeName for Array<Text> {
    const NAME: &'static str = "text[]";
}
impl PgTypeName for Jsonb {
    const NAME: &'static str = "jsonb";
}
impl PgTypeName for Uuid {
    const NAME: &'static str = "uuid";
}
impl PgTypeName for Numeric {
    const NAME: &'static str = "numeric";
}
impl<T: PgTypeName + SqlType> PgTypeName for Nullable<T> {
    const NAME: &'static str = T::NAME;
    const NULLABLE: bool = true;
}

/// The columns of a `table!`, read from its `AllColumns` tuple, so a column
/// added to `table!` is compared without anyone listing it here.
trait DescribeColumns {
    fn describe(table: &str) -> Vec<ColumnShape>;
}

macro_rules! describe_tuple {
    ($($c:ident),+) => {
        impl<$($c),+> DescribeColumns for ($($c,)+)
        where
            $($c: diesel::Column, <$c as Expression>::SqlType: PgTypeName,)+
        {
            fn describe(table: &str) -> Vec<ColumnShape> {
                vec![$(ColumnShape {
                    table: table.to_owned(),
                    column: <$c as diesel::Column>::NAME.to_owned(),
                    data_type: <<$c as Expression>::SqlType as PgTypeName>::NAME.to_owned(),
                    nullable: <<$c as Expression>::SqlType as PgTypeName>::NULLABLE,
                }),+]
            }
        }
    };
}
describe_tuple!(A, B, C);
describe_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);

fn declared() -> Vec<ColumnShape> {
    let mut all = <<heroes::table as Table>::AllColumns as DescribeColumns>::describe("heroes");
    all.extend(<<teams::table as Table>::AllColumns as DescribeColumns>::describe("teams"));
    all
}

/// A row of `information_schema.columns` (diesel has no `table!` for the
/// catalogue, so this one query is plain SQL).
#[derive(QueryableByName)]
struct CatalogColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

fn in_database(conn: &mut PgConnection) -> Result<Vec<ColumnShape>> {
    let rows: Vec<CatalogColumn> = diesel::sql_query(CATALOG_COLUMNS_SQL).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ColumnShape {
            table: r.table_name,
            column: r.column_name,
            data_type: r.data_type,
            nullable: r.nullable,
        })
        .collect())
}

/// Compares `table!` with the connected database; empty means no drift.
pub fn check(conn: &mut PgConnection) -> Result<Vec<Drift>> {
    Ok(compare(&declared(), &in_database(conn)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(column: &str, data_type: &str, nullable: bool) -> ColumnShape {
        ColumnShape {
            table: "heroes".into(),
            column: column.into(),
            data_type: data_type.into(),
            nullable,
        }
    }

    #[test]
    fn the_declared_schema_is_read_from_table_macro() {
        let declared = declared();
        assert_eq!(declared.len(), 15, "{declared:?}");
        assert!(declared.contains(&col("team_id", "bigint", true)));
        assert!(declared.contains(&col("rank", "hero_rank", false)));
        assert!(declared.contains(&col("powers", "text[]", false)));
        assert!(declared.contains(&col("salary", "numeric", true)));
        assert!(declared.contains(&col("created_at", "timestamp with time zone", false)));
    }
}
