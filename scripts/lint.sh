#!/usr/bin/env bash
# The lint, and only what runs here counts: sqlfluff on db/, ruff (check and
# format), mypy on worker/, plpgsql_check over every plpgsql function.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== sqlfluff (db/)"
$BIN/sqlfluff lint db/
echo "== ruff check"
$BIN/ruff check worker tests bench scripts
echo "== ruff format --check"
$BIN/ruff format --check worker tests bench scripts
echo "== mypy (worker/)"
$BIN/mypy
echo "== plpgsql_check"
PYTHONPATH=. $BIN/python scripts/plpgsql_check.py
