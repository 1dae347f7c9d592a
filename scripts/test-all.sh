#!/usr/bin/env bash
# Runs every test of Steering Lab on a fresh Debian machine: installs what is missing (npm
# packages; Debian's chromium for the browser tests), then typecheck, lint, unit + integration
# tests (real onnxruntime-web on fixture models), the acceptance tier (the trained demo model),
# the app build and the browser e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"

step() { printf '\n== %s ==\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || { echo "Could not install chromium with apt-get; install the Debian package 'chromium' and rerun."; exit 1; }
  else
    echo "Missing /usr/bin/chromium: install the Debian package 'chromium' (sudo apt-get install chromium) and rerun."
    exit 1
  fi
fi

mkdir -p test-results
step "typecheck"
npx tsc --noEmit -p .
step "lint"
npx eslint --max-warnings 0 .
step "unit and integration tests (onnxruntime-web wasm on fixture models)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json || status=$?
step "acceptance tests (the trained demo model: steering, detection and ablation mean something)"
npx vitest run -c vitest.acceptance.config.ts --reporter=default --reporter=json --outputFile=test-results/acceptance.json || status=$?
step "build the lab"
npm run --silent build
step "browser tests (headless chromium, WebGPU through SwiftShader)"
npx vitest run -c vitest.e2e.config.ts --reporter=default --reporter=json --outputFile=test-results/e2e.json || status=$?

node -e '
const fs = require("fs");
let p = 0, f = 0, s = 0;
for (const file of ["test-results/vitest.json", "test-results/acceptance.json", "test-results/e2e.json"]) {
  if (!fs.existsSync(file)) { f++; continue; }
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests || 0);
}
console.log(`\n${p} passed, ${f} failed, ${s} skipped`);
'
exit $status
