#!/usr/bin/env bash
# Container log lines through the aggregator: fluent-bit's http output
# shape posted to /api/v1/logs (JSON array and JSON lines, good and
# malformed records), stored in the partitioned table, found by pod,
# container, workload, time and text (substring or regex), shown and
# followed by lensctl logs, measured on their way to the analysis.
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator --api-token s3cret
API=http://$AGG_HTTP
export LENS_SERVER=$API
post() { curl -s -o "$T/post.out" -w '%{http_code}' -H 'Authorization: Bearer s3cret' \
  -H 'Content-Type: application/json' --data-binary @- "$API/api/v1/logs"; }
now=$(date +%s)
k8s='"kubernetes":{"pod_name":"trainer-0","namespace_name":"ml","pod_id":"6f1c2d3e-0a1b-4c5d-8e9f-001122334455","host":"gpu-07","container_name":"main"}'

check_eq "writing needs the token" 401 "$(echo '[]' | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$API/api/v1/logs")"
code=$(post <<EOF
[{"date":$now.100,"stream":"stdout","logtag":"F","log":"iteration 1/100 | lm loss: 3.25\n",$k8s},
 {"date":$now.200,"stream":"stderr","logtag":"F","log":"warning: loss scale halved",$k8s},
 {"date":"$(date -u -d @$now +%Y-%m-%dT%H:%M:%S).300Z","stream":"stdout","message":"iteration 2/100 | lm loss: nan | déjà vu 🚀",$k8s},
 {"date":$now.400,"stream":"stdout",$k8s},
 "not a record"]
EOF
)
check_eq "a fluent-bit array is taken" 200 "$code"
check_eq "good records accepted, bad ones refused with reasons" "3 2 record 3: no log or message string" \
  "$(jq -r '"\(.accepted) \(.rejected) \(.errors[0])"' "$T/post.out")"
code=$(printf '{"date":%s.500,"log":"json lines work too","kubernetes":{"pod_name":"trainer-0","namespace_name":"ml","container_name":"sidecar"}}\n\n{"date":%s.600,"log":"iteration 3/100","kubernetes":{"pod_name":"trainer-0","namespace_name":"ml","container_name":"main"}}\n' "$now" "$now" | post)
check_eq "JSON lines are taken" "200 2" "$code $(jq .accepted "$T/post.out")"
check_eq "a body that is not JSON is a 400" 400 "$(echo '[{"date":' | post)"
check_eq "a body with no good record is a 400" 400 "$(echo '[{"log":"no pod"}]' | post)"

logs() { curl -sf "$API/api/v1/logs?${1:-}"; }
check_eq "lines of a pod, oldest first" \
  "iteration 1/100 | lm loss: 3.25|warning: loss scale halved|iteration 2/100 | lm loss: nan | déjà vu 🚀|json lines work too|iteration 3/100" \
  "$(logs "pod=trainer-0&namespace=ml&order=asc" | jq -r '[.items[].line] | join("|")')"
check_eq "newest first by default" "iteration 3/100" "$(logs "pod=trainer-0" | jq -r '.items[0].line')"
check_eq "by container" 1 "$(logs "pod=trainer-0&container=sidecar" | jq '.total')"
check_eq "by pod UID, with the stream" "stderr" "$(logs "pod=6f1c2d3e-0a1b-4c5d-8e9f-001122334455&q=halved" | jq -r '.items[0].stream')"
check_eq "substring search" 2 "$(logs "pod=trainer-0&q=lm%20loss" | jq '.total')"
check_eq "regex search" "iteration 1/100 | lm loss: 3.25" "$(logs "pod=trainer-0&regex=true&q=loss:%20%5B0-9%5D" | jq -r '.items[0].line')"
check_eq "a bad regex is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/logs?regex=true&q=%28unclosed")"
check_eq "a bad order is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/logs?order=up")"
check_eq "time range" 2 "$(logs "pod=trainer-0&since=$(date -u -d @$now +%Y-%m-%dT%H:%M:%S).450Z" | jq '.total')"

# A workload's lines: the pod tables the pod mapping fills say which pods.
sql "INSERT INTO pods (uid, node, namespace, name, phase, source, first_seen, last_seen)
     VALUES ('6f1c2d3e-0a1b-4c5d-8e9f-001122334455', 'gpu-07', 'ml', 'trainer-0', 'Running', 'kubelet', now(), now());
     INSERT INTO workloads (uid, kind, name, namespace, first_seen, last_seen)
     VALUES ('w-llama', 'PyTorchJob', 'llama', 'ml', now(), now());
     INSERT INTO pod_workloads VALUES ('6f1c2d3e-0a1b-4c5d-8e9f-001122334455', 'w-llama', 'owner')" >/dev/null
check_eq "by workload (lines whose sender gave the pod UID)" 3 "$(logs "workload=llama" | jq '.total')"

out=$("$B/bin/lensctl" logs trainer-0 -n ml -c main)
check_eq "lensctl logs prints the lines, oldest first" "iteration 1/100 | lm loss: 3.25
warning: loss scale halved
iteration 2/100 | lm loss: nan | déjà vu 🚀
iteration 3/100" "$out"
check_eq "with --grep" "iteration 2/100 | lm loss: nan | déjà vu 🚀" "$("$B/bin/lensctl" logs trainer-0 --grep 'nan')"
check "a workload's lines carry pod and container" grep -qx 'trainer-0/main: iteration 1/100 | lm loss: 3.25' \
  <<<"$("$B/bin/lensctl" logs workload/llama)"
"$B/bin/lensctl" logs trainer-0 -c main -f --interval 200ms --iterations 15 >"$T/follow.out" 2>&1 &
follower=$!
sleep 1
printf '[{"date":%s,"log":"iteration 4/100 arrives later",%s}]' "$(date +%s.%N)" "$k8s" | post >/dev/null
wait "$follower"
check "lensctl logs -f follows new lines" grep -q 'iteration 4/100 arrives later' "$T/follow.out"
check_eq "and prints each line once" 1 "$(grep -c 'iteration 1/100' "$T/follow.out")"

check_eq "every stored line reached the analysis" 6 "$(agg_metric lens_aggregator_log_lines_analysed_total)"
check "with its latency measured" test "$(agg_metric lens_aggregator_log_latency_seconds_count)" -eq 6
check_eq "the training parser recognised the two iteration lines" 2 "$(agg_metric lens_aggregator_training_iteration_lines_total)"

# Retention by whole days, like kernel events.
sql "INSERT INTO log_lines (namespace, pod, container, stream, logged_at, line, source)
     VALUES ('ml', 'old-0', 'main', 'stdout', '2001-01-01T00:00:00Z', 'from 2001', 'fluent-bit')" >/dev/null
stop_pid "$AGG_PID" lens-aggregator
start_aggregator --api-token s3cret --retention-interval 1s --log-retention 1h
check "lines past the retention are deleted" wait_for 20 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM log_lines WHERE pod = 'old-0'\") -eq 0 ]"
check_eq "today's stay" 6 "$(sql "SELECT count(*) FROM log_lines WHERE pod = 'trainer-0'")"
stop_pid "$AGG_PID" lens-aggregator
