#!/usr/bin/env bash
# The profiler-trace analyzer (lensctl trace analyze) on every sample trace
# in tests/data/traces (their README says what each holds): the timeline
# identity, the synthetic x4 file against the V100 one, the minitoy's
# timeline recomputed independently with jq, numbers ANALYSIS.md states,
# the fallbacks where TraceLens fails, and damaged input.
. "$(dirname "$0")/lib.sh"

D=$ROOT/tests/data/traces
CTL=$B/bin/lensctl
an() { "$CTL" trace analyze "$1" -o json; }
jqe() { jq -e "$@" >/dev/null; }
for f in "$D"/*.json.gz; do
  an "$f" >"$T/$(basename "$f" .json.gz).out" 2>>"$T/stderr" || echo "# $f failed"
done
check_eq "every sample trace is analysed without a word on stderr (sanitizers included)" "" "$(cat "$T/stderr")"
out() { cat "$T/$1.out"; }

# computation + exposed comm + exposed memcpy + idle = total, in both modes
# and on every stream, to a nanosecond per row.
identity='def ok: (map({(.type): .time_ms}) | add) as $r
  | ($r.computation_time + $r.exposed_comm_time + $r.exposed_memcpy_time + $r.idle_time - $r.total_time | fabs) < 1e-6;
  [.gpu_timeline, .gpu_timeline_all_events, (.streams[].gpu_timeline)] | map(select(length > 0) | ok) | all'
for f in "$D"/*.json.gz; do
  n=$(basename "$f" .json.gz)
  check "$n: the timeline identity holds (both modes, every stream)" jqe "$identity" "$T/$n.out"
done

# Its 4 copies are shifted by P = 1,830,319 us (README): busy-type rows are
# 4 times the V100 file's, the total 3 P more than the V100 file's.
check_eq "synthetic x4: computation, exposed, busy and totals scale by 4; total is 3 P + the V100 total" "true" \
  "$(jq -n --slurpfile a "$T/hta-v100-allreduce-rank1.out" --slurpfile b "$T/synthetic-v100-allreduce-x4.out" \
    '($a[0].gpu_timeline | map({(.type): .time_ms}) | add) as $v | ($b[0].gpu_timeline | map({(.type): .time_ms}) | add) as $x
     | ([("computation_time", "exposed_comm_time", "exposed_memcpy_time", "busy_time", "total_comm_time", "total_memcpy_time", "total_memset_time")
         | ($x[.] - 4 * $v[.] | fabs) < 1e-6] | all) and (($x.total_time - 3 * 1830.319 - $v.total_time) | fabs) < 1e-6')"
check_eq "the V100 file's computation time is 621.408 ms" "621.408" \
  "$(out hta-v100-allreduce-rank1 | jq '.gpu_timeline[0].time_ms * 1000 | round / 1000')"

# The minitoy, recomputed from the raw events with jq: every GPU event is
# linked there, so the union of their intervals is the busy time.
zcat "$D/hta-mi250-minitoy.json.gz" >"$T/minitoy.json"
union='def merge: sort_by(.[0]) | reduce .[] as $i ([]; if length > 0 and $i[0] <= .[-1][1]
    then .[-1][1] = ([.[-1][1], $i[1]] | max) else . + [$i] end);
  def len: map(.[1] - .[0]) | add // 0;
  [.traceEvents[] | select(.cat == "kernel" or .cat == "gpu_memcpy" or .cat == "gpu_memset") | [.ts, .ts + .dur]] as $all
  | [.traceEvents[] | select(.cat == "gpu_memcpy") | [.ts, .ts + .dur]] as $copy
  | [($all | merge | len), ($copy | merge | len), (($all | merge | .[-1][1]) - ($all | merge | .[0][0]))]
  | map(round / 1000)'
check_eq "minitoy: busy, memcpy and total time as jq computes them from the events" \
  "$(jq -c "$union" "$T/minitoy.json")" \
  "$(out hta-mi250-minitoy | jq -c '[.gpu_timeline[3], .gpu_timeline[7], .gpu_timeline[5]] | map(.time_ms * 1000 | round / 1000)')"
check_eq "minitoy: 14 kernels and 2 copies, all linked by ac2g" "16 16 ac2g" \
  "$(out hta-mi250-minitoy | jq -r '"\(.linking.gpu_events) \(.linking.linked) \(.linking.method)"')"
check_eq "minitoy: the op table attributes every non-communication kernel" \
  "$(out hta-mi250-minitoy | jq '.gpu_timeline[3].time_ms * 1000 | round')" \
  "$(out hta-mi250-minitoy | jq '[.ops_summary[].total_direct_kernel_time_ms] | add * 1000 | round')"

check_eq "MI300 resnet: 1,049 of 3,653 GPU events launched before the window are unlinked" "3653 1049" \
  "$(out tracelens-mi300-resnet-act-checkpoint | jq -r '"\(.linking.gpu_events) \(.linking.unlinked)"')"
check_eq "A100 6 streams: 872 unlinked, 6 streams" "872 6" \
  "$(out hta-a100-sendrecv-6streams-rank0 | jq -r '"\(.linking.unlinked) \(.streams | length)"')"
check_eq "all-events mode covers the unlinked ones too" "true" \
  "$(out tracelens-mi300-resnet-act-checkpoint | jq '.gpu_timeline_all_events[3].time_ms > .gpu_timeline[3].time_ms')"
for n in hta-sampled-rank0 hta-a100-async-cpu-to-gpu-rank3; do
  check "$n: no ac2g flows: linked by correlation, and says so" \
    jqe '.linking.method == "correlation" and (.linking.note | test("correlation")) and .linking.linked > 0' "$T/$n.out"
done
check "the old flow name is named as the reason" \
  jqe '.linking.note | test("async_cpu_to_gpu")' "$T/hta-a100-async-cpu-to-gpu-rank3.out"
check_eq "H100 OWLv2: busy 566.8 ms, aten::_softmax 262.5 ms in category other (ANALYSIS.md §5.2)" \
  "566.8 262.5 other" \
  "$(out tracelens-h100-owlv2 | jq -r '"\(.gpu_timeline[3].time_ms * 10 | round / 10) \(.ops_summary[] | select(.name == "aten::_softmax") | "\(.total_direct_kernel_time_ms * 10 | round / 10) \(.categories[0])")"')"
check_eq "B200: the allgather's algorithm and bus bandwidth (ANALYSIS.md §6)" "_allgather_base 17.06 14.93" \
  "$(out tracelens-b200-eager | jq -r '.collectives[0] | "\(.collective) \(.algo_bw_gbps * 100 | round / 100) \(.bus_bw_gbps * 100 | round / 100)"')"
check_eq "A100 NCCL: 21 kernels in 7 collective groups, all with metadata" "21 7 0" \
  "$(out hta-a100-nccl-data | jq -r '"\([.collectives[].count] | add) \(.collectives | length) \(.collective_kernels_without_metadata)"')"
check_eq "V100: 2,020 AllReduce kernels without metadata are kept as unknown" "2020 unknown false" \
  "$(out hta-v100-allreduce-rank1 | jq -r '"\(.collective_kernels_without_metadata) \(.collectives[0].collective) \(.collectives[0].metadata)"')"
check_eq "MI300 resnet: RCCL kernels, 5 of 17 without metadata" "17 5" \
  "$(out tracelens-mi300-resnet-act-checkpoint | jq -r '"\([.collectives[].count] | add) \(.collective_kernels_without_metadata)"')"
check_eq "a GPU-only trace gives its timeline" "562 true" \
  "$(out tracelens-mi210-gpu-only | jq -r '"\(.linking.linked) \(.gpu_timeline[0].time_ms > 0)"')"
check_eq "the rank comes from distributedInfo" "3" "$(out hta-a100-async-cpu-to-gpu-rank3 | jq .rank)"

table=$("$CTL" trace analyze "$D/tracelens-mi300-resnet-act-checkpoint.json.gz")
check "the table output has the timeline, streams, ops and collectives" sh -c \
  "echo '$table' | grep -q '^computation_time' && echo '$table' | grep -q '^STREAMS' && echo '$table' | grep -q '^OPS BY CATEGORY' && echo '$table' | grep -q '^COLLECTIVES'"

# Damaged input: a clear error or a partial report, never a crash.
head -c 300000 "$D/tracelens-b200-eager.json.gz" >"$T/cut.json.gz"
"$CTL" trace analyze "$T/cut.json.gz" -o json >"$T/cut.out" 2>"$T/cut.err"; rc=$?
check_eq "truncated gzip: a partial report that says so (exit 1)" "1 true true" \
  "$rc $(jq -r '"\(.partial) \(.error | test("truncated"))"' "$T/cut.out")"
zcat "$D/hta-mi250-minitoy.json.gz" | head -c 30000 >"$T/cut.json"
"$CTL" trace analyze "$T/cut.json" -o json >"$T/cutj.out" 2>/dev/null; rc=$?
check_eq "truncated JSON: partial, with the events before the cut" "1 true" \
  "$rc $(jq -r '.partial and .file.events > 10' "$T/cutj.out")"
printf '{"traceEvents":[{"ph":"X","cat":"kernel","name":"k","pid":1,"tid":1,"ts":"soon","dur":5},{"ph":"X","cat":"kernel","pid":1,"tid":1},{"ph":"X","cat":"kernel","name":"ok","pid":1,"tid":7,"ts":10,"dur":5,"args":{"stream":7}}]}' >"$T/bad.json"
check_eq "events with a non-numeric ts or missing fields are counted, the rest analysed" "2 1 0.005" \
  "$("$CTL" trace analyze "$T/bad.json" -o json | jq -r '"\(.file.bad_events) \(.linking.gpu_events) \(.gpu_timeline_all_events[3].time_ms)"')"
"$CTL" trace analyze "$D/hta-v100-allreduce-rank1.json.gz" -o json --max-events 5000 >"$T/budget.out"; rc=$?
check_eq "more events than --max-events: a partial report within the memory bound (exit 1)" "1 true true true" \
  "$rc $(jq -r '"\(.partial) \(.error | test("memory bound")) \(.file.events < 10000)"' "$T/budget.out")"
echo 'not json at all' >"$T/nojson"
"$CTL" trace analyze "$T/nojson" >/dev/null 2>"$T/nojson.err"; rc=$?
check_eq "not a trace: exit 1 and a clear error" "1 true" "$rc $(grep -q 'not a Chrome trace' "$T/nojson.err" && echo true)"
"$CTL" trace analyze "$T/missing.json" >/dev/null 2>"$T/missing.err"; rc=$?
check_eq "a missing file: exit 1 and the reason" "1 true" "$rc $(grep -q 'No such file' "$T/missing.err" && echo true)"
