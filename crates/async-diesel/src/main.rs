//! async-diesel: diesel-async on tokio-postgres against PostgreSQL, the seed's
//! asyncpg section in Rust. With no arguments it runs the tour: migrate to head,
//! insert the seed heroes in one transaction, every query idiom of the study,
//! a join, an update, a delete, a failing batch that rolls back, then many tasks
//! sharing a small pool and two queries pipelined on one connection.
//!
//! Run with:
//! ```text
//! cargo run -p async-diesel                        # the tour
//! ECHO=1 cargo run -p async-diesel                 # the tour, printing every SQL statement
//! POOL_SIZE=2 cargo run -p async-diesel            # a smaller pool (also --pool-size, --pool-timeout-ms)
//! cargo run -p async-diesel -- migrate history     # also: migrate up | down [-n N] | redo
//! cargo run -p async-diesel -- --help
//! ```

fn main() -> std::process::ExitCode {
    async_diesel::cli::main()
}
