#!/usr/bin/env bash
# A local Confab cluster: PostgreSQL and Redis (Debian's packages, private instances) and three nodes on
# ports 8081, 8082 and 8083 with the demo, until Ctrl-C. A visitor on node 1's demo page chats with the agent
# on node 3's agent page. The data stays in ./confab-cluster between runs (remove it to start afresh).
# Extra arguments go to every node's `confab-server serve`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

dir="$root/confab-cluster"
services="/tmp/confab-cluster-services"
ports=(8081 8082 8083)

bash scripts/setup.sh build
bash scripts/build-widget.sh
cargo build --release --locked --quiet -p confab-server
bin="${CARGO_TARGET_DIR:-$root/target}/release/confab-server"

CONFAB_PG_PORT=${CONFAB_PG_PORT:-55442} CONFAB_REDIS_PORT=${CONFAB_REDIS_PORT:-56389} \
  bash scripts/services.sh start "$services"
# shellcheck source=/dev/null
source "$services/env"
database_url="${CONFAB_TEST_DATABASE_URL%/postgres}/confab_cluster"
if ! psql "$CONFAB_TEST_DATABASE_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = 'confab_cluster'" | grep -q 1; then
  psql "$CONFAB_TEST_DATABASE_URL" -qc "CREATE DATABASE confab_cluster"
fi

mkdir -p "$dir"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/services.sh stop "$services"
}
trap stop EXIT INT TERM

for i in "${!ports[@]}"; do
  port=${ports[$i]}
  log="$dir/node$((i + 1)).log"
  # The nodes share the data directory only for demo-app.json (the demo app's public ids, written by the
  # first node): everything else is in PostgreSQL.
  "$bin" serve --demo --data-dir "$dir/data" --widget-dir ./dist --listen "127.0.0.1:$port" \
    --database-url "$database_url" --redis-url "$CONFAB_TEST_REDIS_URL" "$@" >"$log" 2>&1 &
  pids+=($!)
  # One at a time: the first start creates the demo app, the others find it.
  for _ in $(seq 300); do
    grep -q "Confab is listening" "$log" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "Confab is listening" "$log" || { cat "$log" >&2; echo "node $((i + 1)) did not start" >&2; exit 1; }
  echo "node $((i + 1)): http://127.0.0.1:$port (log: $log)"
done
grep -h -A8 "Created the demo app" "$dir"/node*.log || true
echo
echo "Visitor on node 1:  http://127.0.0.1:${ports[0]}/demo"
echo "Agent on node 3:    http://127.0.0.1:${ports[2]}/demo/agent"
echo "Ctrl-C stops the nodes, PostgreSQL and Redis."
wait
