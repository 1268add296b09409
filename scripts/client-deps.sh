#!/usr/bin/env bash
# Installs the TypeScript client's tools from the npm registry into clients/typescript
# (package.json and package-lock.json are committed; node_modules is not): openapi-typescript
# (generates src/schema.d.ts from /openapi.json), typescript (tsc, the type check of
# tests/journeys/test_typescript_client.py) and openapi-fetch (the client's runtime).
set -euo pipefail
cd "$(dirname "$0")/../clients/typescript"
if ! command -v npm >/dev/null; then
  echo "npm is needed for the TypeScript client's check (Debian: apt-get install npm)" >&2
  exit 1
fi
if [ -x node_modules/.bin/tsc ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
