#!/usr/bin/env bash
# The kernel-event path under a fork/exec/exit storm in a pod cgroup (part
# of `make bench`, root only): kernel -> ring buffer -> agent -> aggregator
# -> PostgreSQL. Prints the rate the whole path sustained with zero drops,
# what happens beyond it (a small ring buffer, no rate limit), and the
# agent's CPU per 100k events.
set -euo pipefail
B=${1:-build}
. scripts/bench-lib.sh kev
root=$(cgroup2_root)
[ -n "$root" ] || { echo "kernel events: skipped (no cgroup v2 hierarchy)"; exit 0; }
CG=$root/lens-bench-kev-$$
pod=$CG/kubepods.slice/kubepods-pod0a1b2c3d_e4f5_4789_abcd_ef0123456789.slice/cri-containerd-$(printf 'cd%.0s' $(seq 32)).scope
mkdir -p "$pod"

URL=$(scripts/pg.sh start "$W/pg")
NNG=tcp://127.0.0.1:$(port) HTTP=127.0.0.1:$(port)
$B/bin/lens-aggregator --database-url "$URL" --listen "$NNG" --http-listen "$HTTP" --log-level warn 2>"$W/agg.log" &
PIDS+=($!)
for _ in $(seq 300); do psql "$URL" -Atqc "SELECT 1 FROM kernel_events LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done

# run KEY LABEL RING RATE: one agent, one storm; numbers on one line.
run() {
  local key=$1 label=$2 ring=$3 rate=$4 http=127.0.0.1:$(port) agent c0 c1 line
  $B/bin/lens-agent --aggregator "$NNG" --spool-dir "$W/spool-$key" --listen "$http" \
    --node-name "bench-$key" --kernel-ring-bytes "$ring" --kernel-event-rate 0 \
    --pod-resources-socket "" --log-level warn 2>>"$W/agent.log" &
  agent=$!
  PIDS+=("$agent")
  for _ in $(seq 100); do curl -sf "http://$http/metrics" | grep -q '^lens_agent_kernel_pod_cgroups [1-9]' && break; sleep 0.1; done
  c0=$(awk '{print $14 + $15}' /proc/$agent/stat)
  line=$($B/tests/bench_kevents --cgroup "$pod" --seconds 5 ${rate:+--rate $rate})
  sleep 3   # the last batch: one flush interval, then the commit
  c1=$(awk '{print $14 + $15}' /proc/$agent/stat)
  local m; m=$(curl -s "http://$http/metrics")
  local got lost stored
  got=$(awk '$1 ~ /^lens_agent_kernel_events_total\{type="(exec|exit)"\}/ {s += $2} END {print s + 0}' <<<"$m")
  lost=$(awk '$1 == "lens_agent_kernel_events_dropped_total{reason=\"ring_full\"}" {print $2}' <<<"$m")
  stored=$(psql "$URL" -Atqc "SELECT count(*) FROM kernel_events WHERE node = 'bench-$key' AND (details->'argv'->>1 = 'bench-kevents' OR (type = 'exit' AND comm = 'true'))")
  kill "$agent"; wait "$agent" 2>/dev/null || true
  awk -v l="$label" -v line="$line" -v got="$got" -v lost="${lost:-0}" -v stored="$stored" \
      -v cpu=$((c1 - c0)) -v tck="$(getconf CLK_TCK)" 'BEGIN {
    split(line, a, /[ =]/); n = a[2]; secs = a[4]
    printf "kernel events, %s: %d processes in %.1f s -> %d events expected, %d collected, %d stored, %d lost in the ring (%.2f%%); %.0f events/s stored; agent CPU %.2f s per 100k events\n", l, n, secs, 2 * n, got, stored, lost, lost * 100 / (2 * n > 0 ? 2 * n : 1), stored / secs, (cpu / tck) / (got > 0 ? got : 1) * 100000 }'
}
run paced "paced storm (2000 processes/s, 256 KiB ring, the default)" 256KiB 2000
run flat "flat-out storm (256 KiB ring, the default)" 256KiB ""
run large "flat-out storm (4 MiB ring)" 4MiB ""
run small "flat-out storm (64 KiB ring: drops)" 64KiB ""
