#!/usr/bin/env bash
# make test: the lint, then the whole suite against real processes.
# Extra arguments go to pytest (make test ARGS="-k quote").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --containers  # podman & co. for tests/test_compose_up.py
scripts/lint.sh
scripts/build-web.sh --force  # the browser tests (tests/web/) serve web/dist
echo "== pytest"
set +e
.venv/bin/pytest "$@" ${ARGS:-}
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test: pytest collected no test - that is a failure" >&2
  exit 1
fi
exit "$rc"
