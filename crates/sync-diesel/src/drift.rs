//! The lesson of `alembic revision --autogenerate` (and `alembic check`):
//! the code's idea of the schema and the database's real schema can drift
//! apart. Diesel's `table!` schema (in heroes-model) is what the compiler
//! checks queries against; this module compares it, column by column, with what
//! the migrations actually produced, as reported by `information_schema`.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Int8, Nullable, SqlType, Text, Timestamptz};
use heroes_model::schema::{heroes, teams};

use crate::error::Result;

/// One column as `table!` declares it or as the database has it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// PostgreSQL type name, as `information_schema.columns.data_type` spells it.
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

/// A disagreement between `table!` and the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Declared in `table!` but missing from the database.
    MissingInDatabase(ColumnShape),
    /// In the database but not declared in `table!`.
    MissingInSchema(ColumnShape),
    /// In both, with a different type or nullability.
    Differs {
        /// What `table!` declares.
        schema: ColumnShape,
        /// What the database has.
        database: ColumnShape,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |c: &ColumnShape| {
            format!(
                "{}.{} {}{}",
                c.table,
                c.column,
                c.data_type,
                if c.nullable { " NULL" } else { " NOT NULL" }
            )
        };
        match self {
            Self::MissingInDatabase(c) => {
                write!(f, "declared in table! but not in the database: {}", show(c))
            }
            Self::MissingInSchema(c) => write!(f, "in the database but not in table!: {}", show(c)),
            Self::Differs { schema, database } => {
                write!(
                    f,
                    "table! says {} but the database has {}",
                    show(schema),
                    show(database)
                )
            }
        }
    }
}

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
describe_tuple!(A, B, C, D, E, F, G);

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
    let rows: Vec<CatalogColumn> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, is_nullable = 'YES' AS nullable \
           FROM information_schema.columns \
          WHERE table_schema = current_schema() AND table_name IN ('heroes', 'teams') \
          ORDER BY table_name, ordinal_position",
    )
    .load(conn)?;
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

/// The differences between two column lists, matched by table and column name.
fn compare(schema: &[ColumnShape], database: &[ColumnShape]) -> Vec<Drift> {
    let key = |c: &ColumnShape| (c.table.clone(), c.column.clone());
    let mut drift = Vec::new();
    for declared in schema {
        match database.iter().find(|d| key(d) == key(declared)) {
            None => drift.push(Drift::MissingInDatabase(declared.clone())),
            Some(actual) if actual != declared => drift.push(Drift::Differs {
                schema: declared.clone(),
                database: actual.clone(),
            }),
            Some(_) => {}
        }
    }
    for actual in database {
        if !schema.iter().any(|d| key(d) == key(actual)) {
            drift.push(Drift::MissingInSchema(actual.clone()));
        }
    }
    drift
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
        assert_eq!(declared.len(), 10, "{declared:?}");
        assert!(declared.contains(&col("team_id", "bigint", true)));
        assert!(declared.contains(&col("created_at", "timestamp with time zone", false)));
    }

    #[test]
    fn every_kind_of_difference_is_reported() {
        let schema = vec![col("id", "bigint", false), col("age", "integer", true)];
        let database = vec![col("id", "integer", false), col("extra", "text", true)];
        let drift = compare(&schema, &database);
        assert_eq!(drift.len(), 3, "{drift:?}");
        assert!(matches!(&drift[0], Drift::Differs { .. }));
        assert!(matches!(&drift[1], Drift::MissingInDatabase(c) if c.column == "age"));
        assert!(matches!(&drift[2], Drift::MissingInSchema(c) if c.column == "extra"));
        assert!(compare(&schema, &schema).is_empty());
    }
}
