#!/usr/bin/env bash
# `make bench`: end-to-end ingest throughput (agent spool -> nng ->
# aggregator -> committed rows) with 1 and 64 simulated agents, and the
# aggregator's CPU per 100k envelopes. Starts its own private PostgreSQL
# and aggregator (release build), checks the rows really landed, and
# prints numbers and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
W=$(mktemp -d /tmp/lens-bench.XXXXXX)
AGG_PID=
cleanup() {
  [ -n "$AGG_PID" ] && kill "$AGG_PID" 2>/dev/null && wait "$AGG_PID" 2>/dev/null
  scripts/pg.sh stop "$W/pg" || true
  rm -rf "$W"
}
trap cleanup EXIT

port() { "$(dirname "$0")/free-port.sh"; }
URL=$(scripts/pg.sh start "$W/pg")
NNG=tcp://127.0.0.1:$(port)
HTTP=127.0.0.1:$(port)
$B/bin/lens-aggregator --database-url "$URL" --listen "$NNG" --http-listen "$HTTP" \
  --log-level warn 2>"$W/aggregator.log" &
AGG_PID=$!
for _ in $(seq 300); do curl -sf "http://$HTTP/readyz" >/dev/null && break; sleep 0.1; done
# Ready means the database answers; the schema may still be on its way.
for _ in $(seq 300); do psql "$URL" -Atqc "SELECT 1 FROM heartbeats LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done

echo "Lens ingest benchmark ($(nproc) cores, release build, aggregator defaults: 2 writers, 512 contexts)"
echo "envelope = one heartbeat; stored = ledger row + heartbeat row + node upsert, committed"
echo
# One heartbeat per envelope is the worst case: the cost is per message, so
# collectors that put many records in one envelope go proportionally further.
run() {
  local agents=$1 per=$2
  local before after line
  before=$(psql "$URL" -Atqc "SELECT count(*) FROM heartbeats")
  line=$($B/tests/bench_ingest --url "$NNG" --agents "$agents" --per-agent "$per" \
    --dir "$W/spool-$agents" --aggregator-pid "$AGG_PID")
  after=$(psql "$URL" -Atqc "SELECT count(*) FROM heartbeats")
  local stored=$((after - before)) want=$((agents * per))
  [ "$stored" -eq "$want" ] || { echo "bench: only $stored of $want envelopes stored" >&2; exit 1; }
  echo "$line"
}
# The agent at rest: RSS and CPU over 10 s with its default heartbeat.
idle_agent() {
  local http=127.0.0.1:$(port) pid c0 c1 rss tck
  $B/bin/lens-agent --aggregator "$NNG" --spool-dir "$W/idle-spool" --listen "$http" \
    --log-level warn 2>>"$W/agent.log" &
  pid=$!
  sleep 2
  tck=$(getconf CLK_TCK)
  c0=$(awk '{print $14 + $15}' /proc/$pid/stat)
  sleep 10
  c1=$(awk '{print $14 + $15}' /proc/$pid/stat)
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v c=$((c1 - c0)) -v t="$tck" -v r="$rss" 'BEGIN {
    printf "agent idle: RSS %.1f MiB (target < 10 MiB: %.2fx of it), CPU %.3f%% of a core over 10 s\n", r / 1024, r / 10240, c / t / 10 * 100 }'
}

r1=$(run 1 10000)
r64=$(run 64 1000)
echo "$r1"
echo "$r64"
rate() { sed 's/.*envelopes_per_second=\([0-9]*\).*/\1/' <<<"$1"; }
cpu() { sed 's/.*aggregator_cpu_seconds_per_100k=\([0-9.]*\).*/\1/' <<<"$1"; }
echo
awk -v r1="$(rate "$r1")" -v r64="$(rate "$r64")" -v c1="$(cpu "$r1")" -v c64="$(cpu "$r64")" 'BEGIN {
  printf "1 agent:   %8.0f envelopes/s end to end, aggregator CPU %.2f s per 100k (%.1f us each)\n", r1, c1, c1 * 10
  printf "64 agents: %8.0f envelopes/s end to end, aggregator CPU %.2f s per 100k (%.1f us each)\n", r64, c64, c64 * 10
  printf "ratio 64 agents / 1 agent throughput: %.2fx\n", r64 / r1
  printf "aggregator CPU per envelope at 64 agents vs the design figure for one-at-a-time receive (60 us): %.2fx\n", (c64 * 10) / 60
  printf "rows committed per second at 64 agents (ledger + heartbeat): %.0f\n", r64 * 2
}'
idle_agent

echo
echo "Pod mapping (a full pass walks every fd of every pod process; a steady pass reuses it while a process's fd count and executable stay the same; 1 full pass in 10)"
scripts/bench-podmap.sh "$B"

echo
echo "Training analysis (Megatron-style logs, 1 iteration line per 20 other lines)"
$B/tests/bench_trainlog --lines 4000000
scripts/bench-training.sh "$B"

echo
echo "Profiler traces (tests/data/traces: every table of lensctl trace analyze, a fresh process per file)"
scripts/bench-trace.sh "$B"
scripts/bench-profiler.sh "$B"

echo
echo "Alerts (log lines through 500 rules on one core; the webhook intake: enrichment by pod UID, dedup, correlation, in PostgreSQL)"
$B/tests/bench_rules --rules 500 --lines 2000000
scripts/bench-alerts.sh "$B"

echo
echo "Container logs (150-byte CRI lines)"
scripts/bench-logs.sh "$B"

echo
if [ "$(id -u)" -eq 0 ]; then
  echo "Kernel events (fork/exec/exit storm of /bin/true in a pod cgroup: an exec and an exit event per process; no rate limit)"
  scripts/bench-kevents.sh "$B"
else
  echo "Kernel event benchmark skipped: loading eBPF needs root"
fi

echo
if [ "$(id -u)" -eq 0 ]; then
  echo "Device collection (fake devices: tests/fixtures/fakegpu; reads go through overlayfs, which costs more per file than sysfs on a real node)"
  tests/fixtures/fakegpu/fakegpu.sh --gpus 8 --hcas 8 -- bash scripts/bench-devices.sh "$B" 2>&1 | grep -v '^fakegpu:'
else
  echo "Device collection benchmark skipped: the fake-device fixture needs root"
fi
