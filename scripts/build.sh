#!/usr/bin/env bash
# `npm run build`: the production code compiled to JavaScript in dist/ (tsconfig.build.json,
# the generated Prisma client included) and the prebuilt workflow bundle workers load
# (dist/workflow-bundle.js). The image, `npm start` and the `scaiwave` bin run this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
bash scripts/prisma-generate.sh
npx tsc -p tsconfig.build.json
node --import tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js
