#!/usr/bin/env bash
# Regenerates crates/sqlx-raw/.sqlx/, the query descriptions sqlx's `query!`
# macros read when the build has no database (SQLX_OFFLINE=true, set in
# .cargo/config.toml). With --check, fails instead when the committed data no
# longer matches the queries (CI runs it that way).
#
#   scripts/sqlx-prepare.sh            # after changing a query or a migration
#   scripts/sqlx-prepare.sh --check    # what CI runs
#
# Needs sqlx-cli 0.9 (see the command below) and a PostgreSQL, which devdb
# starts when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo sqlx --version >/dev/null 2>&1; then
    echo "error: sqlx-cli is not installed; run: cargo install sqlx-cli --version 0.9.0 --locked --no-default-features --features postgres,rustls,sqlx-toml" >&2
    exit 2
fi

# A scratch database at head, built by the crate's own migrations (not by the
# crate itself: it cannot compile before .sqlx/ exists).
db=sqlx_raw_prepare
cargo run -q -p devdb -- drop "$db" >/dev/null
url=$(cargo run -q -p devdb -- url "$db")
DATABASE_URL="$url" cargo sqlx migrate run --source crates/sqlx-raw/migrations >/dev/null

cd crates/sqlx-raw
status=0
DATABASE_URL="$url" SQLX_OFFLINE=false cargo sqlx prepare "$@" -- --all-targets || status=$?
cd ../..
cargo run -q -p devdb -- drop "$db" >/dev/null
exit "$status"
