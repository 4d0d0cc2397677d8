#!/usr/bin/env bash
# The whole check: installs what is missing, then lint, typecheck and every suite
# against real services (the vitest global setup starts Temporal, SeaweedFS and
# the reference servers; MariaDB, Redis and NATS are started if stopped).
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 24 first on PATH for everything below, installed if the machine lacks it.
source scripts/node-env.sh
bash scripts/ensure-tools.sh
echo "==> lint";      npx eslint .
echo "==> typecheck"; npx tsc --noEmit
echo "==> tests"
report=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI can read, whatever vitest's own format.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit "$status"
