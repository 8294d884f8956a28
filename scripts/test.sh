#!/usr/bin/env bash
# The test command: sets up what the tests need, runs the Rust tests, builds the widget, prints the size
# report and runs the end-to-end tests in headless Chromium against a real server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh test

# Private PostgreSQL and Redis servers for the store, broker and cluster tests, stopped when this ends.
services="$(mktemp -d /tmp/confab-services.XXXXXX)"
trap 'bash "$root/scripts/services.sh" stop "$services"' EXIT
CONFAB_PG_PORT=${CONFAB_PG_PORT:-$((20000 + RANDOM % 20000))} CONFAB_REDIS_PORT=${CONFAB_REDIS_PORT:-$((40000 + RANDOM % 20000))} \
  bash scripts/services.sh start "$services"
# shellcheck source=/dev/null
source "$services/env"

echo "== Rust tests" >&2
cargo test --workspace --locked

echo "== widget build" >&2
bash scripts/build-widget.sh
echo "== console build" >&2
bash scripts/build-console.sh
cargo build --locked -p confab-server

echo "== size report" >&2
node tests/e2e/size-report.mjs

echo "== host-page cost (Lighthouse)" >&2
node tests/e2e/lighthouse-report.mjs

echo "== end-to-end tests (Chromium)" >&2
cd tests/e2e
node --test --test-concurrency=1 --test-reporter=spec
