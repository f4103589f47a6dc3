//! sync-diesel: synchronous Diesel against PostgreSQL, the seed's psycopg2
//! section in Rust. With no arguments it runs the tour: migrate to head, insert
//! the seed heroes in one transaction, then every query idiom of the study, a
//! join, an update, a delete and a failing batch that rolls back.
//!
//! Run with:
//! ```text
//! cargo run -p sync-diesel                       # the tour
//! ECHO=1 cargo run -p sync-diesel                # the tour, printing every SQL statement
//! cargo run -p sync-diesel -- migrate history    # also: migrate up | down [-n N] | redo
//! cargo run -p sync-diesel -- --help
//! ```

fn main() -> std::process::ExitCode {
    sync_diesel::cli::main()
}
