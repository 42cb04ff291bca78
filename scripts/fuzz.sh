#!/usr/bin/env bash
# make fuzz: schemathesis against PostgREST's OpenAPI, once per role, at a larger size
# than make test's (BOOKIJI_FUZZ_EXAMPLES, default 100 examples per operation).
set -euo pipefail
cd "$(dirname "$0")/.."
export BOOKIJI_FUZZ_EXAMPLES="${BOOKIJI_FUZZ_EXAMPLES:-100}"
exec .venv/bin/pytest -q -s tests/security/test_fuzz.py "$@"
