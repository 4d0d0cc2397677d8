#!/usr/bin/env bash
# Makes sure a docker-compose is on PATH for test/compose.test.ts, which only
# runs `docker-compose config` and so needs no Docker engine. Silent when one is
# already there; otherwise installs Debian's docker-compose package.
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-compose: docker-compose is missing and apt-get is not available; install Docker Compose" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-compose: docker-compose is missing; run as root or install sudo" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "==> installing docker-compose (Debian package)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's chatter (debconf, needrestart) is shown only when something fails.
# Without recommends: docker.io (a whole engine) is not needed for `config`.
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get update -qq &&
       "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
         apt-get install -y -qq --no-install-recommends docker-compose; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-compose: installing docker-compose failed" >&2
  exit 1
fi
command -v docker-compose >/dev/null
