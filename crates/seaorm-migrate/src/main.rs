//! seaorm-migrate: SeaORM with sea-orm-migration, the seed's async Alembic
//! section in Rust. With no arguments it runs the tour: migrate to head and show
//! the history, insert the seed heroes in one transaction, every query idiom
//! through SeaORM's API, the join through the entity relation, an update, a
//! delete, a failing batch, the drift check, and `create_all` in a scratch
//! database.
//!
//! Run with:
//! ```text
//! cargo run -p seaorm-migrate                            # the tour
//! ECHO=1 cargo run -p seaorm-migrate                     # the tour, printing every SQL statement
//! cargo run -p seaorm-migrate -- migrate status          # also: up [-n N] | down [-n N] | down-to REV
//!                                                        #       | fresh | refresh | reset | generate NAME
//! cargo run -p seaorm-migrate -- check                   # entities vs database (alembic check)
//! cargo run -p seaorm-migrate -- --help
//! ```

fn main() -> std::process::ExitCode {
    seaorm_migrate::cli::main()
}
