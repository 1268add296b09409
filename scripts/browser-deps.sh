#!/usr/bin/env bash
# Installs what the browser tests inject into pages: axe-core from the npm registry, into
# tests/browser/node (package.json and package-lock.json are committed; node_modules is not).
# The browser itself is Debian's chromium (scripts/system-deps.sh); never a downloaded build.
set -euo pipefail
cd "$(dirname "$0")/../tests/browser/node"
if ! command -v npm >/dev/null; then
  echo "npm is needed for the accessibility check (Debian: apt-get install npm)" >&2
  exit 1
fi
if [ -f node_modules/axe-core/axe.min.js ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
