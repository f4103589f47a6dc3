#!/usr/bin/env bash
# Fuzzes each crate's server against its own OpenAPI document with
# schemathesis: every check (no 5xx, every status and body as documented,
# schema-valid requests accepted, schema-invalid ones refused), in all four
# phases (examples, coverage, fuzzing, stateful). Each server runs on a fresh
# database of its own and a free port of 127.0.0.1, and is stopped after.
#
#   scripts/schemathesis.sh                         # all four crates, 100 examples each
#   scripts/schemathesis.sh sqlx-raw --max-examples 500
#
# Installs schemathesis (pinned) into target/schemathesis-venv; needs python3
# with venv and PyPI. devdb starts PostgreSQL when none answers.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "version $version$"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

crates=()
extra=()
while (($#)); do
    case "$1" in
    sync-diesel | async-diesel | sqlx-raw | seaorm-migrate) crates+=("$1") ;;
    *) extra+=("$1") ;;
    esac
    shift
done
((${#crates[@]})) || crates=(sync-diesel async-diesel sqlx-raw seaorm-migrate)
((${#extra[@]})) || extra=(--max-examples 100)

cargo build -q --locked "${crates[@]/#/--package=}"
cargo run -q -p devdb -- start >/dev/null

server=
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; }
trap cleanup EXIT

status=0
for crate in "${crates[@]}"; do
    db="schemathesis_${crate//-/_}"
    cargo run -q -p devdb -- drop "$db" >/dev/null
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    log="target/schemathesis-$crate.log"
    "target/debug/$crate" serve --database "$db" --addr "127.0.0.1:$port" >"$log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.2
    done
    echo "== $crate on 127.0.0.1:$port (server log: $log)"
    # From target/: schemathesis keeps a `.schemathesis` folder where it runs.
    # One worker: hypothesis' lambda-source cache is not safe across threads
    # (schemathesis 4.32.5 reported "AST constructor recursion depth mismatch"
    # as an error of its own with two).
    if ! (cd target && "../$venv/bin/schemathesis" --no-color --config-file ../scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
        --checks all --workers 1 --generation-database none "${extra[@]}"); then
        status=1
    fi
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
    cargo run -q -p devdb -- drop "$db" >/dev/null
done
exit $status
