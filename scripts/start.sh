#!/usr/bin/env bash
# Starts the lab on a fresh machine: installs npm packages if needed, writes the built-in tiny test model and
# the trained demo model (from assets/demo-model), builds the app for production and serves that build
# (cross-origin isolated, so wasm can use threads). The dev server with hot reload is `npm run dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
# `npm run build` writes both models before `vite build`, so dist/ holds them too.
npm run --silent build
exec npx vite preview --host 127.0.0.1 --port 5173 "$@"
