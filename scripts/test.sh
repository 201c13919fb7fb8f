#!/usr/bin/env bash
# The README's test command: set up a virtualenv with the test extras and run the whole suite.
# Set CITYOPS_TEST_DATABASE_URL=postgresql://user@host:5432/db to run every database test on
# PostgreSQL as well as SQLite (.ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
bash scripts/assets.sh
echo "== import layers (import-linter)"
.venv/bin/lint-imports --no-cache
echo "== tests (SQLite${CITYOPS_TEST_DATABASE_URL:+ and PostgreSQL})"
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
