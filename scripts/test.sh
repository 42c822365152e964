#!/usr/bin/env bash
# Runs every opsroom test on this machine, setting up what the tests need
# first. Tests that need PostgreSQL, NATS, a browser or Node skip with a
# message saying so when those are absent, and run when they are present.
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh ./internal/access/...   # some packages
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# PostgreSQL: the store suite runs on both engines when it answers.
if [ -z "${OPSROOM_TEST_POSTGRES:-}" ] && port_open 127.0.0.1 5432; then
  export OPSROOM_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
fi
log "PostgreSQL tests: ${OPSROOM_TEST_POSTGRES:-off (no server on 127.0.0.1:5432)}"

# NATS: the multi-instance fan-out test.
if [ -z "${OPSROOM_TEST_NATS:-}" ] && port_open 127.0.0.1 4222; then
  export OPSROOM_TEST_NATS="nats://127.0.0.1:4222"
fi
log "NATS tests: ${OPSROOM_TEST_NATS:-off (no server on 127.0.0.1:4222)}"

# Chromium for the browser tests (Debian's package; needs root and apt).
if ! have chromium && [ ! -x /usr/lib/chromium/chromium ] && [ "$(id -u)" = 0 ] && have apt-get; then
  log "installing chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || log "could not install chromium; browser tests will skip"
fi

# Node packages for the TAK interop tests (an independent TAK client).
if [ -f interop/package.json ] && have npm; then
  if [ ! -d interop/node_modules ]; then
    log "installing the TAK interop client (npm ci)"
    (cd interop && npm ci --no-audit --no-fund --loglevel=error) || log "npm ci failed; interop tests will skip"
  fi
fi

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
# The built UI assets are committed; rebuild them from web/src and fail if
# they differ, so the source and what the binary embeds never drift apart.
if have npm; then
  log "web assets: rebuilding from web/src and comparing with internal/web/assets"
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run --silent build >/dev/null)
  if [ -n "$(git status --porcelain -- internal/web/assets)" ]; then
    echo "internal/web/assets differs from a fresh build of web/src (cd web && npm ci && npm run build, then commit both):"
    git status --short -- internal/web/assets
    exit 1
  fi
else
  log "web assets: not checked (npm not found; install Node.js to rebuild and compare them)"
fi

log "go vet"
go vet "${pkgs[@]}"
log "go test -race"
go test -race -count=1 -timeout 25m "${pkgs[@]}"
