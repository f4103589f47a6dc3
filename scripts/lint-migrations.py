#!/usr/bin/env python3
"""Lint every migration's SQL with squawk, as CI does.

Reads the SQL each tool runs:
  - diesel (sync-diesel, and async-diesel, which runs the same files):
    migrations/*/up.sql and down.sql
  - sqlx: crates/sqlx-raw/migrations/*.sql
  - SeaORM: its migrations are Rust, so their SQL is what the schema builder
    renders: `seaorm-migrate migrate plan --all`, split into one file per
    migration under target/migration-lint/seaorm/

Every squawk finding must be allowed, with a reason, by an entry of
migration-lint.toml (at the repository root); anything else fails, and so
does an entry that no longer matches any finding, so the list stays true.

    scripts/lint-migrations.py               lint the project's migrations
    scripts/lint-migrations.py --self-check  and prove the lint can fail: a
                                             deliberately locking migration
                                             must be reported

squawk comes from $SQUAWK, target/squawk-venv (made by .ci/run and
`just lint-migrations`:
`python3 -m venv target/squawk-venv && target/squawk-venv/bin/pip install
squawk-cli==2.70.0`), or PATH, in that order. Exit codes: 0 clean, 1 findings not allowed, 2 setup
problem (no squawk, no database for SeaORM's rendering).
"""

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "migration-lint"
SQUAWK_VERSION = "2.70.0"


def fail_setup(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def squawk_binary():
    for candidate in (
        os.environ.get("SQUAWK"),
        str(ROOT / "target" / "squawk-venv" / "bin" / "squawk"),
        shutil.which("squawk"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    fail_setup(
        "squawk not found: python3 -m venv target/squawk-venv && "
        f"target/squawk-venv/bin/pip install squawk-cli=={SQUAWK_VERSION}"
    )


def seaorm_files():
    """SeaORM's migrations as SQL, one file per migration."""
    command = [
        "cargo", "run", "-q", "--locked", "-p", "seaorm-migrate", "--",
        "--database", "migration_lint", "migrate", "plan", "--all",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        fail_setup(f"`{' '.join(command)}` failed:\n{done.stderr.strip()}")
    folder = OUT / "seaorm"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files, name, lines = [], None, []

    def flush():
        if name:
            path = folder / f"{name}.sql"
            path.write_text("\n".join(lines).strip() + "\n")
            files.append(path)

    for line in done.stdout.splitlines():
        if line.startswith("-- m") and line.endswith(")"):
            flush()
            name, lines = line[3:].split(" ")[0], []
        elif line not in ("BEGIN;", "COMMIT;"):
            lines.append(line)
    flush()
    if not files:
        fail_setup("seaorm-migrate printed no migrations")
    return files


def migration_files():
    files = sorted((ROOT / "migrations").glob("*/*.sql"))
    files += sorted((ROOT / "crates/sqlx-raw/migrations").glob("*.sql"))
    files += seaorm_files()
    return files


def findings(squawk, files):
    relative = [str(f.relative_to(ROOT)) for f in files]
    done = subprocess.run(
        [squawk, "--reporter", "json", "--pg-version", "15", *relative],
        cwd=ROOT, capture_output=True, text=True,
    )
    try:
        return json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        fail_setup(f"squawk did not print JSON:\n{done.stdout}\n{done.stderr}")


def load_allowances():
    with open(ROOT / "migration-lint.toml", "rb") as f:
        allow = tomllib.load(f).get("allow", [])
    for entry in allow:
        if not entry.get("reason", "").strip():
            fail_setup(f"migration-lint.toml: an entry for {entry.get('rule')} has no reason")
    return allow


def allowed_by(finding, allowances):
    for i, entry in enumerate(allowances):
        if entry["rule"] == finding["rule_name"] and any(
            fnmatch.fnmatch(finding["file"], pattern) for pattern in entry["files"]
        ):
            return i
    return None


def lint(squawk, files, allowances):
    """Prints each finding not allowed; returns them and the entries used."""
    refused, used = [], set()
    for finding in findings(squawk, files):
        i = allowed_by(finding, allowances)
        if i is None:
            refused.append(finding)
            print(
                f"{finding['file']}:{finding['line'] + 1}: {finding['rule_name']}: "
                f"{finding['message']}"
                + (f" ({finding['help']})" if finding.get("help") else "")
            )
        else:
            used.add(i)
    return refused, used


def self_check(squawk, allowances):
    """A migration that blocks writes to a live table must be refused."""
    folder = OUT / "self-check"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "20990101000000_heroes_age_index.up.sql"
    path.write_text("CREATE INDEX heroes_age_idx ON heroes (age);\n")
    print(f"self-check: linting a deliberately locking migration ({path.relative_to(ROOT)}):")
    refused, _ = lint(squawk, [path], allowances)
    if not any(f["rule_name"] == "require-concurrent-index-creation" for f in refused):
        print("error: the lint let a blocking CREATE INDEX through", file=sys.stderr)
        sys.exit(1)
    print("self-check: refused, as it must be\n")


def main():
    squawk = squawk_binary()
    allowances = load_allowances()
    if "--self-check" in sys.argv[1:]:
        self_check(squawk, allowances)
    files = migration_files()
    refused, used = lint(squawk, files, allowances)
    stale = [a for i, a in enumerate(allowances) if i not in used]
    for entry in stale:
        print(f"migration-lint.toml: nothing needs the allowance for {entry['rule']} in {entry['files']} any more; remove it")
    print(
        f"squawk {SQUAWK_VERSION} over {len(files)} migration files: "
        f"{len(refused)} finding(s) not allowed, {len(allowances) - len(stale)} allowance(s) in use"
    )
    sys.exit(1 if refused or stale else 0)


if __name__ == "__main__":
    main()
