#!/usr/bin/env bash
# The whole check: installs what is missing, then lint, typecheck and every suite
# against real services (the vitest global setup starts Temporal, SeaweedFS and
# the reference servers; MariaDB, Redis and NATS are started if stopped).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
echo "==> lint";      npx eslint .
echo "==> typecheck"; npx tsc --noEmit
echo "==> tests";     npx vitest run "$@"
