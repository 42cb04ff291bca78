#!/usr/bin/env bash
# Build the web app (web/, Vite) into web/dist when its sources changed: a stamp holds the
# hash of everything the build reads. `--force` builds anyway (make test builds once).
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=web/dist/.bookiji-build.sha256
want=$( (find web/src clients/typescript -type f -print0 | sort -z | xargs -0 sha256sum
         sha256sum web/index.html web/vite.config.ts web/tsconfig.json web/package-lock.json) | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f web/dist/index.html ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "build-web: building the web app (web/dist)"
(cd web && npm run --silent build >/dev/null)
echo "$want" > "$stamp"
