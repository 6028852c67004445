#!/usr/bin/env bash
# The unified alert system with the real parts: a real Prometheus posting
# to Lens's Alertmanager-shaped endpoint, the Alertmanager webhook body,
# log, trace and webhook alerts, malformed bodies; deduplication and
# resolution; enrichment by pod UID (never by name alone); silences with
# every matcher operator, one that starts and ends while alerts fire;
# correlation read from both sides; queries, statistics and lensctl.
# (Kernel and training events as alerts: test_kevents, test_training.)
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator --alert-sweep-interval 300ms --alert-resolve-timeout 5m --notify-interval 300ms \
  --notify-backoff 300ms
API=http://$AGG_HTTP
export LENS_SERVER=$API
post() { curl -s -o "$T/post.json" -w '%{http_code}' -XPOST "$API$1" -d "$2"; }
alerts() { curl -sf "$API/api/v1/alerts?limit=1000$1"; }
one() { alerts "&name=$1" | jq -r ".items[0] | $2"; }

# ---- A real Prometheus, its alerting rule, Lens as its Alertmanager (v2).
PROM=127.0.0.1:$(free_port)
cat >"$T/rules.yml" <<YML
groups:
  - name: gpu
    interval: 1s
    rules:
      - alert: GPUTemperatureHigh
        expr: vector(97)
        labels: {severity: critical, node: gpu-07, gpu: "0000:81:00.0"}
        annotations: {summary: "junction temperature 97 C"}
YML
cat >"$T/prometheus.yml" <<YML
global: {evaluation_interval: 1s}
rule_files: ["$T/rules.yml"]
alerting:
  alertmanagers:
    - api_version: v2
      static_configs: [{targets: ["$AGG_HTTP"]}]
YML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
  --web.listen-address="$PROM" --rules.alert.resend-delay=1s >"$T/prometheus.log" 2>&1 &
PIDS+=($!)
check "Prometheus's alert arrives through /api/v2/alerts" wait_for 30 sh -c \
  "curl -sf '$API/api/v1/alerts?name=GPUTemperatureHigh' | jq -e '.total == 1' >/dev/null"
check "Prometheus resends it: one alert, repeated" wait_for 20 sh -c \
  "curl -sf '$API/api/v1/alerts?name=GPUTemperatureHigh' | jq -e '.items[0].repeats >= 2' >/dev/null"
check_eq "as a firing critical metric alert on its node and device, with its annotations" \
  "metric|critical|firing|gpu-07|0000:81:00.0|junction temperature 97 C|1" \
  "$(one GPUTemperatureHigh '"\(.source)|\(.severity)|\(.status)|\(.node)|\(.device)|\(.annotations.summary)|\(.generator_url | test("^http"))"' | sed 's/true$/1/')"

# ---- The Alertmanager webhook body (vmalert, or an Alertmanager's webhook).
am='{"version":"4","status":"firing","receiver":"lens","alerts":[{"status":"firing","labels":{"alertname":"NodeDiskPressure","severity":"warning","node":"gpu-08"},"annotations":{"summary":"disk 91%"},"startsAt":"2026-11-22T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}'
check_eq "the webhook body is accepted" 200 "$(post /api/v1/alerts/metric "$am")"
id=$(jq '.ids[0]' "$T/post.json")
post /api/v1/alerts/metric "$am" >/dev/null
check_eq "a repeat updates the same alert" "$id|1|firing" \
  "$(jq '.ids[0]' "$T/post.json")|$(one NodeDiskPressure '"\(.repeats)|\(.status)"')"
post /api/v1/alerts/metric "${am//\"status\":\"firing\"/\"status\":\"resolved\"}" >/dev/null
check_eq "its resolution closes it" "resolved|true" "$(one NodeDiskPressure '"\(.status)|\(.ends_at != null)"')"
post /api/v1/alerts/metric "$am" >/dev/null
check_eq "firing again later is a new alert" 2 "$(alerts "&name=NodeDiskPressure" | jq .total)"
v2='[{"labels":{"alertname":"OldNews","node":"gpu-08"},"startsAt":"2026-11-22T01:00:00Z","endsAt":"2026-11-22T01:05:00Z"}]'
check_eq "a v2 alert whose endsAt passed is stored resolved" "200|resolved" \
  "$(post /api/v2/alerts "$v2")|$(one OldNews .status)"

# ---- Log, trace and webhook alerts; enrichment by pod UID only.
POD_UID=7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e
W_UID=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
# Fixture: a pod of a workload as the pod tables hold it after an agent's map.
sql "INSERT INTO pods (uid, node, namespace, name, phase, source, first_seen, last_seen)
     VALUES ('$POD_UID', 'gpu-09', 'ml', 'llama-0', 'Running', 'kubelet', now(), now());
     INSERT INTO workloads (uid, kind, name, namespace, first_seen, last_seen)
     VALUES ('$W_UID', 'PyTorchJob', 'llama', 'ml', now(), now());
     INSERT INTO pod_workloads VALUES ('$POD_UID', '$W_UID', 'owner')" >/dev/null
log=$(jq -nc --arg u "$POD_UID" '{rule_name: "NCCLError", severity: "error", message: "NCCL WARN Call to ibv_reg_mr failed", pattern: "NCCL WARN", pod_id: $u, pod_name: "llama-0", log_time: "2026-11-22T06:00:00Z", labels: {team: "ml"}}')
check_eq "a log alert is accepted" 200 "$(post /api/v1/alerts/log "$log")"
check_eq "enriched from the pod tables by pod UID" "log|high|gpu-09|ml|llama-0|llama|$W_UID|NCCL WARN" \
  "$(one NCCLError '"\(.source)|\(.severity)|\(.node)|\(.namespace)|\(.pod)|\(.workload)|\(.workload_uid)|\(.annotations.pattern)"')"
post /api/v1/alerts/log '{"rule_name":"CUDAOutOfMemory","pod_name":"llama-0","message":"CUDA out of memory"}' >/dev/null
check_eq "never by pod name alone" "|" "$(one CUDAOutOfMemory '"\(.workload)|\(.node)"')"
trace='{"trace_id":"4bf92f3577b34da6","span_id":"00f067aa0ba902b7","service_name":"llama-serve","operation":"generate","duration":5120.5,"severity":"warning","workload_id":"'$W_UID'"}'
check_eq "a trace alert is accepted" 200 "$(post /api/v1/alerts/trace "$trace")"
check_eq "as SlowTrace with its service, operation and trace" "trace|llama-serve|generate|4bf92f3577b34da6|5120.5|llama" \
  "$(one SlowTrace '"\(.source)|\(.labels.service)|\(.labels.operation)|\(.annotations.trace_id)|\(.annotations.duration)|\(.workload)"')"
hang=$(jq -nc --arg u "$W_UID" '{name: "TrainingHang", severity: "critical", workload_uid: $u, message: "no iteration for 10 min", starts_at: "2026-11-22T06:02:00Z"}')
check_eq "a generic webhook alert is accepted" 200 "$(post /api/v1/alerts/webhook "$hang")"

# ---- Correlation, read from both sides.
nccl=$(one NCCLError .id)
th=$(one TrainingHang .id)
corr() { curl -sf "$API/api/v1/alerts/$1/correlations" | jq -r ".correlations[] | select(.id == $2) | \"\\(.score >= 0.9)|\\(.reason)\""; }
check_eq "the hang is related to the NCCL error before it, as cause and effect" \
  "true|an NCCL error, then the training hung; same workload, across sources (log, webhook)" "$(corr "$th" "$nccl")"
check_eq "and the NCCL error to the hang" \
  "true|an NCCL error, then the training hung; same workload, across sources (log, webhook)" "$(corr "$nccl" "$th")"
post /api/v1/alerts/webhook '{"name":"ECCCorrectable","node":"gpu-09","severity":"info","starts_at":"2026-11-22T06:01:00Z"}' >/dev/null
check_eq "an alert on the same node only: related as such" "false|same node, across sources (log, webhook)" "$(corr "$(one ECCCorrectable .id)" "$nccl")"
post /api/v1/alerts/webhook '{"name":"TrainingHang","workload_uid":"other","starts_at":"2026-11-22T06:02:00Z"}' >/dev/null
check_eq "a hang of another workload is not related" 0 \
  "$(curl -sf "$API/api/v1/alerts/$(alerts '&name=TrainingHang&workload=other' | jq '.items[0].id')/correlations" | jq '.correlations | length')"

# ---- Malformed bodies: 400 with a reason, counted, nothing stored.
before=$(alerts "" | jq .total)
bad() { check_eq "$1" "400|$2" "$(post "$3" "$4")|$(jq -r .error.code "$T/post.json")"; }
bad "a body that is not JSON" bad_body /api/v1/alerts/metric '{"alerts": ['
bad "an alert without alertname" bad_alert /api/v1/alerts/metric '{"alerts":[{"labels":{"severity":"critical"}}]}'
bad "a label that is not a string" bad_alert /api/v2/alerts '[{"labels":{"alertname":"X","gpu":3}}]'
bad "a start that is not a time" bad_alert /api/v2/alerts '[{"labels":{"alertname":"X"},"startsAt":"yesterday"}]'
bad "v2 wants an array" bad_alert /api/v2/alerts '{"labels":{"alertname":"X"}}'
bad "a log alert without rule_name" bad_alert /api/v1/alerts/log '{"message":"x"}'
bad "a trace alert without trace_id" bad_alert /api/v1/alerts/trace '{"service_name":"s"}'
bad "a webhook alert without a name" bad_alert /api/v1/alerts/webhook '{"severity":"high"}'
check_eq "nothing of them was stored" "$before" "$(alerts "" | jq .total)"
check_eq "and they are counted" 2 "$(agg_metric 'lens_aggregator_alerts_rejected_total{endpoint="metric"}')"

# ---- Silences: every operator, on alerts with and without the label.
for a in 'A ml' 'B ml-infra' 'C data' 'D'; do
  set -- $a
  post /api/v1/alerts/webhook "$(jq -nc --arg n "Sil$1" --arg t "${2:-}" '{name: $n, node: "gpu-10", labels: (if $t == "" then {} else {team: $t} end)}')" >/dev/null
done
silenced() { alerts "&node=gpu-10&status=silenced" | jq -r '[.items[].name] | sort | join(",")'; }
silence() { post /api/v1/silences "{\"matchers\":[{\"name\":\"team\",\"op\":\"$1\",\"value\":\"$2\"}],\"duration\":\"1h\",\"comment\":\"test\",\"created_by\":\"ci\"}" >/dev/null; jq .id "$T/post.json"; }
unsilence() { curl -s -o /dev/null -XDELETE "$API/api/v1/silences/$1"; }
for c in '=|ml|SilA' '!=|ml|SilB,SilC,SilD' '=~|ml.*|SilA,SilB' '!~|ml.*|SilC,SilD'; do
  IFS='|' read -r op val want <<<"$c"
  sid=$(silence "$op" "$val")
  check_eq "team$op$val silences exactly $want (at once)" "$want" "$(silenced)"
  unsilence "$sid"
  check_eq "expired, it silences nothing" "" "$(silenced)"
done
check_eq "a silence with a regex PostgreSQL rejects is a 400" 400 \
  "$(post /api/v1/silences '{"matchers":[{"name":"team","op":"=~","value":"(("}],"duration":"1h"}')"
check_eq "a silence without an end is a 400" 400 \
  "$(post /api/v1/silences '{"matchers":[{"name":"team","op":"=","value":"x"}]}')"
sid=$(silence = data)
post /api/v1/alerts/webhook '{"name":"SilE","node":"gpu-10","labels":{"team":"data"}}' >/dev/null
check_eq "a new alert a silence matches is stored, silenced" "silenced|[$sid]" \
  "$(one SilE '"\(.status)|\(.silenced_by | tostring)"')"
unsilence "$sid"
# A silence that starts and ends while the alerts fire.
now=$(date +%s)
sb=$(jq -nc --arg s "$(date -u -d @$((now + 2)) +%FT%TZ)" --arg e "$(date -u -d @$((now + 5)) +%FT%TZ)" \
  '{matchers: [{name: "alertname", op: "=~", value: "Sil[AB]"}], starts_at: $s, ends_at: $e}')
post /api/v1/silences "$sb" >/dev/null
check_eq "before it starts: pending, nothing silenced" "pending|" "$(jq -r .state "$T/post.json")|$(silenced)"
check "once it starts, the alerts are silenced" wait_for 6 sh -c "[ \"\$(curl -s '$API/api/v1/alerts?node=gpu-10&status=silenced' | jq -r '[.items[].name] | sort | join(\",\")')\" = SilA,SilB ]"
check "once it ends, they fire again" wait_for 8 sh -c "[ \"\$(curl -s '$API/api/v1/alerts?node=gpu-10&status=silenced' | jq .total)\" = 0 ]"
check_eq "the silences list keeps the expired ones on request" 6 \
  "$(curl -sf "$API/api/v1/silences?state=expired" | jq '.items | length')"

# ---- Expiry: an alert with an end resolves when it comes.
post /api/v1/alerts/webhook "$(jq -nc --arg e "$(date -u -d @$(($(date +%s) + 1)) +%FT%TZ)" '{name: "Brief", ends_at: $e}')" >/dev/null
check "an alert resolves at its end" wait_for 6 sh -c "[ \"\$(curl -s '$API/api/v1/alerts?name=Brief' | jq -r '.items[0].status')\" = resolved ]"

# ---- Queries.
check_eq "filters combine: source, severity, status" "NCCLError" \
  "$(alerts "&source=log&severity=high&status=firing" | jq -r '[.items[].name] | join(",")')"
check_eq "paged, with the total" "1|$(alerts "" | jq .total)" \
  "$(curl -sf "$API/api/v1/alerts?limit=1" | jq -r '"\(.items | length)|\(.total)"')"
check_eq "by workload name or UID" "$(alerts "&workload=llama" | jq .total)" "$(alerts "&workload=$W_UID" | jq .total)"
check_eq "an unknown alert is a 404" "404|404" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/alerts/999999")|$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/alerts/abc/correlations")"
check_eq "statistics by name" 2 \
  "$(curl -sf "$API/api/v1/alerts/statistics?group_by=name&from=2026-01-01T00:00:00Z" | jq '.items[] | select(.key == "NodeDiskPressure") | .total')"
check_eq "statistics by hour count every alert" "$(alerts "&from=2026-01-01T00:00:00Z" | jq .total)" \
  "$(curl -sf "$API/api/v1/alerts/statistics?group_by=hour&from=2026-01-01T00:00:00Z" | jq '[.items[].total] | add')"
check_eq "an unknown grouping is a 400" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/alerts/statistics?group_by=planet")"
check_eq "alerts are counted by source" 1 "$(agg_metric 'lens_aggregator_alerts_received_total{source="trace"}')"

# ---- lensctl.
out=$("$B/bin/lensctl" alerts)
check "lensctl alerts lists the open ones" grep -qE '^[0-9]+ +[0-9smhd]+ +firing +critical +webhook +TrainingHang +' <<<"$out"
check_eq "not the resolved ones" 0 "$(grep -c resolved <<<"$out")"
check_eq "--status all -o json: every alert" "$(alerts "" | jq .total)" \
  "$("$B/bin/lensctl" alerts --status all -o json | jq length)"
check "lensctl silence add" grep -q "^silence [0-9]* created, active" \
  <("$B/bin/lensctl" silence add alertname=NCCLError 'node=~gpu-0[0-9]' --duration 1h --comment maintenance)
check "lensctl silence list shows its matchers" grep -q 'alertname=NCCLError,node=~gpu-0\[0-9\]' <("$B/bin/lensctl" silence list)
check_eq "and the alert is silenced" silenced "$(one NCCLError .status)"
sid=$("$B/bin/lensctl" silence list -o json | jq '.[0].id')
check "lensctl silence rm" grep -q "expired" <("$B/bin/lensctl" silence rm "$sid")
check_eq "the alert fires again" firing "$(one NCCLError .status)"
check "a bad matcher is refused with the usage" sh -c "! '$B/bin/lensctl' silence add team 2>&1 | grep -q created"

# ---- Log rules: matched against every stored line (here through the
# fluent-bit intake), in one pass; thresholds, composite rules, selectors.
rule() { post /api/v1/alert-rules "$1"; }
check_eq "a log rule with a threshold is made" 200 \
  "$(rule '{"name":"CUDAOOMRule","severity":"high","pattern":"cuda out of memory","ignore_case":true,"selector":[{"key":"namespace","op":"in","values":["ml","research"]},{"key":"pod","op":"regex","value":"^trainer-"}],"threshold":{"count":3,"window":"1m","by":"pod"},"labels":{"team":"ml"}}')"
check_eq "a composite rule is made" 200 \
  "$(rule '{"name":"NCCLTimeout","severity":"critical","conditions":[{"pattern":"NCCL WARN"},{"pattern":"collective operation timeout"}],"selector":[{"key":"node","op":"exists"},{"key":"namespace","op":"ne","value":"dev"}],"threshold":{"window":"5m","by":"node"}}')"
check_eq "a rule whose pattern does not compile is a 400, saying where" "400|true" \
  "$(rule '{"name":"Bad","pattern":"(unclosed"}')|$(jq '.error.message | test("offset")' "$T/post.json")"
check_eq "a selector with an unknown op is a 400" 400 \
  "$(rule '{"name":"Bad2","pattern":"x","selector":[{"key":"pod","op":"like","value":"x"}]}')"
check_eq "a name taken is a 400" 400 "$(rule '{"name":"NCCLTimeout","pattern":"y"}')"
logs() { # NAMESPACE POD NODE LINE...
  local ns=$1 pod=$2 node=$3; shift 3
  printf '%s\n' "$@" | jq -Rc --arg ns "$ns" --arg pod "$pod" --arg node "$node" --argjson t "$(date +%s)" \
    '{date: $t, stream: "stderr", log: ., kubernetes: {pod_name: $pod, namespace_name: $ns, pod_id: ("uid-" + $pod), host: $node, container_name: "main"}}' |
    jq -sc . >"$T/lines.json"
  curl -s -o /dev/null -XPOST "$API/api/v1/logs" --data-binary @"$T/lines.json"
}
logs ml trainer-1 gpu-20 "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB" "step 5" "torch.cuda.OutOfMemoryError: CUDA out of memory"
logs dev trainer-2 gpu-20 "CUDA out of memory" "CUDA out of memory" "CUDA out of memory"
logs ml notebook-0 gpu-20 "CUDA out of memory" "CUDA out of memory" "CUDA out of memory"
sleep 1.5
check_eq "two matches of three: no alert yet" 0 "$(alerts "&name=CUDAOOMRule" | jq .total)"
logs ml trainer-1 gpu-20 "cuda Out Of Memory again"
check "the third within the window raises it, for that pod" wait_for 10 sh -c \
  "[ \"\$(curl -s '$API/api/v1/alerts?name=CUDAOOMRule' | jq -r '.items[0] | \"\(.total // 1)|\(.pod)|\(.labels.team)|\(.annotations.matches)\"')\" = '1|trainer-1|ml|3' ]"
check_eq "not for a namespace or pod the selectors leave out" "1" "$(alerts "&name=CUDAOOMRule" | jq .total)"
logs ml trainer-3 gpu-21 "NCCL WARN NET/IB : Got completion with error 12"
logs ml trainer-4 gpu-21 "[Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=9)"
logs dev trainer-5 gpu-22 "NCCL WARN x" "collective operation timeout"
check "both conditions on one node within the window: the composite alert" wait_for 10 sh -c \
  "[ \"\$(curl -s '$API/api/v1/alerts?name=NCCLTimeout' | jq -r '[.items[] | .labels.node] | join(\",\")')\" = gpu-21 ]"
res=$(curl -s -XPOST "$API/api/v1/alert-rules/test" -d '{"rule":{"name":"T","pattern":"ECC error","threshold":{"count":2,"window":"10s"}},"lines":["ECC error","ok","ECC error"]}')
check_eq "the test endpoint shows matches and what would fire" "0,2|1|2" \
  "$(jq -r '"\([.matches[].line] | join(","))|\(.alerts | length)|\(.alerts[0].annotations.matches)"' <<<"$res")"
check_eq "rules are listed" 2 "$(curl -sf "$API/api/v1/alert-rules" | jq '.items | length')"
check_eq "and deleted by name" 200 "$(curl -s -o /dev/null -w '%{http_code}' -XDELETE "$API/api/v1/alert-rules/NCCLTimeout")"
logs ml trainer-6 gpu-23 "NCCL WARN y" "collective operation timeout"
sleep 1.5
check_eq "a deleted rule raises nothing more" 0 "$(alerts "&name=NCCLTimeout&node=gpu-23" | jq .total)"
check "lines went through the rules" test "$(agg_metric lens_aggregator_alert_rule_lines_total)" -ge 16

# ---- Routing and notification: a local receiver that fails the first two
# deliveries; one grouped message for 50 alerts, retried; repeats; changes.
SINK=127.0.0.1:$(free_port) SINK2=127.0.0.1:$(free_port)
"$B/tests/webhook_sink" --listen "$SINK" --out "$T/hook.jsonl" --fail-first 2 2>"$T/sink.log" &
PIDS+=($!)
"$B/tests/webhook_sink" --listen "$SINK2" --out "$T/hook2.jsonl" 2>"$T/sink2.log" &
PIDS+=($!)
wait_for 10 grep -q ready "$T/sink.log"
wait_for 10 grep -q ready "$T/sink2.log"
check_eq "a webhook channel is made" 200 \
  "$(post /api/v1/notification-channels "{\"name\":\"ops\",\"type\":\"webhook\",\"url\":\"http://$SINK/hook\"}")"
check_eq "a route for team=gpu, grouped by alertname" 200 \
  "$(post /api/v1/alert-routes '{"name":"gpu-team","channel":"ops","matchers":[{"name":"team","op":"=","value":"gpu"}],"group_by":["alertname"],"group_wait":"1s","group_interval":"2s","repeat_interval":"5s"}')"
for i in $(seq 50); do printf '{"name":"GPUBatch","severity":"warning","labels":{"team":"gpu","k":"%d"},"node":"gpu-11"}\n' "$i"; done |
  jq -sc '{alerts: .}' >"$T/batch.json"
check_eq "50 alerts of one group arrive" 200 "$(post /api/v1/alerts/webhook "$(cat "$T/batch.json")")"
post /api/v1/alerts/webhook '{"name":"DBSlow","labels":{"team":"db"}}' >/dev/null
check "one message reaches the receiver, after two failed deliveries" wait_for 20 test -s "$T/hook.jsonl"
check_eq "it holds the 50 alerts, grouped by alertname, as Alertmanager's webhook body" "1|50|GPUBatch|firing|4" \
  "$(wc -l <"$T/hook.jsonl")|$(head -n 1 "$T/hook.jsonl" | jq -r '"\(.alerts | length)|\(.groupLabels.alertname)|\(.status)|\(.version)"')"
check_eq "the log says sent, at the third attempt" "sent|3|" \
  "$(curl -sf "$API/api/v1/alert-notifications" | jq -r '.items[-1] | "\(.status)|\(.attempts)|\(.error)"')"
check "an unchanged group is sent again after repeat_interval" wait_for 15 sh -c "[ \$(wc -l <'$T/hook.jsonl') -ge 2 ]"
check_eq "with the same alerts" 50 "$(sed -n 2p "$T/hook.jsonl" | jq '.alerts | length')"
id=$(alerts "&name=GPUBatch&limit=1" | jq '.items[0].id')
post /api/v1/alerts/webhook '{"name":"GPUBatch","status":"resolved","labels":{"team":"gpu","k":"50"},"node":"gpu-11"}' >/dev/null
check "a resolution in the group is sent at the next group_interval" wait_for 15 sh -c \
  "tail -n 1 '$T/hook.jsonl' | jq -e '[.alerts[] | select(.status == \"resolved\")] | length == 1' >/dev/null"
check_eq "no message for the alerts no route matches" 0 "$(grep -c DBSlow "$T/hook.jsonl")"
check_eq "a channel's test really sends (Slack's format)" "200|1" \
  "$(post /api/v1/notification-channels "{\"name\":\"chat\",\"type\":\"slack\",\"url\":\"http://$SINK2/hook\"}" >/dev/null
     post /api/v1/notification-channels/chat/test '')|$(jq -r '.text | test("^\\[FIRING:1\\] alertname=LensTest")' "$T/hook2.jsonl" | grep -c true)"
check_eq "a channel that cannot be reached fails its test, saying why" "502|delivery_failed" \
  "$(post /api/v1/notification-channels '{"name":"void","type":"webhook","url":"http://127.0.0.1:1/x"}' >/dev/null
     post /api/v1/notification-channels/void/test '')|$(jq -r .error.code "$T/post.json")"
bad "a channel of an unknown type" bad_channel /api/v1/notification-channels '{"name":"x","type":"pager","url":"http://a"}'
bad "a route to an unknown channel" bad_parameter /api/v1/alert-routes '{"name":"r","channel":"nope"}'
bad "a route with a bad duration" bad_route /api/v1/alert-routes '{"name":"r","channel":"ops","group_wait":"soon"}'
check_eq "routes and channels are listed" "1|3" \
  "$(curl -sf "$API/api/v1/alert-routes" | jq '.items | length')|$(curl -sf "$API/api/v1/notification-channels" | jq '.items | length')"
check_eq "deliveries are counted" 1 "$(agg_metric 'lens_aggregator_notifications_total{type="slack",outcome="sent"}')"

# ---- Email: a channel to a local SMTP receiver, tested, then routed to.
SMTP_PORT=$(free_port)
"$B/tests/smtp_sink" --listen "$SMTP_PORT" --out "$T/mail.txt" 2>"$T/smtp.log" &
PIDS+=($!)
wait_for 10 grep -q ready "$T/smtp.log"
check_eq "an email channel is made (its password never shown)" "200|null" \
  "$(post /api/v1/notification-channels "{\"name\":\"mail\",\"type\":\"email\",\"url\":\"smtp://127.0.0.1:$SMTP_PORT\",\"config\":{\"from\":\"lens@example.com\",\"to\":[\"oncall@example.com\",\"ml@example.com\"],\"username\":\"\",\"password\":\"s3cret\"}}")|$(jq .config.password "$T/post.json")"
check_eq "an email channel without recipients is a 400" 400 \
  "$(post /api/v1/notification-channels '{"name":"m2","type":"email","url":"smtp://127.0.0.1:25","config":{"from":"a@b"}}')"
check_eq "its test sends a mail" 200 "$(post /api/v1/notification-channels/mail/test '')"
check_eq "from and to the configured addresses, the alerts in the subject" \
  "MAIL FROM:<lens@example.com>|RCPT TO:<oncall@example.com>|RCPT TO:<ml@example.com>|Subject: Lens [FIRING:1] alertname=LensTest " \
  "$(head -n 3 "$T/mail.txt" | paste -sd '|')|$(grep -m1 '^Subject:' "$T/mail.txt" | tr -d '\r')"
post /api/v1/alert-routes '{"name":"mail-disk","channel":"mail","priority":-2,"matchers":[{"name":"alertname","op":"=","value":"DiskAlmostFull"}],"group_wait":"1s"}' >/dev/null
post /api/v1/alerts/webhook '{"name":"DiskAlmostFull","node":"gpu-30","message":"/data at 97%"}' >/dev/null
check "a routed alert arrives as mail" wait_for 15 grep -q "firing DiskAlmostFull (warning): /data at 97%" "$T/mail.txt"
# STARTTLS required, verified against the receiver's own certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$T/smtp.key" -out "$T/smtp.crt" >/dev/null 2>&1
TLS_PORT=$(free_port)
"$B/tests/smtp_sink" --listen "$TLS_PORT" --out "$T/mail-tls.txt" --tls-cert "$T/smtp.crt" --tls-key "$T/smtp.key" \
  2>"$T/smtp-tls.log" &
PIDS+=($!)
wait_for 10 grep -q ready "$T/smtp-tls.log"
post /api/v1/notification-channels "{\"name\":\"mail-tls\",\"type\":\"email\",\"url\":\"smtp://127.0.0.1:$TLS_PORT\",\"config\":{\"from\":\"lens@example.com\",\"to\":[\"oncall@example.com\"],\"starttls\":\"required\",\"ca_file\":\"$T/smtp.crt\"}}" >/dev/null
check_eq "with STARTTLS required, the mail goes encrypted" "200|1" \
  "$(post /api/v1/notification-channels/mail-tls/test '')|$(grep -c -- '--END TLS--' "$T/mail-tls.txt")"
post /api/v1/notification-channels "{\"name\":\"mail-plain\",\"type\":\"email\",\"url\":\"smtp://127.0.0.1:$SMTP_PORT\",\"config\":{\"from\":\"a@example.com\",\"to\":[\"b@example.com\"],\"starttls\":\"required\"}}" >/dev/null
check_eq "a server without STARTTLS fails a channel that requires it" "502|delivery_failed" \
  "$(post /api/v1/notification-channels/mail-plain/test '')|$(jq -r .error.code "$T/post.json")"

# ---- Forwarding to a real Alertmanager.
AM=127.0.0.1:$(free_port)
printf 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' >"$T/am.yml"
prometheus-alertmanager --config.file="$T/am.yml" --storage.path="$T/am" --web.listen-address="$AM" \
  --cluster.listen-address= >"$T/alertmanager.log" 2>&1 &
PIDS+=($!)
check "Alertmanager is up" wait_for 20 curl -sf "http://$AM/-/ready"
post /api/v1/notification-channels "{\"name\":\"am\",\"type\":\"alertmanager\",\"url\":\"http://$AM\"}" >/dev/null
post /api/v1/alert-routes '{"name":"forward","channel":"am","priority":-1,"matchers":[{"name":"team","op":"=~","value":"fwd.*"}],"group_wait":"1s"}' >/dev/null
post /api/v1/alerts/log '{"rule_name":"ForwardMe","severity":"critical","message":"to the Alertmanager","labels":{"team":"fwd-ops"}}' >/dev/null
check "the alert reaches the Alertmanager through the alertmanager channel" wait_for 20 sh -c \
  "curl -sf 'http://$AM/api/v2/alerts' | jq -e '.[] | select(.labels.alertname == \"ForwardMe\" and .labels.team == \"fwd-ops\" and .annotations.message == \"to the Alertmanager\")' >/dev/null"

stop_pid "$AGG_PID" "lens-aggregator"
