#!/usr/bin/env bash
# The lint, and only what runs here counts: sqlfluff on db/, ruff (check and
# format), mypy on worker/ and realtime/, plpgsql_check over every plpgsql function,
# the web app's type check (tsc, strict, over the generated API types).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== sqlfluff (db/)"
$BIN/sqlfluff lint db/
echo "== ruff check"
$BIN/ruff check worker realtime bookiji db/seed bench scripts tests
echo "== ruff format --check"
$BIN/ruff format --check worker realtime bookiji db/seed bench scripts tests
echo "== mypy (worker/ realtime/ bookiji/ db/seed/ bench/)"
$BIN/mypy
echo "== plpgsql_check"
$BIN/python scripts/plpgsql_check.py
echo "== tsc (web/)"
(cd web && node_modules/.bin/tsc --noEmit -p .)
