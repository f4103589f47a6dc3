#!/usr/bin/env bash
# Installs squawk (the migration linter scripts/lint-migrations.py runs) into
# target/squawk-venv, pinned, unless it is already there. Needs python3 with
# venv and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.70.0
if target/squawk-venv/bin/squawk --version 2>/dev/null | grep -q " $version$"; then
    exit 0
fi
python3 -m venv target/squawk-venv
target/squawk-venv/bin/pip install --quiet "squawk-cli==$version"
target/squawk-venv/bin/squawk --version
