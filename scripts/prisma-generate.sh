#!/usr/bin/env bash
# Generates the Prisma client (lib/generated/prisma) when it is missing or older
# than prisma/schema.prisma. `npm run generate`; ensure-tools.sh and build.sh call it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
if [ ! -f lib/generated/prisma/client.ts ] || [ prisma/schema.prisma -nt lib/generated/prisma/client.ts ]; then
  echo "==> generating the Prisma client"
  # Prisma's CLI looks for a schema engine it would download; generate never runs
  # it, so any existing file satisfies the check and nothing is fetched.
  PRISMA_SCHEMA_ENGINE_BINARY=/bin/true PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 \
    npx prisma generate >/dev/null
  touch lib/generated/prisma/client.ts
fi
