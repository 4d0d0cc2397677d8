#!/usr/bin/env bash
# `npm start`: install what is missing, then bring up the whole stack and run the product.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
exec node --import tsx devstack/stack.ts
