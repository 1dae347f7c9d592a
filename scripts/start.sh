#!/usr/bin/env bash
# Starts the lab on a fresh machine: installs npm packages if needed, writes the built-in tiny
# test model and the trained demo model (from assets/demo-model), and serves the app (cross-origin isolated, so wasm can use threads).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent test-model
npm run --silent demo-model
exec npx vite --host 127.0.0.1 "$@"
