//! Client-side instructions per operation, counted by Callgrind through
//! gungraun: what each crate (and raw tokio-postgres) executes in its own
//! process to get a hero by primary key, by name, 100 heroes by `app_src`,
//! to insert 100 heroes, and to read the 1,000 heroes with PostgreSQL's own
//! types (`types_1000`: enum, array, jsonb, uuid, numeric). Unlike a timing, the count does not move with
//! the machine's load or the round trip's length, so a change in it is a
//! change in the code.
//!
//! Each benchmark runs [`OPS`] operations on a current-thread tokio runtime
//! (sync-diesel: on the calling thread) through a pool of one connection,
//! after as many unmeasured ones that prepare the statements; only the
//! benchmark function's thread is counted, so r2d2's and the runtime's own
//! threads are not. The server's side of each operation is not counted: it
//! runs in PostgreSQL's processes.
//!
//! Needs Valgrind and `gungraun-runner` of the same version as the
//! `gungraun` library, and a database holding the benchmark's 10,000 heroes:
//! `cargo run --release -p bench -- instructions` prepares one, runs this and
//! prints the counts per operation (the report does the same).
//! By hand: `INSTRUCTIONS_DATABASE_URL=postgres://... cargo bench -p bench
//! --bench instructions`.

// The benchmark macros generate modules and constants without docs.
#![allow(missing_docs)]

use std::hint::black_box;

use bench::contenders::{Pool, Rust};
use bench::instructions::OPS;
use bench::workloads::Workload;
use gungraun::{LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main};
use tokio::runtime::Runtime;

/// A contender connected and warmed up, outside the measurement.
struct Ready {
    runtime: Runtime,
    rust: Rust,
    workload: Workload,
}

/// Connects `contender` through a pool of one connection and runs
/// `workload` [`OPS`] times, so that what is measured finds its statements
/// prepared and its caches filled.
fn ready(contender: &str, workload: Workload) -> Ready {
    let fail = |what: &str, err: String| -> ! {
        eprintln!("instructions: {contender}: {what}: {err}");
        std::process::exit(2)
    };
    let Ok(url) = std::env::var("INSTRUCTIONS_DATABASE_URL") else {
        fail(
            "INSTRUCTIONS_DATABASE_URL is not set",
            "run `cargo run --release -p bench -- instructions`, which prepares the database"
                .to_owned(),
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("no runtime", e.to_string()));
    if workload == Workload::Insert100 {
        runtime
            .block_on(bench::dataset::clean(&url))
            .unwrap_or_else(|e| fail("cannot remove earlier inserts", e));
    }
    let pool = Pool {
        size: 1,
        statement_cache: true,
        ping_every_checkout: false,
    };
    let rust = runtime
        .block_on(Rust::connect_with(contender, &url, pool))
        .unwrap_or_else(|e| fail("cannot connect", e));
    for k in 0..OPS {
        runtime
            .block_on(rust.op(workload, k, 0))
            .unwrap_or_else(|e| fail("warm-up failed", e));
    }
    Ready {
        runtime,
        rust,
        workload,
    }
}

/// The measured part: [`OPS`] more operations. Returns the contender, so
/// that closing it is not counted.
fn run(ready: Ready) -> Ready {
    for k in OPS..2 * OPS {
        let done = ready.runtime.block_on(ready.rust.op(ready.workload, k, 0));
        black_box(done.ok());
    }
    ready
}

fn get_by_pk(contender: &str) -> Ready {
    ready(contender, Workload::GetByPk)
}
fn by_name(contender: &str) -> Ready {
    ready(contender, Workload::ByName)
}
fn filter_100(contender: &str) -> Ready {
    ready(contender, Workload::Filter100)
}
fn insert_100(contender: &str) -> Ready {
    ready(contender, Workload::Insert100)
}
fn types_1000(contender: &str) -> Ready {
    ready(contender, Workload::Types1000)
}

#[library_benchmark]
#[bench::sync_diesel(args = ("sync-diesel"), setup = get_by_pk)]
#[bench::async_diesel(args = ("async-diesel"), setup = get_by_pk)]
#[bench::sqlx_raw(args = ("sqlx-raw"), setup = get_by_pk)]
#[bench::seaorm_migrate(args = ("seaorm-migrate"), setup = get_by_pk)]
#[bench::tokio_postgres(args = ("tokio-postgres"), setup = get_by_pk)]
fn bench_get_by_pk(ready: Ready) -> Ready {
    run(ready)
}

#[library_benchmark]
#[bench::sync_diesel(args = ("sync-diesel"), setup = by_name)]
#[bench::async_diesel(args = ("async-diesel"), setup = by_name)]
#[bench::sqlx_raw(args = ("sqlx-raw"), setup = by_name)]
#[bench::seaorm_migrate(args = ("seaorm-migrate"), setup = by_name)]
#[bench::tokio_postgres(args = ("tokio-postgres"), setup = by_name)]
fn bench_by_name(ready: Ready) -> Ready {
    run(ready)
}

#[library_benchmark]
#[bench::sync_diesel(args = ("sync-diesel"), setup = filter_100)]
#[bench::async_diesel(args = ("async-diesel"), setup = filter_100)]
#[bench::sqlx_raw(args = ("sqlx-raw"), setup = filter_100)]
#[bench::seaorm_migrate(args = ("seaorm-migrate"), setup = filter_100)]
#[bench::tokio_postgres(args = ("tokio-postgres"), setup = filter_100)]
fn bench_filter_100(ready: Ready) -> Ready {
    run(ready)
}

#[library_benchmark]
#[bench::sync_diesel(args = ("sync-diesel"), setup = insert_100)]
#[bench::async_diesel(args = ("async-diesel"), setup = insert_100)]
#[bench::sqlx_raw(args = ("sqlx-raw"), setup = insert_100)]
#[bench::seaorm_migrate(args = ("seaorm-migrate"), setup = insert_100)]
#[bench::tokio_postgres(args = ("tokio-postgres"), setup = insert_100)]
fn bench_insert_100(ready: Ready) -> Ready {
    run(ready)
}

#[library_benchmark]
#[bench::sync_diesel(args = ("sync-diesel"), setup = types_1000)]
#[bench::async_diesel(args = ("async-diesel"), setup = types_1000)]
#[bench::sqlx_raw(args = ("sqlx-raw"), setup = types_1000)]
#[bench::seaorm_migrate(args = ("seaorm-migrate"), setup = types_1000)]
#[bench::tokio_postgres(args = ("tokio-postgres"), setup = types_1000)]
fn bench_types_1000(ready: Ready) -> Ready {
    run(ready)
}

library_benchmark_group!(
    name = per_operation;
    benchmarks = bench_get_by_pk, bench_by_name, bench_filter_100, bench_insert_100, bench_types_1000
);

main!(
    config = LibraryBenchmarkConfig::default().pass_through_envs(["INSTRUCTIONS_DATABASE_URL"]);
    library_benchmark_groups = per_operation
);
