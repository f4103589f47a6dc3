# Recipes for working on the project. The two commands of the README's quick
# start (`cargo run`, `cargo test --workspace`) need none of this; `just` adds
# the rest. Install it with `pip install rust-just` or `cargo install just`.

set dotenv-load := false

# List the recipes.
default:
    @just --list

# Start PostgreSQL: docker compose when a Docker engine answers, else the local cluster.
up:
    #!/usr/bin/env bash
    set -euo pipefail
    if docker info >/dev/null 2>&1; then
        docker compose up -d --wait postgres
    else
        cargo run -q -p devdb -- start
    fi

# Stop PostgreSQL (whichever of the two `just up` started).
down:
    #!/usr/bin/env bash
    set -euo pipefail
    if docker info >/dev/null 2>&1 && [ -n "$(docker compose ps -q 2>/dev/null)" ]; then
        docker compose down
    else
        cargo run -q -p devdb -- stop
    fi

# The highly available cluster (book/src/high-availability.md): etcd, three
# Patroni nodes and HAProxy, from `apt-get install patroni etcd-server haproxy`.
ha-up:
    cargo run -q -p devdb -- ha up

# Each HA node's role and lag.
ha-status:
    cargo run -q -p devdb -- ha status

# A database's URL on the HA cluster: via="multi-host" | "haproxy" | "haproxy-replica".
ha-url db="postgres" via="multi-host":
    cargo run -q -p devdb -- ha url --via {{via}} {{db}}

# A planned switchover to the synchronous standby.
ha-switchover:
    cargo run -q -p devdb -- ha switchover

# The leader killed (SIGKILL); Patroni promotes the synchronous standby.
ha-failover:
    cargo run -q -p devdb -- ha failover

# Stop the HA cluster.
ha-down:
    cargo run -q -p devdb -- ha down

# Where the database is and whether it answers.
status:
    cargo run -q -p devdb -- status

# Open psql on a database (default: the server's maintenance database).
psql db="postgres":
    psql "$(cargo run -q -p devdb -- url {{db}})"

# The tour across every example crate (the README's first command).
demo:
    cargo run

# sync-diesel: the tour (ECHO=1 just sync-diesel prints the SQL).
sync-diesel *args:
    cargo run -q -p sync-diesel -- {{args}}

# sync-diesel migrations: up | down [-n N] | history | redo | check.
migrate-sync-diesel *args="history":
    cargo run -q -p sync-diesel -- migrate {{args}}

# async-diesel: the tour (POOL_SIZE=2 just async-diesel shrinks the pool).
async-diesel *args:
    cargo run -q -p async-diesel -- {{args}}

# async-diesel migrations: up | down [-n N] | history | redo.
migrate-async-diesel *args="history":
    cargo run -q -p async-diesel -- migrate {{args}}

# sqlx-raw: the tour.
sqlx-raw *args:
    cargo run -q -p sqlx-raw -- {{args}}

# sqlx-raw migrations: up | down [-n N] | history.
migrate-sqlx-raw *args="history":
    cargo run -q -p sqlx-raw -- migrate {{args}}

# sqlx-raw bulk load: UNNEST vs COPY, rows/s (release build).
load count="100000":
    cargo run -q --release -p sqlx-raw -- load --count {{count}}

# Regenerate crates/sqlx-raw/.sqlx after changing a query or migration.
sqlx-prepare:
    scripts/sqlx-prepare.sh

# seaorm-migrate: the tour.
seaorm-migrate *args:
    cargo run -q -p seaorm-migrate -- {{args}}

# seaorm-migrate migrations: up | down | down-to REV | status | fresh | refresh | reset | generate NAME.
migrate-seaorm *args="status":
    cargo run -q -p seaorm-migrate -- migrate {{args}}

# Serve the heroes API from one crate on http://127.0.0.1:8000 (ADDR to change).
serve crate="sqlx-raw" *args:
    cargo run -q -p {{crate}} -- serve {{args}}

# Fuzz each crate's server against its OpenAPI document with schemathesis
# (installed into target/ when missing); e.g. `just schemathesis sqlx-raw --max-examples 500`.
schemathesis *args:
    scripts/schemathesis.sh {{args}}

# Every test (the README's second command).
test:
    cargo test --workspace

# Formatting, lints, the sqlx offline data and the migration lint, as CI checks them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    scripts/sqlx-prepare.sh --check
    just lint-migrations

# squawk over every migration's SQL (SeaORM's as its builder renders it);
# findings must be allowed, with a reason, in migration-lint.toml.
lint-migrations:
    scripts/squawk-setup.sh
    python3 scripts/lint-migrations.py --self-check

# Everything CI runs.
ci:
    bash .ci/run

# The tutorial: builds book/ into target/book and checks every include, anchor
# and link (mdBook only logs a missing include); installs mdBook 0.5 when
# missing. `mdbook serve book` serves it on http://localhost:3000.
book:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! mdbook --version 2>/dev/null | grep -q '^mdbook v0\.5\.'; then
        cargo install mdbook --version '^0.5' --locked
    fi
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    mdbook build book 2>&1 | tee "$log"
    if grep -E '^\s*(ERROR|WARN)' "$log" >/dev/null; then
        echo "error: mdbook reported a problem (above)" >&2
        exit 1
    fi
    cargo test -q -p tour --test book
    echo "the book is in target/book/index.html"

# Every conformance scenario against every crate; writes book/src/behaviour.md.
conformance:
    cargo run -q -p conformance -- report --out book/src/behaviour.md

# Faults under load: every server and FastAPI + SQLAlchemy under 64
# connections while backends are terminated, PostgreSQL restarts, a table
# lock outlasts statement_timeout and PgBouncer restarts, on a cluster of the
# run's own; a ledger of every POST; then a 3-minute soak per server; then,
# on a highly available cluster of its own, a switchover and the leader
# killed. Writes docs/FAULTS.json and docs/FAULTS.md (~30 min; `--quick --out
# /tmp/f.md --json /tmp/f.json` for a smoke run, `--soak SECS`, `--server
# NAME`, `--ha-only`, `--no-ha`).
faults *args:
    cargo run --release -q -p bench -- faults {{args}}

# The measured comparison: every crate, raw tokio-postgres, pgbench, psql \copy
# and SQLAlchemy (psycopg2, asyncpg), each server beside the floor and FastAPI,
# the pool-size sweep, plus cold build cost; writes docs/COMPARISON.json,
# book/src/comparison.md with its charts, and every report block of the READMEs
# and the book (about an hour, 15 minutes of it the cold builds; `--quick --out
# /tmp/c.md --json /tmp/c.json` for a smoke run that leaves them alone).
report *args: _callgrind-tools
    cargo run --release -q -p bench -- report {{args}}

# The book's "Testing your queries": measured alone into docs/COMPARISON.json,
# then every block rendered again (a release build, then about a minute).
# What isolating one test costs, strategy by strategy.
testing-cost *args:
    cargo run --release -q -p bench -- testing {{args}}

# How big a pool should be: each server and the floor (axum + tokio-postgres
# by hand) under 64 connections, and each crate's concurrent get-by-PK at 8
# and 32 tasks, at pool sizes 1-32; measured alone into docs/COMPARISON.json,
# then every block rendered again (a release build, then about 12 minutes).
pools *args:
    cargo run --release -q -p bench -- pools {{args}}

# Client-side instructions per operation of each crate and raw tokio-postgres,
# counted by Callgrind (gungraun), compared with docs/COMPARISON.json's: exits
# 1 when a count rose more than 5% (a release build, then about a minute).
instructions *args: _callgrind-tools
    cargo run --release -q -p bench -- instructions --check {{args}}

# Valgrind and the gungraun-runner that matches the gungraun library, when missing.
_callgrind-tools:
    command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind)
    gungraun-runner --version 2>/dev/null | grep -q 0.20.0 || cargo install --locked --version 0.20.0 gungraun-runner
