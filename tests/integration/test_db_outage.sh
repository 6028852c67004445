#!/usr/bin/env bash
# Stop PostgreSQL for a while: the aggregator does not acknowledge, the
# agent spools, and after PostgreSQL returns nothing is missing.
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator
start_agent --node-name outage-node --heartbeat-interval 50ms
check "heartbeats are stored" wait_for 15 sh -c "test \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM heartbeats\") -ge 5"

stop_pg
sleep 1
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$AGG_HTTP/readyz")
check_eq "readyz says not ready while the database is down" 503 "$code"
code=$(curl -s -o "$T/body" -w '%{http_code}' "http://$AGG_HTTP/api/v1/nodes")
check_eq "the API answers 503 while the database is down" 503 "$code"
check "with a JSON error" test "$(jq -r .error.code "$T/body")" == database_unavailable
sleep 2
check "the agent keeps its envelopes spooled" test "$(agent_metric 'lens_agent_spool_records{stream="control"}')" -ge 20
check "the aggregator answered RETRY, not STORED" test "$(agg_metric 'lens_aggregator_envelopes_answered_total{payload="heartbeat",outcome="retry"}')" -ge 1
check "the aggregator is still up" kill -0 "$AGG_PID"

start_pg >/dev/null
check "readyz recovers" wait_for 20 curl -sf "http://$AGG_HTTP/readyz"
check "the spool drains after the database returns" wait_for 30 sh -c "test \"\$(curl -s http://$AGENT_HTTP/metrics | awk '\$1==\"lens_agent_spool_records{stream=\\\"control\\\"}\" {print \$2}')\" = 0"

stop_pid "$AGENT_PID" lens-agent
check_exactly_once outage-node "$(agent_heartbeats)"
stop_pid "$AGG_PID" lens-aggregator
