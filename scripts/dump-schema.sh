#!/usr/bin/env bash
# Rewrite db/schema.sql from a fresh deploy (commit the result with the change).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/bookiji db dump
