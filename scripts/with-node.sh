#!/usr/bin/env bash
# Runs one command on the project's Node 24 (scripts/node-env.sh installs it if
# missing): the package.json scripts that run code go through here.
set -euo pipefail
source "$(dirname "$0")/node-env.sh"
exec "$@"
