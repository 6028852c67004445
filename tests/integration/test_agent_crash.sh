#!/usr/bin/env bash
# kill -9 the agent with a non-empty spool and restart it: the spooled
# envelopes are delivered, and the restarted agent's sequence numbers do
# not collide with the ones it spooled before.
. "$(dirname "$0")/lib.sh"

start_pg
AGG_NNG=tcp://127.0.0.1:$(free_port)   # nobody listens yet
start_agent --node-name spool-node --heartbeat-interval 50ms
sleep 1.5
before=$(agent_metric lens_agent_heartbeats_total)
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "heartbeats were spooled before the crash" test "${before:-0}" -ge 10
check "the spool is on disk" test -n "$(find "$SPOOL/control" -name '*.seg' -size +0)"

start_aggregator
start_agent --node-name spool-node --heartbeat-interval 1h
check "the spool drains after the restart" wait_for 30 sh -c "test \"\$(curl -s http://$AGENT_HTTP/metrics | awk '\$1==\"lens_agent_spool_records{stream=\\\"control\\\"}\" {print \$2}')\" = 0"

# The first run used control-stream sequence numbers 1..K; K covers at
# least what the agent reported before it was killed (+1 for NodeInfo),
# with no gap.
row=$(sql "SELECT count(*), max(seq) FROM envelopes WHERE node = 'spool-node' AND stream = 1 AND seq < 65537")
count=${row%|*}; maxseq=${row#*|}
check_eq "the first run's envelopes are all stored, without a gap" "$maxseq" "$count"
check "including everything counted before the crash" test "$count" -ge $((before + 1))
check "the restarted agent continued with new sequence numbers" test "$(sql "SELECT count(*) FROM envelopes WHERE node = 'spool-node' AND stream = 1 AND seq >= 65537")" -ge 2
check_eq "nothing stored twice" 0 "$(sql "SELECT count(*) - count(DISTINCT seq) FROM heartbeats WHERE node = 'spool-node'")"
stop_pid "$AGENT_PID" lens-agent
stop_pid "$AGG_PID" lens-aggregator
