//! The measured comparison: the four example crates, raw tokio-postgres,
//! pgbench, `psql \copy` and the seed's own SQLAlchemy stack under the same
//! workloads, interleaved in one run, plus each crate's build cost; written
//! as `book/src/comparison.md` with SVG charts (`just report`).

pub mod baselines;
pub mod beyond;
pub mod buildcost;
pub mod contenders;
pub mod dataset;
pub mod faults;
pub mod figures;
pub mod floor;
pub mod http;
pub mod instructions;
pub mod measure;
pub mod pools;
pub mod report;
pub mod results;
pub mod scale;
pub mod testing;
pub mod workloads;
