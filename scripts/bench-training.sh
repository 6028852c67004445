#!/usr/bin/env bash
# Training analysis end to end (part of `make bench`): a Megatron-style
# container log, one iteration line per 20 other lines, tailed by the
# agent and shipped to the aggregator, which stores the lines, analyses
# them and stores one training_performance row per iteration line (run
# assignment, slowdown medians and events in the same database call).
# Prints lines and rows per second end to end and the aggregator's CPU.
set -euo pipefail
B=${1:-build}
. scripts/bench-lib.sh training

ITER=10000
DIR=$W/pods/ml_bench-train-0_0b1c2d3e-4f50-4a61-8b72-9c8d0e1f2a3b/main
mkdir -p "$DIR"
# Iterations a second apart, ending now, so the run is live (no hang).
awk -v n="$ITER" -v end="$(date +%s)" 'BEGIN {
  split("building dataset index, 120000 samples|NCCL INFO Channel 00/32 : 3[3] -> 4[4] via P2P/IPC|[WARNING] torch.distributed: the process group is not yet initialised|RCCL INFO comm 0x55d0 rank 5 nranks 32 cudaDev 5 busId 81000 - Init COMPLETE|    forward-backward ...............................: (2654.21, 2660.54)", other, "|")
  for (i = 1; i <= n; i++) {
    t = end - n + i
    ts = strftime("%Y-%m-%dT%H:%M:%S", t, 1)
    for (k = 0; k < 20; k++) printf "%s.%06dZ stdout F [rank-7/8] %s\n", ts, k, other[k % 5 + 1]
    printf "%s.500000Z stdout F [20251121 12:10:29][rank-7/8][INFO ] [--------trainer.py:2488] :  iteration %8d/ 1000000 | consumed samples: %12d | elapsed time per iteration (ms): 2701.3/2712.7 | rocm mem usage/free/total/usage_ratio: 227.35GB/28.63GB/255.98GB/88.81%% | throughput per GPU (TFLOP/s/GPU): 210.5/217.3 | tokens per GPU (tokens/s/GPU): 12130.4/12525.5 | learning rate: 1.587349E-04 | global batch size:   256 | lm loss: %.6E | loss scale: 1.0 | grad norm: 0.132 | num zeros: 0.0 | number of skipped iterations:   0 | number of nan iterations:   0 |\n", ts, i, i * 256, 2.5 + 8 / (i + 3)
  }
}' >"$DIR/0.log"
LINES=$(wc -l <"$DIR/0.log")

URL=$(scripts/pg.sh start "$W/pg")
NNG=tcp://127.0.0.1:$(port) HTTP=127.0.0.1:$(port) AH=127.0.0.1:$(port)
$B/bin/lens-aggregator --database-url "$URL" --listen "$NNG" --http-listen "$HTTP" --log-level warn 2>"$W/agg.log" &
agg=$!
PIDS+=("$agg")
for _ in $(seq 300); do psql "$URL" -Atqc "SELECT 1 FROM training_performance LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done
c0=$(awk '{print $14 + $15}' /proc/$agg/stat)
t0=$(date +%s.%N)
$B/bin/lens-agent --aggregator "$NNG" --spool-dir "$W/spool" --listen "$AH" --node-name bench-training \
  --pod-log-dir "$W/pods" --pod-resources-socket "" --kernel-events=false --log-level warn 2>"$W/agent.log" &
PIDS+=($!)
rows=0
for _ in $(seq 1800); do
  rows=$(psql "$URL" -Atqc "SELECT count(*) FROM training_performance")
  [ "$rows" -ge "$ITER" ] && break
  sleep 0.1
done
t1=$(date +%s.%N)
c1=$(awk '{print $14 + $15}' /proc/$agg/stat)
runs=$(psql "$URL" -Atqc "SELECT count(*) FROM training_runs")
[ "$rows" -eq "$ITER" ] && [ "$runs" -eq 1 ] || { echo "bench-training: $rows of $ITER rows, $runs runs" >&2; exit 1; }
awk -v n="$LINES" -v r="$rows" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v tck="$(getconf CLK_TCK)" 'BEGIN {
  secs = t1 - t0; cpu = c / tck
  printf "training, agent to training_performance rows: %d lines (1 iteration line in 21) in %.1f s: %.0f lines/s, %.0f iteration rows/s end to end; aggregator CPU %.2f s (%.0f rows/s per core, storing the lines included)\n", n, secs, n / secs, r / secs, cpu, r / (cpu > 0 ? cpu : 1) }'
