//! sqlx-raw: the seed's query idioms as plain SQL with sqlx, checked at compile
//! time. With no arguments it runs the tour: migrate to head, insert the seed
//! heroes in one transaction, every idiom as a `query!`/`query_as!`/
//! `query_scalar!`, a join, an update, a delete, and the three ways a
//! transaction ends (commit, rollback, rollback on drop).
//!
//! Run with:
//! ```text
//! cargo run -p sqlx-raw                               # the tour
//! ECHO=1 cargo run -p sqlx-raw                        # the tour, printing every SQL statement
//! cargo run -p sqlx-raw -- migrate history            # also: migrate up | down [-n N]
//! cargo run --release -p sqlx-raw -- load --count 100000   # UNNEST vs COPY, rows/s
//! cargo run -p sqlx-raw -- --help
//! ```

fn main() -> std::process::ExitCode {
    sqlx_raw::cli::main()
}
