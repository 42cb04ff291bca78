#!/usr/bin/env bash
# make chaos: the chaos tests (tests/chaos/) at a larger size than CI runs them.
# CHAOS_SCALE multiplies every count and duration (default here 3; CI runs 1);
# single CHAOS_<NAME> variables override one figure, e.g.
#   CHAOS_CRASH_KILLS=50 CHAOS_OUTAGE_SECONDS=30 make chaos
# Extra arguments go to pytest (make chaos ARGS="-k outage").
set -euo pipefail
cd "$(dirname "$0")/.."
export CHAOS_SCALE="${CHAOS_SCALE:-3}"
export CHAOS_OUTAGE_SECONDS="${CHAOS_OUTAGE_SECONDS:-30}"
export CHAOS_RESTART_SECONDS="${CHAOS_RESTART_SECONDS:-60}"
export NEMESIS_SECONDS="${NEMESIS_SECONDS:-60}"
echo "== chaos (CHAOS_SCALE=$CHAOS_SCALE)"
exec .venv/bin/pytest tests/chaos -s -p no:randomly -o timeout=1800 "$@" ${ARGS:-}
