//! The workloads and the parameters they use, identical for every contender
//! (the Python script computes the same sequences: `python/sqlalchemy_bench.py`).

use heroes_model::NewHero;
use serde::{Deserialize, Serialize};

/// Heroes loaded before measuring (`hero-00001` … `hero-10000`, ids 1…10000).
pub const DATA_ROWS: u64 = 10_000;

/// Distinct `app_src` values in the data set: each has exactly 100 heroes.
pub const APP_SRCS: u64 = 100;

/// A single-operation workload (measured one at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// `session.get(Hero, id)`.
    GetByPk,
    /// `select(Hero).where(Hero.name == name)` + `scalar_one_or_none()`.
    ByName,
    /// `select(Hero.secret_name).where(...)` + `scalar()`.
    Scalar,
    /// 100 rows filtered by `app_src`, `scalars().all()`.
    Filter100,
    /// `add_all` of 100 new heroes + `commit()`.
    Insert100,
    /// The same 100 heroes sent as columns: `UNNEST` of arrays, or one JSON
    /// parameter for SeaORM; Rust contenders only.
    Insert100Fast,
    /// The 1,000 heroes with PostgreSQL's own types set ([`TYPED_POWER`]
    /// among their powers), every column of the crate's `TypedHero` decoded:
    /// the enum, `text[]`, `jsonb`, `uuid` and `numeric`.
    Types1000,
}

impl Workload {
    /// Every single-operation workload, in report order.
    pub const ALL: [Self; 7] = [
        Self::GetByPk,
        Self::ByName,
        Self::Scalar,
        Self::Filter100,
        Self::Insert100,
        Self::Insert100Fast,
        Self::Types1000,
    ];

    /// Whether only the Rust contenders run it (no SQLAlchemy, no pgbench).
    pub fn rust_only(self) -> bool {
        self == Self::Insert100Fast
    }

    /// The identifier used in files and on the Python command line.
    pub fn id(self) -> &'static str {
        match self {
            Self::GetByPk => "get_by_pk",
            Self::ByName => "by_name",
            Self::Scalar => "scalar",
            Self::Filter100 => "filter_100",
            Self::Insert100 => "insert_100",
            Self::Insert100Fast => "insert_100_fast",
            Self::Types1000 => "types_1000",
        }
    }

    /// What it is, in the seed's words.
    pub fn title(self) -> &'static str {
        match self {
            Self::GetByPk => "get by primary key (`session.get`)",
            Self::ByName => "by name (`scalar_one_or_none`)",
            Self::Scalar => "one scalar (`scalar()`)",
            Self::Filter100 => "100 rows by app_src (`scalars().all()`)",
            Self::Insert100 => "insert 100 heroes in one transaction (`add_all` + `commit`)",
            Self::Insert100Fast => {
                "insert 100 heroes in one transaction, the columns as arrays (`UNNEST`; SeaORM: one `jsonb_to_recordset` parameter)"
            }
            Self::Types1000 => {
                "1,000 heroes with PostgreSQL's own types, each read whole as a `TypedHero` (id, name, enum, `text[]`, `jsonb`, `uuid`, `numeric`)"
            }
        }
    }
}

/// The `k`-th id asked for: spread over the whole table.
pub fn nth_id(k: u64) -> i64 {
    ((k * 7919) % DATA_ROWS + 1) as i64
}

/// The `k`-th name asked for (an existing hero).
pub fn nth_name(k: u64) -> String {
    format!("hero-{:05}", nth_id(k))
}

/// The `k`-th `app_src` asked for (100 heroes each).
pub fn nth_app_src(k: u64) -> String {
    format!("bench-{:02}", (k * 37) % APP_SRCS)
}

/// The power the data set gives its first [`TYPED_ROWS`] heroes, with their
/// other revision 3 columns: what [`Workload::Types1000`] asks for.
pub const TYPED_POWER: &str = "typed";

/// How many heroes of the data set carry PostgreSQL's own types.
pub const TYPED_ROWS: u64 = 1_000;

/// The `app_src` of rows written by the insert workload (deleted afterwards).
pub const INSERT_APP_SRC: &str = "bench-insert";

/// The `app_src` of rows written by the bulk load (deleted afterwards).
pub const BULK_APP_SRC: &str = "bench-bulk";

/// 100 new heroes for insert number `n` of contender `prefix`.
pub fn insert_batch(prefix: &str, n: u64) -> Vec<NewHero> {
    (0..100)
        .map(|i| NewHero {
            name: format!("{prefix}-{n}-{i}"),
            secret_name: None,
            age: Some(30),
            app_src: INSERT_APP_SRC.to_owned(),
            team_id: None,
        })
        .collect()
}

/// The data set's `i`-th hero (1-based), as loaded before measuring.
pub fn data_row(i: u64) -> NewHero {
    NewHero {
        name: format!("hero-{i:05}"),
        secret_name: Some(format!("secret {i}")),
        age: Some(i32::try_from(i % 90).unwrap_or(0) + 10),
        app_src: format!("bench-{:02}", i % APP_SRCS),
        team_id: None,
    }
}

/// `count` rows for one bulk load, named `<prefix>-0000000`… (the Python
/// script generates the same rows).
pub fn bulk_rows(prefix: &str, count: usize) -> Vec<NewHero> {
    (0..count)
        .map(|i| NewHero {
            name: format!("{prefix}-{i:07}"),
            secret_name: (i % 2 == 0).then(|| format!("secret {i}")),
            age: (i % 3 != 0).then(|| i32::try_from(i % 90).unwrap_or(0) + 10),
            app_src: BULK_APP_SRC.to_owned(),
            team_id: None,
        })
        .collect()
}

/// `rows` as CSV for `COPY heroes (name, secret_name, age, app_src, team_id)`.
pub fn to_csv(rows: &[NewHero]) -> String {
    let mut out = String::with_capacity(rows.len() * 48);
    for row in rows {
        sqlx_raw::production::bulk::write_csv_row(&mut out, row);
    }
    out
}
