#!/usr/bin/env bash
# `npm start`: install what is missing, then bring up the whole stack and run the product.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 first on PATH for everything below, installed if the machine lacks it.
source scripts/node-env.sh
bash scripts/ensure-tools.sh
# The API and worker run compiled, as in production; the orchestrator itself runs from source.
echo "==> building dist/ (npm run build)"
bash scripts/build.sh
exec node --import tsx devstack/stack.ts
