//! The heroes API contract, once per example crate: every check of
//! `src/checks.rs` against every server. A fifth crate is one `contender!` line.

use http_contract::contenders::{AsyncDiesel, SeaOrm, SqlxRaw, SyncDiesel};
use http_contract::{beyond, checks, round_trips, run, types};

macro_rules! contender {
    ($module:ident, $contender:ty) => {
        mod $module {
            use super::*;

            #[test]
            fn endpoints() {
                run(checks::endpoints::<$contender>());
            }
            #[test]
            fn bad_input() {
                run(checks::bad_input::<$contender>());
            }
            #[test]
            fn duplicates() {
                run(checks::duplicates::<$contender>());
            }
            #[test]
            fn overlapping_batches() {
                run(checks::overlapping_batches::<$contender>());
            }
            #[test]
            fn pool_exhausted() {
                run(checks::pool_exhausted::<$contender>());
            }
            #[test]
            fn database_stopped() {
                run(checks::database_stopped::<$contender>());
            }
            #[test]
            fn abandoned_requests() {
                run(checks::abandoned_requests::<$contender>());
            }
            #[test]
            fn openapi() {
                run(checks::openapi::<$contender>());
            }
            #[test]
            fn relations() {
                run(beyond::relations::<$contender>());
            }
            #[test]
            fn filters() {
                run(beyond::filters::<$contender>());
            }
            #[test]
            fn export() {
                run(beyond::export::<$contender>());
            }
            #[test]
            fn export_abandoned() {
                run(beyond::export_abandoned::<$contender>());
            }
            #[test]
            fn own_types() {
                run(types::own_types::<$contender>());
            }
            #[test]
            fn own_types_rejected() {
                run(types::own_types_rejected::<$contender>());
            }
            #[test]
            fn newer_enum_value() {
                run(types::newer_enum_value::<$contender>());
            }
            #[test]
            fn one_statement_reads() {
                run(round_trips::reads::<$contender>());
            }
        }
    };
}

contender!(sync_diesel, SyncDiesel);
contender!(async_diesel, AsyncDiesel);
contender!(sqlx_raw, SqlxRaw);
contender!(seaorm_migrate, SeaOrm);

/// The generated document parses as OpenAPI 3.1 with an independent
/// OpenAPI 3.1 model (the `oas3` crate), not only with the code that made it.
#[test]
fn the_openapi_document_is_openapi_3_1() {
    use utoipa::OpenApi as _;
    let json = heroes_api::ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| panic!("cannot serialise the document: {e}"));
    let spec = oas3::from_json(&json).unwrap_or_else(|e| panic!("not OpenAPI 3.1: {e}"));
    assert!(spec.openapi.starts_with("3.1."), "version {}", spec.openapi);
    let operations = spec.operations().count();
    assert_eq!(operations, 14, "every route and method is documented");
}
