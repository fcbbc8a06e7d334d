#!/usr/bin/env bash
# Quick start, command 2: installs whatever is missing, then runs every check and test:
# lint and format (biome), typecheck, the test suites of all packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

status=0
pnpm -s lint || status=1
pnpm -s turbo run typecheck --output-logs=errors-only || status=1
rm -f packages/*/.vitest-report.json
pnpm -s turbo run test --concurrency=1 --output-logs=full || status=1
node scripts/test-summary.mjs || status=1
exit $status
