#!/usr/bin/env bash
# `make demo`: runs Lens on this machine. Starts a private PostgreSQL under
# .run/pg, lens-aggregator and one lens-agent (this machine as a node),
# waits until the node shows up, prints `lensctl nodes` and the URLs, and
# keeps running until Ctrl-C, then stops everything it started.
# DEMO_SECONDS=N stops it after N seconds instead (for unattended runs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=$ROOT/.run
B=$ROOT/build/bin
mkdir -p "$RUN"
PIDS=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the demo..."
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/pg.sh stop "$RUN/pg"
  echo "Stopped. Logs are in .run/."
}
trap stop_all INT TERM EXIT

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

NNG_PORT=$(pick_port 9470)
API_PORT=$(pick_port 9480)
AGENT_PORT=$(pick_port 9481)
[ "$AGENT_PORT" = "$API_PORT" ] && AGENT_PORT=$(pick_port $((API_PORT + 1)))
API=http://127.0.0.1:$API_PORT

echo "Starting PostgreSQL (private, .run/pg)..."
DB_URL=$(scripts/pg.sh start "$RUN/pg")

echo "Starting lens-aggregator (agents: tcp://127.0.0.1:$NNG_PORT, API: $API)..."
"$B/lens-aggregator" --database-url "$DB_URL" --listen "tcp://127.0.0.1:$NNG_PORT" \
  --http-listen "127.0.0.1:$API_PORT" 2>>"$RUN/aggregator.log" &
PIDS+=($!)
for _ in $(seq 300); do curl -sf "$API/readyz" >/dev/null && break; sleep 0.1; done

echo "Starting lens-agent for this machine (metrics: http://127.0.0.1:$AGENT_PORT/metrics)..."
"$B/lens-agent" --aggregator "tcp://127.0.0.1:$NNG_PORT" --spool-dir "$RUN/spool" \
  --listen "127.0.0.1:$AGENT_PORT" --heartbeat-interval 5s 2>>"$RUN/agent.log" &
PIDS+=($!)

export LENS_SERVER=$API
for _ in $(seq 300); do
  "$B/lensctl" nodes 2>/dev/null | grep -q ' Ready ' && break
  sleep 0.1
done
echo
echo "$ lensctl nodes"
"$B/lensctl" nodes
cat <<INFO

Lens is running:
  REST API          $API/api/v1/nodes
  aggregator        $API/metrics   $API/healthz   $API/readyz
  agent             http://127.0.0.1:$AGENT_PORT/metrics   http://127.0.0.1:$AGENT_PORT/healthz
  lensctl           LENS_SERVER=$API build/bin/lensctl nodes [-o wide|json]
  logs              .run/aggregator.log  .run/agent.log

Press Ctrl-C to stop.
INFO
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  while :; do sleep 3600; done
fi
