#!/usr/bin/env bash
# Device collection cost on 8 fake GPUs and 8 fake HCAs (the fixture in
# tests/fixtures/fakegpu, read through the real files): agent CPU per
# sample cycle, scrape latency and CPU per scrape of /metrics, agent RSS.
# Run inside the fixture by scripts/bench.sh; prints numbers and ratios
# against the targets (cycle < 2 ms CPU, scrape < 1 ms, RSS < 10 MiB).
set -euo pipefail
B=${1:-build}
W=$(mktemp -d /tmp/lens-bench-dev.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
port() { "$(dirname "$0")/free-port.sh"; }
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metric() { curl -s "http://$1/metrics" | awk -v n="$2" '$1 == n {print $2}'; }

for backend in sysfs rocm_smi; do
  # Sampling cost: a fast interval, nothing else to do.
  a=127.0.0.1:$(port)
  $B/bin/lens-agent --backend "$backend" --sample-interval 20ms --listen "$a" \
    --spool-dir "$W/spool-$backend" --aggregator tcp://127.0.0.1:1 --log-level error 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://$a/healthz" >/dev/null && break; sleep 0.05; done
  c0=$(cpu_ticks $pid); n0=$(metric "$a" lens_agent_device_samples_total)
  sleep 5
  c1=$(cpu_ticks $pid); n1=$(metric "$a" lens_agent_device_samples_total)
  kill $pid; wait $pid 2>/dev/null || true
  awk -v c=$((c1 - c0)) -v t="$tck" -v n=$((n1 - n0)) -v b="$backend" 'BEGIN {
    ms = c / t / n * 1000
    printf "sample cycle (%s, 8 GPUs + 8 HCAs): %.3f ms CPU per cycle over %d cycles (target < 2 ms: %.2fx of it)\n", b, ms, n, ms / 2 }'
done

# Scrapes: no sampling during the measurement (interval 1h, one sample at start).
a=127.0.0.1:$(port)
$B/bin/lens-agent --backend sysfs --sample-interval 1h --listen "$a" --spool-dir "$W/spool-scrape" \
  --aggregator tcp://127.0.0.1:1 --log-level error 2>/dev/null &
pid=$!
for _ in $(seq 100); do curl -sf "http://$a/healthz" >/dev/null && break; sleep 0.05; done
curl -s "http://$a/metrics" >"$W/scrape.txt"
n=500
c0=$(cpu_ticks $pid)
lat=$(for _ in $(seq $n); do curl -s -o /dev/null -w '%{time_total}\n' "http://$a/metrics"; done | sort -n |
  awk '{v[NR] = $1; s += $1} END {printf "%.3f %.3f %.3f", s / NR * 1000, v[int(NR * 0.5)] * 1000, v[int(NR * 0.99)] * 1000}')
c1=$(cpu_ticks $pid)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill $pid; wait $pid 2>/dev/null || true
read -r avg p50 p99 <<<"$lat"
awk -v avg="$avg" -v p50="$p50" -v p99="$p99" -v c=$((c1 - c0)) -v t="$tck" -v n=$n -v bytes="$(wc -c <"$W/scrape.txt")" \
  -v series="$(grep -vc '^#' "$W/scrape.txt")" -v rss="$rss" 'BEGIN {
  printf "scrape of /metrics (%d series, %d bytes): latency avg %.3f ms, p50 %.3f ms, p99 %.3f ms (curl, target < 1 ms: %.2fx of it)\n", series, bytes, avg, p50, p99, p50 / 1
  printf "agent CPU per scrape: %.3f ms\n", c / t / n * 1000
  printf "agent RSS with 8 GPUs + 8 HCAs: %.1f MiB (target < 10 MiB: %.2fx of it)\n", rss / 1024, rss / 10240 }'
