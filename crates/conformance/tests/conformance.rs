//! The conformance scenarios, once per example crate. The bodies live in
//! `src/scenarios.rs`; this file only instantiates them: a fifth crate is one
//! more `stack!` line.

use conformance::harness::assert_scenario;

/// The `conformance` binary: scenario 8 runs each crate's command line through it.
const CLI: &str = env!("CARGO_BIN_EXE_conformance");

macro_rules! stack {
    ($module:ident, $stack:ty) => {
        mod $module {
            use super::*;

            #[test]
            fn s1_crud() {
                assert_scenario::<$stack>(1, CLI.as_ref());
            }
            #[test]
            fn s2_duplicate_batch() {
                assert_scenario::<$stack>(2, CLI.as_ref());
            }
            #[test]
            fn s3_awkward_names() {
                assert_scenario::<$stack>(3, CLI.as_ref());
            }
            #[test]
            fn s4_concurrent_writers() {
                assert_scenario::<$stack>(4, CLI.as_ref());
            }
            #[test]
            fn s5_killed_backend() {
                assert_scenario::<$stack>(5, CLI.as_ref());
            }
            #[test]
            fn s6_pool_exhausted() {
                assert_scenario::<$stack>(6, CLI.as_ref());
            }
            #[test]
            fn s7_server_restart() {
                assert_scenario::<$stack>(7, CLI.as_ref());
            }
            #[test]
            fn s8_bad_database_url() {
                assert_scenario::<$stack>(8, CLI.as_ref());
            }
            #[test]
            fn s9_schema_equivalence() {
                assert_scenario::<$stack>(9, CLI.as_ref());
            }
            #[test]
            fn s10_silent_server() {
                assert_scenario::<$stack>(10, CLI.as_ref());
            }
            #[test]
            fn s11_statement_timeout() {
                assert_scenario::<$stack>(11, CLI.as_ref());
            }
            #[test]
            fn s12_killed_mid_transaction() {
                assert_scenario::<$stack>(12, CLI.as_ref());
            }
            #[test]
            fn s13_relations_filters_stream() {
                assert_scenario::<$stack>(13, CLI.as_ref());
            }
            #[test]
            fn s14_own_types() {
                assert_scenario::<$stack>(14, CLI.as_ref());
            }
        }
    };
}

stack!(sync_diesel, conformance::stacks::SyncDiesel);
stack!(async_diesel, conformance::stacks::AsyncDiesel);
stack!(sqlx_raw, conformance::stacks::SqlxRaw);
stack!(seaorm_migrate, conformance::stacks::SeaOrm);

/// Every scenario in the list has a test above (by name) and a number that
/// `run` knows; a scenario added to the list without a test fails here.
#[test]
fn every_scenario_has_a_test() {
    let source = include_str!("conformance.rs");
    for scenario in conformance::scenarios::SCENARIOS {
        assert!(
            source.contains(&format!("fn {}()", scenario.test)),
            "scenario {} ({}) has no test function",
            scenario.number,
            scenario.test
        );
        assert!(
            source.contains(&format!("assert_scenario::<$stack>({}, ", scenario.number)),
            "scenario {} is not run",
            scenario.number
        );
    }
}

/// The committed table has a passing cell for every scenario × crate: adding
/// a scenario or a crate without running `just conformance` fails here.
#[test]
fn the_committed_behaviour_table_covers_every_cell() {
    let table = include_str!("../../../book/src/behaviour.md");
    for scenario in conformance::scenarios::SCENARIOS {
        for stack in conformance::report::STACKS {
            let cell = format!("`{}::{}`", stack.module, scenario.test);
            assert!(
                table.contains(&cell),
                "book/src/behaviour.md has no cell {cell}; run `just conformance`"
            );
        }
    }
    assert!(
        !table.contains("❌"),
        "book/src/behaviour.md records a failure; fix it and run `just conformance`"
    );
}
