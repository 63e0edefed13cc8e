#!/usr/bin/env bash
# Builds and tests the TypeScript client (clients/node, npm package @tally/redis) against
# live servers with the module: standalone over RESP2 and RESP3, and a 3-node cluster.
# Installs the npm dependencies from the lockfile only when they are missing or stale,
# and recompiles only when a source changed. TALLY_SERVER picks the server binary
# (default redis-server); the module must be built (cargo build --release).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/clients/node"

module="${TALLY_MODULE:-$root/target/release/libtally.so}"
if [ ! -f "$module" ]; then
  echo "test-node-client: $module is missing; run 'make build' first" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test examples tsconfig.json package.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  rm -rf dist
  node_modules/.bin/tsc -p .
  touch "$stamp"
fi

exec node --test dist/test/*.test.js
