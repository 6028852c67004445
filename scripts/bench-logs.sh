#!/usr/bin/env bash
# Container logs (part of `make bench`): the agent's tail-and-ship cost on
# its own (into the spool, no network) against `cat` of the same file, and
# the whole path from files to committed rows.
set -euo pipefail
B=${1:-build}
. scripts/bench-lib.sh logs

$B/tests/bench_logs --dir "$W/alone" --lines 2000000 --bytes 150
rm -rf "$W/alone"

# The agent shipping to an aggregator that acknowledges without storing.
N=2000000
mkdir -p "$W/ship"
$B/tests/bench_logs --dir "$W/ship" --lines "$N" --bytes 150 >/dev/null   # writes the file
rm -rf "$W/ship/spool" "$W/ship/logs.state"
port() { scripts/free-port.sh; }
SINK=tcp://127.0.0.1:$(port) SH=127.0.0.1:$(port)
$B/tests/nngsink "$SINK" >"$W/sink.out" &
sink=$!
t0=$(date +%s.%N)
$B/bin/lens-agent --aggregator "$SINK" --spool-dir "$W/ship-spool" --listen "$SH" --node-name bench-ship \
  --pod-log-dir "$W/ship/pods" --pod-resources-socket "" --kernel-events=false --log-level warn 2>"$W/ship.log" &
agent=$!
PIDS+=("$agent" "$sink")
for _ in $(seq 1200); do
  read -r lines spooled < <(curl -s "http://$SH/metrics" | awk '$1 == "lens_agent_log_lines_total" {l = $2} $1 ~ /^lens_agent_spool_records\{stream="logs"\}/ {s = $2} END {print l + 0, s + 0}')
  [ "${lines%.*}" -ge "$N" ] && [ "${spooled%.*}" -eq 0 ] && break
  sleep 0.05
done
t1=$(date +%s.%N)
cpu=$(awk '{print $14 + $15}' /proc/$agent/stat)
kill "$agent"; wait "$agent" 2>/dev/null || true
kill "$sink"; wait "$sink" 2>/dev/null || true
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v cpu="$cpu" -v tck="$(getconf CLK_TCK)" -v sink="$(cat "$W/sink.out")" 'BEGIN {
  secs = t1 - t0; c = cpu / tck
  printf "logs, the agent tailing and shipping to an aggregator that acknowledges without storing: %d lines (%.0f MiB) in %.1f s, agent CPU %.2f s: %.0f lines/s per core (target 1,000,000: %.2fx), %.0f MiB/s per core; sink saw %s\n", n, n * 150 / 1048576, secs, c, n / c, n / c / 1e6, n * 150 / 1048576 / c, sink }'
rm -rf "$W/ship" "$W/ship-spool"

N=300000
mkdir -p "$W/e2e"
$B/tests/bench_logs --dir "$W/e2e" --lines "$N" --bytes 150 >/dev/null   # writes the file
rm -rf "$W/e2e/spool" "$W/e2e/logs.state"
URL=$(scripts/pg.sh start "$W/pg")
NNG=tcp://127.0.0.1:$(port) HTTP=127.0.0.1:$(port) AH=127.0.0.1:$(port)
$B/bin/lens-aggregator --database-url "$URL" --listen "$NNG" --http-listen "$HTTP" --log-level warn 2>"$W/agg.log" &
PIDS+=($!)
for _ in $(seq 300); do psql "$URL" -Atqc "SELECT 1 FROM log_lines LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done
t0=$(date +%s.%N)
$B/bin/lens-agent --aggregator "$NNG" --spool-dir "$W/spool" --listen "$AH" --node-name bench-logs \
  --pod-log-dir "$W/e2e/pods" --pod-resources-socket "" --kernel-events=false --log-level warn 2>"$W/agent.log" &
agent=$!
PIDS+=("$agent")
stored=0
for _ in $(seq 1200); do
  stored=$(psql "$URL" -Atqc "SELECT count(*) FROM log_lines WHERE node = 'bench-logs'")
  [ "$stored" -ge "$N" ] && break
  sleep 0.1
done
t1=$(date +%s.%N)
cpu=$(awk '{print $14 + $15}' /proc/$agent/stat)
awk -v n="$N" -v s="$stored" -v t0="$t0" -v t1="$t1" -v cpu="$cpu" -v tck="$(getconf CLK_TCK)" 'BEGIN {
  secs = t1 - t0
  printf "logs, files to committed rows: %d of %d lines (%.0f MiB) in %.1f s: %.0f lines/s, %.1f MiB/s end to end; agent CPU %.2f s (%.0f lines/s per core)\n", s, n, n * 150 / 1048576, secs, s / secs, s * 150 / 1048576 / secs, cpu / tck, s / (cpu / tck > 0 ? cpu / tck : 1) }'
