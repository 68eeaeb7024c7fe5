#!/usr/bin/env bash
# Starts c360 on a throwaway SQLite file and runs the graphql-http server
# audits (npm package graphql-http) against it; fails on any error or warning.
set -euo pipefail
bin=${1:-bin/c360}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18181)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
(cd "$root/.ci/audit" && npm ci --silent --no-audit --no-fund >/dev/null)
DATABASE_URL="file:$work/audit.db" DEMO_DATA=false PORT=$port "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
node "$root/.ci/audit/audit.mjs" "http://127.0.0.1:$port/graphql" || { cat "$work/server.log"; exit 1; }
