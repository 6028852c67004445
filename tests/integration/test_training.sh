#!/usr/bin/env bash
# Training analysis end to end: a pod's container log (CRI lines under a
# /var/log/pods-shaped tree, tailed by the real agent) with Megatron/Primus
# iteration lines in their layouts and with noise, a NaN loss, a slowdown,
# a checkpoint save, a re-reported iteration, a restart, a stall and the
# end; WandB reports from valid to malformed; the metrics query API with
# filters and time ranges, Grafana's endpoints, a user's pattern added at
# run time, and lensctl training. Timelines are synthetic: the CRI
# timestamps say when each line was written.
. "$(dirname "$0")/lib.sh"

UA=5d6e7f80-9a1b-4c2d-8e3f-405162738495
UB=6e7f8091-ab2c-4d3e-9f40-516273849506
DIR=$T/pods/ml_llama-0_$UA/main
mkdir -p "$DIR" "$T/pods/ml_resume-0_$UB/main"
: >"$DIR/0.log"
now=$(date +%s)
# at SECONDS_FROM_NOW TEXT: one CRI line written at that time ("now" is
# when the test started; "live" is the moment the line is written), into
# pod A's log (LOG names another).
LOG=$DIR/0.log
at() {
  local t
  if [ "$1" = live ]; then t=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  else t=$(date -u -d "@$((now + $1))" +%Y-%m-%dT%H:%M:%S.%NZ); fi
  printf '%s stdout F %s\n' "$t" "$2" >>"$LOG"
}
# iter T ITERATION MS LOSS [PREFIX]: a Primus iteration line (ROCm memory).
iter() {
  at "$1" "${5:-}[20251121 12:10:29][rank-7/8][INFO ] [--------trainer.py:2488] :  iteration $(printf '%8d' "$2")/    1000 | consumed samples: $(printf '%12d' $(($2 * 128))) | elapsed time per iteration (ms): $3/$3 | rocm mem usage/free/total/usage_ratio: 150.00GB/106.00GB/256.00GB/58.59% | throughput per GPU (TFLOP/s/GPU): 200.0/200.0 | tokens per GPU (tokens/s/GPU): 9000.0/9000.0 | learning rate: 1.000000E-04 | global batch size:   128 | lm loss: $4 | loss scale: 1.0 | grad norm: 0.500 | number of skipped iterations:   0 | number of nan iterations:   0 |"
}

start_pg
start_aggregator --hang-min 1s --hang-check-interval 500ms --hang-factor 5 --hang-max-idle 60s \
  --slowdown-percent 20 --slowdown-iterations 3 --training-flush-interval 100ms
API=http://$AGG_HTTP
export LENS_SERVER=$API
start_agent --node-name train-node --pod-log-dir "$T/pods" --log-batch-delay 100ms \
  --log-rescan 300ms --pod-resources-socket "" --kernel-events=false
get() { curl -s "$API$1"; }
q() { psql "$DB_URL" -Atqc "$1"; }

# ---- Run 1, a minute and a half ago: framework banner, the layouts with
# noise, a NaN loss, a slowdown, a checkpoint and a re-reported iteration.
b=-100
at $b "[Primus] starting trainer: backend megatron.core.models.gpt"
iter $((b + 1)) 10 1000.0 2.900000E+00
iter $((b + 2)) 20 1000.0 2.800000E+00 "[rank0]: "
iter $((b + 3)) 30 1000.0 2.700000E+00 $'\e[32m'
iter $((b + 4)) 40 1000.0 2.600000E+00 "[default0]:"
at $((b + 5)) "[rank7]: [2025-01-01 10:00:05] iteration       50/    1000 | consumed samples:         6400 | elapsed time per iteration (ms): 1000.0 | throughput per GPU (TFLOP/s/GPU): 200.0 | learning rate: 1.000000E-04 | global batch size:   128 | lm loss: 2.500000E+00 | loss scale: 1.0 | grad norm: 0.500 | params norm: 250.1 | number of skipped iterations:   0 | number of nan iterations:   0 | hip mem usage/free/total/usage_ratio: 150.00GB/106.00GB/256.00GB/58.59%"
iter $((b + 6)) 60 1000.0 nan
iter $((b + 7)) 70 1000.0 2.400000E+00
iter $((b + 8)) 80 1000.0 2.300000E+00
at $((b + 8)) "validation loss at iteration 80 | lm loss value: 2.31 | lm loss PPL: 10.1"
at $((b + 8)) "iteration time is fine, nothing to see"
at $((b + 8)) " iteration       81/    1000 | lm loss: -1.0 | elapsed time per iteration (ms): 1000.0 |"
iter $((b + 9)) 90 1500.0 2.250000E+00
iter $((b + 10)) 100 1500.0 2.200000E+00
iter $((b + 11)) 110 1500.0 2.150000E+00
at $((b + 12)) "saving checkpoint at iteration      110 to /ckpt/llama in torch_dist format"
at $((b + 14)) "  successfully saved checkpoint from iteration      110 to /ckpt/llama [ t 1/8, p 1/1 ]"
iter $((b + 15)) 110 1500.0 2.140000E+00

check "iteration lines become training_performance rows" wait_for 20 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM training_performance WHERE workload_uid = '$UA'\") -eq 11 ]"
check_eq "a pod without owners is its own workload; one run so far" "1" \
  "$(q "SELECT max(serial) FROM training_performance WHERE workload_uid = '$UA'")"
check_eq "upstream Megatron's single values and an appended hip memory field parse by name" \
  "1000|0.5859|250.1" \
  "$(q "SELECT (performance->>'elapsed_time_per_iteration_ms')::float8, (performance->>'mem_usage_ratio')::float8, (performance->>'params_norm')::float8 FROM training_performance WHERE iteration = 50")"
check_eq "a diverged loss is stored as NaN" "NaN" \
  "$(q "SELECT performance->>'lm_loss' FROM training_performance WHERE iteration = 60")"
check_eq "a line with a negative value is rejected and counted" "1" \
  "$(agg_metric lens_aggregator_training_lines_rejected_total)"
check_eq "the re-reported iteration keeps the earlier values in history" "2.14|2.15|1" \
  "$(q "SELECT (performance->>'lm_loss')::float8, (performance->'history'->0->>'lm_loss')::float8, jsonb_array_length(performance->'history') FROM training_performance WHERE iteration = 110")"
ev() { q "SELECT $2 FROM training_events WHERE workload_uid = '$UA' AND type = '$1' ORDER BY id"; }
check "the first iteration line starts the run" wait_for 5 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT serial || '/' || iteration FROM training_events WHERE type = 'start'\")\" = 1/10 ]"
check_eq "the checkpoint save is paired, with its duration" "110|2000|/ckpt/llama" \
  "$(ev checkpoint_save "iteration, details->>'duration_ms', details->>'path'")"
check_eq "three iterations 50% slower than the median are one slowdown" "110|1500|1000" \
  "$(ev slowdown "iteration, details->>'elapsed_time_per_iteration_ms', details->>'median_elapsed_ms'")"
check_eq "a NaN loss is an event" "60" "$(ev nan_loss iteration)"
check_eq "the framework comes from the log's markers" "primus|megatron|log" \
  "$(q "SELECT wrapper_framework, base_framework, source FROM framework_detections WHERE workload_uid = '$UA'")"

# ---- Pod B, long enough ago not to hang: the job restarts from its checkpoint.
LOG=$T/pods/ml_resume-0_$UB/main/0.log
for i in 1 2 3; do iter $((i - 95)) $((i * 10)) 1000.0 2.$i; done
at -85 " loading distributed checkpoint from /ckpt/resume at iteration 20"
at -82 "  successfully loaded checkpoint from /ckpt/resume [ t 1/8, p 1/1 ] at iteration 20"
iter -81 21 1000.0 2.21
iter -80 22 1000.0 2.22
LOG=$DIR/0.log
check "a checkpoint load after iterations starts run 2 at the loaded iteration" wait_for 20 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT string_agg(serial || ':' || iteration, ' ' ORDER BY serial, iteration) FROM training_performance WHERE workload_uid = '$UB'\")\" = '1:10 1:20 1:30 2:21 2:22' ]"
check_eq "the load is an event with its duration, the restart a start from the checkpoint" \
  "checkpoint_load:2:20:3000 start:2:20:true" \
  "$(q "SELECT string_agg(type || ':' || serial || ':' || iteration || ':' || coalesce(details->>'duration_ms', details->>'from_checkpoint'), ' ' ORDER BY type) FROM training_events WHERE workload_uid = '$UB' AND serial = 2")"

# ---- Run 2, just now: the job restarted from scratch, then stalls.
for i in 1 2 3 4 5; do iter $((i - 6)) $((i * 10)) 1000.0 3.0$i; done
check "a restart (the iteration goes back, later) is serial 2" wait_for 20 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT serial || '/' || iteration || '/' || (details->>'restart') FROM training_events WHERE type = 'start' ORDER BY id DESC LIMIT 1\")\" = 2/10/true ]"
check_eq "run 1 ended as restarted" "restarted" \
  "$(q "SELECT end_reason FROM training_runs WHERE workload_uid = '$UA' AND serial = 1")"
check "no new iteration for 5 x the usual gap: a hang" wait_for 20 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT serial || '/' || iteration FROM training_events WHERE type = 'hang'\")\" = 2/50 ]"
check_eq "runs silent for longer than --hang-max-idle are not hung" "0" \
  "$(q "SELECT count(*) FROM training_events WHERE type = 'hang' AND serial = 1")"
check "the hang is counted" test "$(agg_metric 'lens_aggregator_training_events_total{type="hang"}')" -ge 1
alert() { curl -s "$API/api/v1/alerts?name=$1&workload=$UA" | jq -r '.items[0] | "\(.source)|\(.severity)|\(.status)|\(.labels.run)"'; }
check_eq "the hang is a critical training alert on the workload" "training|critical|firing|2" \
  "$(alert TrainingHang)"
get "/api/v1/workloads/$UA/training" >"$T/summary.json"
check_eq "the summary shows the run hung" "2|true" \
  "$(jq -r '"\(.runs[0].serial)|\(.runs[0].hung_at != null)"' "$T/summary.json")"

# ---- A user's layout, added at run time, then the job resumes and ends.
pattern='my-trainer step=(?<iteration>\d+) loss=(?<lm_loss>\S+) tflops=(?<tflops_per_gpu>\S+)'
body=$(jq -nc --arg p "$pattern" '{name: "my-trainer", pattern: $p}')
check_eq "a pattern with named groups is accepted" "my-trainer" \
  "$(curl -s -XPOST "$API/api/v1/training/log-patterns" -d "$body" | jq -r .name)"
check_eq "a pattern without an iteration group is refused" "400" \
  "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$API/api/v1/training/log-patterns" -d '{"name":"x","pattern":"loss=(?<lm_loss>\\S+)"}')"
code=$(curl -s -o "$T/bad.json" -w '%{http_code}' -XPOST "$API/api/v1/training/log-patterns/test" -d '{"pattern":"(?<iteration>","lines":[]}')
check_eq "a pattern that does not compile is refused, saying where" "400|true" \
  "$code|$(jq '.error.message | test("offset [0-9]+")' "$T/bad.json")"
res=$(curl -s -XPOST "$API/api/v1/training/log-patterns/test" -d "$(jq -nc --arg p "$pattern" '{pattern: $p, lines: ["my-trainer step=5 loss=2.5 tflops=100", "nothing here", "my-trainer step=6 loss=inf tflops=1"]}')")
check_eq "the pattern test endpoint tries sample lines" "2|2.5|NaN" \
  "$(echo "$res" | jq -r '"\(.matched)|\(.results[0].fields.lm_loss)|\(.results[2].fields.lm_loss)"')"
iter live 60 1000.0 3.06
at live "my-trainer step=70 loss=1.5 tflops=210.5"
check "a new iteration clears the hang" wait_for 20 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT hung_at IS NULL FROM training_runs WHERE workload_uid = '$UA' AND serial = 2\")\" = t ]"
check_eq "and resolves its alert" "training|critical|resolved|2" "$(alert TrainingHang)"
check "the user's layout gives metrics at once" wait_for 20 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT performance->>'lm_loss' FROM training_performance WHERE serial = 2 AND iteration = 70\")\" = 1.5 ]"
check_eq "the pattern is listed and deleted by name" "1|200" \
  "$(get /api/v1/training/log-patterns | jq '.items | length')|$(curl -s -o /dev/null -w '%{http_code}' -XDELETE "$API/api/v1/training/log-patterns/my-trainer")"
at live "exiting program at iteration 70"
check "the end line ends the run" wait_for 20 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT end_reason FROM training_runs WHERE workload_uid = '$UA' AND serial = 2\")\" = finished ]"

# ---- WandB: the hook's payloads, from valid to malformed.
post() { curl -s -o "$T/post.json" -w '%{http_code}' -XPOST "$API/api/v1/wandb/$1" -d "$2"; }
# WandB's own timestamps, after the run the log ended (whole seconds).
ts=$(($(date +%s) + 2))
check_eq "metrics resolve pod_name to its workload, non-numeric values skipped" "200|$UA|2|1" \
  "$(post metrics "{\"source\":\"wandb\",\"pod_name\":\"llama-0\",\"run_id\":\"w1\",\"metrics\":[{\"name\":\"loss\",\"value\":0.5,\"step\":100,\"timestamp\":$ts.1,\"tags\":{}},{\"name\":\"accuracy\",\"value\":0.9,\"step\":100,\"timestamp\":$ts.1},{\"name\":\"note\",\"value\":\"text\",\"step\":100}]}")|$(jq -r '"\(.workload_uids[0])|\(.metrics)|\(.skipped.non_numeric)"' "$T/post.json")"
check_eq "a re-reported step merges into history" "200" \
  "$(post metrics "{\"workload_uid\":\"$UA\",\"run_id\":\"w1\",\"metrics\":[{\"name\":\"loss\",\"value\":0.45,\"step\":100,\"timestamp\":$((ts + 1))}]}")"
check_eq "the WandB row keeps its metadata and history" "0.45|0.5|w1" \
  "$(q "SELECT performance->>'loss', performance->'history'->0->>'loss', performance->>'run_id' FROM training_performance WHERE data_source = 'wandb' AND iteration = 100")"
check_eq "logs and batch payloads are accepted" "200|200" \
  "$(post logs "{\"workload_uid\":\"$UA\",\"run_id\":\"w1\",\"logs\":[{\"step\":101,\"timestamp\":$((ts + 2)),\"data\":{\"loss\":0.4,\"_runtime\":3}}]}")|$(post batch "{\"workload_uid\":\"$UA\",\"run_id\":\"w1\",\"metrics\":[{\"metrics\":[{\"name\":\"loss\",\"value\":0.35,\"step\":102,\"timestamp\":$((ts + 3))}]}],\"detection\":{\"evidence\":{\"wrapper_frameworks\":{\"primus\":{\"detected\":true}},\"base_frameworks\":{\"megatron\":{\"detected\":true}}}}}")"
check_eq "an import detection outranks the log's markers" "wandb|import|primus|megatron" \
  "$(get "/api/v1/workloads/$UA/framework" | jq -r '.framework | "\(.source)|\(.method)|\(.wrapper_framework)|\(.base_framework)"')"
check_eq "a pod Lens has not mapped is a 404 that says so" "404|workload_not_found" \
  "$(post metrics '{"pod_name":"nobody","metrics":[]}')|$(jq -r .error.code "$T/post.json")"
check_eq "no workload and no pod is a 400" "400|missing_workload" \
  "$(post metrics '{"metrics":[]}')|$(jq -r .error.code "$T/post.json")"
check_eq "malformed bodies are 400s" "400 400 400 400" \
  "$(post metrics '{not json') $(post metrics "{\"workload_uid\":\"$UA\",\"metrics\":{}}") $(post batch "{\"workload_uid\":\"$UA\"}") $(post detection "{\"workload_uid\":\"$UA\"}")"
check_eq "entries without a name or step are skipped and counted" "200|2" \
  "$(post metrics "{\"workload_uid\":\"$UA\",\"metrics\":[{\"value\":1,\"step\":1},{\"name\":\"x\",\"value\":1,\"step\":-1}]}")|$(jq -r .skipped.bad_metric "$T/post.json")"
check_eq "skipped values are in /metrics" "1|2" \
  "$(agg_metric 'lens_aggregator_wandb_values_skipped_total{reason="non_numeric"}')|$(agg_metric 'lens_aggregator_wandb_values_skipped_total{reason="bad_metric"}')"

# ---- The metrics query API.
M=/api/v1/workloads/$UA/metrics
check_eq "sources list both with their row counts" "log:18 wandb:3" \
  "$(get "$M/sources" | jq -r '[.data_sources[] | "\(.name):\(.count)"] | join(" ")')"
avail=$(get "$M/available?data_source=wandb" | jq -r '[.metrics[].name] | join(",")')
check_eq "available metrics leave metadata out" "accuracy,loss" "$avail"
check "log metrics include loss, TFLOP/s and memory" sh -c \
  "curl -s '$API$M/available?data_source=log' | jq -e '[.metrics[].name] | index(\"lm_loss\") and index(\"tflops_per_gpu\") and index(\"mem_usage_gb\")'"
data=$(get "$M/data?data_source=log&metrics=lm_loss")
check_eq "data: one point per report, NaN kept" "18|1" \
  "$(echo "$data" | jq '.total_count')|$(echo "$data" | jq '[.data[] | select(.value == "NaN")] | length')"
check_eq "data: the Grafana list form and a time range" "14" \
  "$(get "$M/data?data_source=log&metrics=%7Blm_loss,tflops_per_gpu%7D&start=$(((now - 10) * 1000))&end=$(((now + 600) * 1000))" | jq '.total_count')"
check_eq "data: all metrics of a source" "true" \
  "$(get "$M/data?data_source=wandb&metrics=all" | jq '[.data[].metric_name] | unique == ["accuracy","loss"]')"
check_eq "bad parameters are 400s" "400 400" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$API$M/data?start=yesterday") $(curl -s -o /dev/null -w '%{http_code}' "$API$M/data?data_source=tensorboard")"
check_eq "iteration times: iteration and target per report" "18|17" \
  "$(get "$M/iteration-times?data_source=log" | jq '[.data[] | select(.metric_name == "iteration")] | length')|$(get "$M/iteration-times?data_source=log" | jq '[.data[] | select(.metric_name == "target_iteration")] | length')"
check_eq "the checkpoint event is in the events API" "2000" \
  "$(get "/api/v1/training/events?workload=$UA&type=checkpoint_save" | jq -r '.items[0].details.duration_ms')"

# ---- Grafana's JSON datasource.
check_eq "grafana: the test path answers" "ok" "$(get /api/v1/grafana/ | jq -r .status)"
check "grafana: search lists lm_loss" sh -c "curl -s -XPOST '$API/api/v1/grafana/search' -d '{}' | jq -e 'index(\"lm_loss\")'"
gq=$(jq -nc --arg w "$UA" --arg from "$(date -u -d "@$((now - 200))" +%Y-%m-%dT%H:%M:%SZ)" --arg to "$(date -u -d "@$((now + 100))" +%Y-%m-%dT%H:%M:%SZ)" \
  '{targets: [{target: "lm_loss", refId: "A"}, {target: ($w + ":tflops_per_gpu"), refId: "B"}], range: {from: $from, to: $to}, variables: {workload_uid: $w}}')
check_eq "grafana: query gives datapoints per target, NaN as null" "lm_loss:18:1 tflops_per_gpu:18:0" \
  "$(curl -s -XPOST "$API/api/v1/grafana/query" -d "$gq" | jq -r '[.[] | "\(.target):\(.datapoints | length):\([.datapoints[] | select(.[0] == null)] | length)"] | join(" ")')"

# ---- lensctl.
out=$("$B/bin/lensctl" training "$UA")
check "lensctl training shows iteration, progress, loss, TFLOP/s and framework" sh -c \
  "echo '$out' | grep -q 'ITERATION *70 / 1000 (7.0%)' && echo '$out' | grep -q 'FRAMEWORK *primus + megatron' && echo '$out' | grep -q 'TFLOP/S/GPU *210.5'"
plot=$("$B/bin/lensctl" training "$UA" --metric lm_loss --data-source log --plot)
check "lensctl training --plot draws the series with the NaN marked" sh -c \
  "echo '$plot' | grep -q 'lm_loss (18 points)' && echo '$plot' | grep -q 'N' && echo '$plot' | grep -q iteration"
check_eq "lensctl training of an unknown workload fails clearly" "1" \
  "$("$B/bin/lensctl" training nosuch >/dev/null 2>&1; echo $?)"

# ---- The parser offline.
"$B/bin/lens-aggregator" parse-training-log - <"$DIR/0.log" >"$T/parsed.jsonl"
check_eq "parse-training-log: one object per iteration line, then a summary" "18|1|NaN" \
  "$(tail -n 1 "$T/parsed.jsonl" | jq '.summary.iteration_lines')|$(tail -n 1 "$T/parsed.jsonl" | jq '.summary.rejected')|$(jq -r 'select(.fields.iteration == 60) | .fields.lm_loss' "$T/parsed.jsonl" | head -n 1)"

stop_pid "$AGENT_PID" lens-agent
check "the aggregator drains and exits cleanly on SIGTERM" stop_pid "$AGG_PID" lens-aggregator

