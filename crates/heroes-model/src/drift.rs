//! The lesson of `alembic revision --autogenerate` and `alembic check`: the
//! schema the code believes in and the schema the migrations built can drift
//! apart. Each crate lists its declared columns (diesel from `table!`, SeaORM
//! from its entities) and reads the database's from `information_schema`; this
//! module compares the two lists, the same way for both.

/// One column as the code declares it or as the database has it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// PostgreSQL type name, as `information_schema.columns.data_type` spells
    /// it, except that an enum is named by its type (`hero_rank`, not
    /// `USER-DEFINED`) and an array by its element (`text[]`, not `ARRAY`).
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

/// A disagreement between the code and the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Declared in the code but missing from the database.
    MissingInDatabase(ColumnShape),
    /// In the database but not declared in the code.
    MissingInCode(ColumnShape),
    /// In both, with a different type or nullability.
    Differs {
        /// What the code declares.
        code: ColumnShape,
        /// What the database has.
        database: ColumnShape,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |c: &ColumnShape| {
            let null = if c.nullable { "NULL" } else { "NOT NULL" };
            format!("{}.{} {} {null}", c.table, c.column, c.data_type)
        };
        match self {
            Self::MissingInDatabase(c) => {
                write!(
                    f,
                    "declared in the code but not in the database: {}",
                    show(c)
                )
            }
            Self::MissingInCode(c) => {
                write!(
                    f,
                    "in the database but not declared in the code: {}",
                    show(c)
                )
            }
            Self::Differs { code, database } => write!(
                f,
                "the code says {} but the database has {}",
                show(code),
                show(database)
            ),
        }
    }
}

/// The differences between the declared columns and the database's, matched
/// by table and column name; empty means no drift.
pub fn compare(code: &[ColumnShape], database: &[ColumnShape]) -> Vec<Drift> {
    let key = |c: &ColumnShape| (c.table.clone(), c.column.clone());
    let mut drift = Vec::new();
    for declared in code {
        match database.iter().find(|d| key(d) == key(declared)) {
            None => drift.push(Drift::MissingInDatabase(declared.clone())),
            Some(actual) if actual != declared => drift.push(Drift::Differs {
                code: declared.clone(),
                database: actual.clone(),
            }),
            Some(_) => {}
        }
    }
    for actual in database {
        if !code.iter().any(|d| key(d) == key(actual)) {
            drift.push(Drift::MissingInCode(actual.clone()));
        }
    }
    drift
}

/// The query each crate runs (through its own driver) to list the columns of
/// `heroes` and `teams` as [`ColumnShape`]s: table, column, type, nullable.
pub const CATALOG_COLUMNS_SQL: &str = "\
    SELECT table_name::text AS table_name, column_name::text AS column_name, \
           CASE data_type WHEN 'USER-DEFINED' THEN udt_name::text \
                          WHEN 'ARRAY' THEN substr(udt_name::text, 2) || '[]' \
                          ELSE data_type::text END AS data_type, \
           is_nullable = 'YES' AS nullable \
      FROM information_schema.columns \
     WHERE table_schema = current_schema() AND table_name IN ('heroes', 'teams') \
     ORDER BY table_name, ordinal_position";

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
    fn every_kind_of_difference_is_reported() {
        let code = vec![col("id", "bigint", false), col("age", "integer", true)];
        let database = vec![col("id", "integer", false), col("extra", "text", true)];
        let drift = compare(&code, &database);
        assert_eq!(drift.len(), 3, "{drift:?}");
        assert!(matches!(&drift[0], Drift::Differs { .. }));
        assert!(matches!(&drift[1], Drift::MissingInDatabase(c) if c.column == "age"));
        assert!(matches!(&drift[2], Drift::MissingInCode(c) if c.column == "extra"));
        assert!(compare(&code, &code).is_empty());
        assert_eq!(
            drift[0].to_string(),
            "the code says heroes.id bigint NOT NULL but the database has heroes.id integer NOT NULL"
        );
    }
}
