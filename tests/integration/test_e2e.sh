#!/usr/bin/env bash
# End to end: agent -> nng -> aggregator -> PostgreSQL -> REST -> lensctl.
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator
start_agent --node-name e2e-node-1 --heartbeat-interval 200ms
API=http://$AGG_HTTP

check "node appears in the API" wait_for 15 sh -c "curl -sf $API/api/v1/nodes/e2e-node-1 | grep -q '\"status\":\"online\"'"
node=$(curl -s "$API/api/v1/nodes/e2e-node-1")
check_eq "node reports its kernel" "$(uname -r)" "$(echo "$node" | jq -r .kernel_release)"
check_eq "node reports its CPU count" "$(nproc)" "$(echo "$node" | jq -r .cpu_count)"
check_eq "node reports its boot id" "$(cat /proc/sys/kernel/random/boot_id)" "$(echo "$node" | jq -r .boot_id)"
check "node reports the agent version" test -n "$(echo "$node" | jq -r '.agent_version // empty')"

list=$(curl -s "$API/api/v1/nodes?limit=10")
check_eq "node list is paged with a total" "1 0 10" "$(echo "$list" | jq -r '"\(.total) \(.offset) \(.limit)"')"

out=$(LENS_SERVER=$API "$B/bin/lensctl" nodes)
check "lensctl nodes has the kubectl header" grep -qE '^NAME +STATUS +AGE +LAST-SEEN +KERNEL +AGENT$' <<<"$out"
check "lensctl nodes shows the node Ready" grep -qE '^e2e-node-1 +Ready ' <<<"$out"
check "lensctl -o json gives the items" test "$(LENS_SERVER=$API "$B/bin/lensctl" nodes -o json | jq -r '.[0].name')" == e2e-node-1
check "lensctl -o wide adds OS-IMAGE" grep -q 'OS-IMAGE' <<<"$(LENS_SERVER=$API "$B/bin/lensctl" -o wide nodes)"
check "lensctl version shows the server" grep -q '^Server Version: ' <<<"$(LENS_SERVER=$API "$B/bin/lensctl" version)"

err=$("$B/bin/lensctl" --server http://127.0.0.1:1 nodes 2>&1); rc=$?
check_eq "lensctl exits 1 when the server is unreachable" 1 "$rc"
check "and says so clearly" grep -q 'cannot reach the Lens server at http://127.0.0.1:1' <<<"$err"

check "agent metrics count acknowledged envelopes" test "$(agent_metric 'lens_agent_envelopes_answered_total{stream="control",outcome="stored"}')" -ge 2
check "aggregator metrics count received heartbeats" test "$(agg_metric 'lens_aggregator_envelopes_received_total{payload="heartbeat"}')" -ge 1
check "aggregator exposes the ingest latency histogram" test -n "$(agg_metric 'lens_aggregator_ingest_latency_seconds_count')"

# The node goes offline when its agent stops (offline-after is short here).
stop_pid "$AGENT_PID" lens-agent
check "agent drained before exiting" grep -q 'msg="agent stopped" drained=true spooled_records=0' "$T/agent.log"
stop_pid "$AGG_PID" lens-aggregator
start_aggregator --offline-after 1s --retention-interval 1s --heartbeat-retention 2s \
  --ledger-retention 2s
check "a node without heartbeats turns offline" wait_for 10 sh -c "curl -sf $API/api/v1/nodes/e2e-node-1 | grep -q '\"status\":\"offline\"'"
check "lensctl shows it NotReady" grep -qE '^e2e-node-1 +NotReady ' <<<"$(LENS_SERVER=$API "$B/bin/lensctl" nodes)"
check "retention deletes heartbeats and ledger rows past their age" wait_for 20 sh -c \
  "test \$(psql '$DB_URL' -Atqc 'SELECT count(*) FROM heartbeats') = 0 && test \$(psql '$DB_URL' -Atqc 'SELECT count(*) FROM envelopes') = 0"
check "and counts what it deleted" test "$(agg_metric 'lens_aggregator_retention_deleted_rows_total{table="heartbeats"}')" -ge 1
check_eq "the node itself stays" 1 "$(sql "SELECT count(*) FROM nodes")"
stop_pid "$AGG_PID" lens-aggregator
