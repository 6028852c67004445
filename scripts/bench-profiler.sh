#!/usr/bin/env bash
# Profiler-trace collection end to end (part of `make bench`): a process in
# a pod-shaped cgroup writes the 171 MB synthetic trace as plain JSON; the
# agent's walk finds it, waits for it to settle (0.5 s here), analyses it on
# the node, gzips it into 1 MiB chunks through the spool, and the aggregator
# stores analysis and content in PostgreSQL. Prints the time from the file
# written to its content complete in the database, the agent's analysis
# time and peak RSS, and the aggregator's CPU. Needs root (cgroups).
set -euo pipefail
B=${1:-build}
. scripts/bench-lib.sh profiler
CGROOT=$(cgroup2_root)
if [ "$(id -u)" -ne 0 ] || [ -z "$CGROOT" ]; then
  echo "profiler collection: skipped (needs root and a cgroup v2 hierarchy)"
  exit 0
fi
UIDP=0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5
CG=$CGROOT/lens-bench-$$
POD_CG=$CG/kubepods.slice/kubepods-pod${UIDP//-/_}.slice/cri-containerd-$(printf 'b9%.0s' $(seq 32)).scope

mkdir -p "$POD_CG" "$W/work"
sh -c "echo \$\$ >'$POD_CG/cgroup.procs'; cd '$W/work' && exec sleep 3600" &
PIDS+=($!)
URL=$(scripts/pg.sh start "$W/pg")
NNG=tcp://127.0.0.1:$(port) HTTP=127.0.0.1:$(port) AH=127.0.0.1:$(port)
$B/bin/lens-aggregator --database-url "$URL" --listen "$NNG" --http-listen "$HTTP" --log-level warn 2>"$W/agg.log" &
agg=$!
PIDS+=("$agg")
for _ in $(seq 300); do psql "$URL" -Atqc "SELECT 1 FROM profiler_files LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done
$B/bin/lens-agent --aggregator "$NNG" --spool-dir "$W/spool" --listen "$AH" --node-name bench-profiler \
  --pod-resources-socket "" --pod-log-dir "$W/nologs" --logs=false --kernel-events=false \
  --profiler-dirs . --profiler-interval 200ms --profiler-settle 500ms --profiler-max-bytes 1GiB \
  --spool-max-bytes 512MiB 2>"$W/agent.log" &
agent=$!
PIDS+=("$agent")
sleep 1
zcat tests/data/traces/synthetic-v100-allreduce-x4.json.gz >"$W/x4.json"
BYTES=$(stat -c %s "$W/x4.json")
c0=$(awk '{print $14 + $15}' /proc/$agg/stat)
t0=$(date +%s.%N)
mv "$W/x4.json" "$W/work/rank0.pt.trace.json" # written: the rename is instant
done_sql="SELECT count(*) FROM profiler_files f WHERE EXISTS (SELECT 1 FROM profiler_chunks c
  WHERE c.file_key = f.file_key AND c.last AND (SELECT count(*) FROM profiler_chunks d
  WHERE d.file_key = f.file_key) = c.idx + 1)"
for _ in $(seq 1200); do
  [ "$(psql "$URL" -Atqc "$done_sql")" = 1 ] && break
  sleep 0.05
done
t1=$(date +%s.%N)
c1=$(awk '{print $14 + $15}' /proc/$agg/stat)
[ "$(psql "$URL" -Atqc "$done_sql")" = 1 ] || { echo "bench-profiler: the trace did not arrive" >&2; tail "$W/agent.log" >&2; exit 1; }
gz=$(psql "$URL" -Atqc "SELECT sum(octet_length(data)) FROM profiler_chunks")
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$agent/status)
an=$(grep -o 'analysis_s=[0-9.]*' "$W/agent.log" | tail -n 1 | cut -d= -f2)
awk -v b="$BYTES" -v gz="$gz" -v t0="$t0" -v t1="$t1" -v an="$an" -v hwm="$hwm" -v c="$((c1 - c0))" \
  -v tck="$(getconf CLK_TCK)" 'BEGIN {
  secs = t1 - t0
  printf "profiler collection, %.0f MB trace written by a pod process to its content in PostgreSQL: %.2f s (0.5 s of it the settle wait, up to 0.2 s the walk interval); analysis on the node %.2f s; %.1f MB gzip stored (%.1fx smaller); agent peak RSS %.0f MiB; aggregator CPU %.2f s\n", b / 1e6, secs, an, gz / 1e6, b / gz, hwm / 1024, c / tck }'
