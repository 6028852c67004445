#!/usr/bin/env bash
# kill -9 the aggregator (twice) while the agent keeps sending heartbeats:
# every sequence number from the agent is stored exactly once.
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator
start_agent --node-name crash-node --heartbeat-interval 20ms --inflight 4
check "heartbeats are flowing" wait_for 15 sh -c "test \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM heartbeats\") -ge 20"

kill -KILL "$AGG_PID"; wait "$AGG_PID" 2>/dev/null
sleep 2
check "the agent spools while the aggregator is down" test "$(agent_metric 'lens_agent_spool_records{stream="control"}')" -ge 10
start_aggregator
sleep 1
kill -KILL "$AGG_PID"; wait "$AGG_PID" 2>/dev/null
sleep 1
start_aggregator
check "the spool drains after the aggregator returns" wait_for 30 sh -c "test \"\$(curl -s http://$AGENT_HTTP/metrics | awk '\$1==\"lens_agent_spool_records{stream=\\\"control\\\"}\" {print \$2}')\" = 0"
check "the agent reconnected" test "$(agent_metric lens_agent_transport_connects_total)" -ge 3

stop_pid "$AGENT_PID" lens-agent
hb=$(agent_heartbeats)
check "the agent sent a good number of heartbeats" test "${hb:-0}" -ge 100
check_exactly_once crash-node "$hb"
stop_pid "$AGG_PID" lens-aggregator
