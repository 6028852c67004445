#!/usr/bin/env bash
# Container log collection end to end: a writer produces CRI lines (with
# partial lines, a 1 MiB line, invalid UTF-8) into a /var/log/pods-shaped
# tree, rotates by rename, truncates once (copytruncate); the agent is
# killed with -9 and restarted twice while it runs, the aggregator
# restarted once, a pod deleted mid-stream. At the end every written line
# is in the database, and none twice.
. "$(dirname "$0")/lib.sh"

UIDP=7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e
PODS=$T/pods
DIR=$PODS/ml_trainer-0_$UIDP/main
GONE=$PODS/ml_short-0_1a2b3c4d-0000-4000-8000-000000000001/main
mkdir -p "$DIR" "$GONE"
ts() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
# lines FROM TO: CRI lines "line N ..." into 0.log; every 50th in two pieces.
lines() {
  local i out=""
  for i in $(seq "$1" "$2"); do
    if [ $((i % 50)) -eq 0 ]; then
      out+="$(ts) stdout P line $i first half -"$'\n'"$(ts) stdout F second half of $i"$'\n'
    else
      out+="$(ts) stdout F line $i iteration $i/100000 | lm loss: 2.$i"$'\n'
    fi
  done
  printf '%s' "$out" >>"$DIR/0.log"
}
# rlines FROM TO: lines that do not compress (random text), to fill a spool.
rlines() {
  base64 -w 96 /dev/urandom | head -n $(($2 - $1 + 1)) |
    awk -v s="$1" -v t="$(ts)" '{ printf "%s stdout F line %d %s\n", t, s + NR - 1, $0 }' >>"$DIR/0.log"
}
rotate() { mv "$DIR/0.log" "$DIR/0.log.$(date +%Y%m%d-%H%M%S%N)"; : >"$DIR/0.log"; }
: >"$DIR/0.log"
for i in $(seq 100); do echo "$(ts) stderr F short pod line $i" >>"$GONE/0.log"; done

start_pg
start_aggregator
API=http://$AGG_HTTP
export LENS_SERVER=$API
agent() { start_agent --node-name log-node --pod-log-dir "$PODS" --log-batch-delay 200ms \
  --log-rescan 300ms --pod-resources-socket "" --kernel-events=false; }
agent
lines 1 1000
rotate
lines 1001 2000
wait_for 20 sh -c "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM log_lines WHERE pod = 'short-0'\") -eq 100 ]"
# The pod is deleted while its container still writes: the file the agent
# holds open is read to its end.
for i in $(seq 101 300); do echo "$(ts) stderr F short pod line $i" >>"$GONE/0.log"; done
rm -rf "${GONE%/main}"
check "a pod deleted mid-stream: every line of its file arrives" wait_for 20 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(DISTINCT line) FROM log_lines WHERE pod = 'short-0'\") -eq 300 ]"
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
lines 2001 3000
rotate
lines 3001 3500
agent
# The 1 MiB line, in 16 KiB pieces as containerd writes it; bytes that are
# not UTF-8.
big=$(head -c 16384 /dev/zero | tr '\0' 'x')
{ for i in $(seq 63); do echo "$(ts) stdout P $big"; done; echo "$(ts) stdout F $big"; } >>"$DIR/0.log"
printf '%s stdout F not utf-8: \xff\xfe end\n' "$(ts)" >>"$DIR/0.log"
lines 3501 4000
sleep 0.5
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
stop_pid "$AGG_PID" lens-aggregator
lines 4001 5000
rotate
start_aggregator
agent
check "the agent catches up" wait_for 30 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM log_lines WHERE pod = 'trainer-0' AND line LIKE 'line %'\") -ge 4900 ]"
# copytruncate: the file is emptied in place and written on.
lines 5001 5200
wait_for 20 sh -c "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM log_lines WHERE line LIKE 'line 5200 %'\") -eq 1 ]"
truncate -s 0 "$DIR/0.log"
sleep 0.5
lines 5201 5500
check "every line arrives" wait_for 30 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM log_lines WHERE pod = 'trainer-0' AND (line LIKE 'line %')\") -ge 5500 ]"
sleep 1
stored=$(sql "SELECT count(*) FROM log_lines WHERE pod = 'trainer-0' AND line LIKE 'line %'")
distinct=$(sql "SELECT count(DISTINCT line) FROM log_lines WHERE pod = 'trainer-0' AND line LIKE 'line %'")
check_eq "every written line stored, none twice (stored distinct)" "5500 5500" "$stored $distinct"
want=$(for i in $(seq 5500); do
  if [ $((i % 50)) -eq 0 ]; then echo "line $i first half -second half of $i"
  else echo "line $i iteration $i/100000 | lm loss: 2.$i"; fi
done | sort | md5sum)
got=$(sql "SELECT line FROM log_lines WHERE pod = 'trainer-0' AND line LIKE 'line %'" | sort | md5sum)
check_eq "the lines' content is what was written (partial pieces joined)" "$want" "$got"
check_eq "the 1 MiB line is cut at 64 KiB, with a marker" "65575|t" \
  "$(sql "SELECT length(line), line LIKE '% [lens: line cut, 983040 bytes dropped]' FROM log_lines WHERE line LIKE 'xxxx%'")"
check_eq "bytes that are not UTF-8 become U+FFFD" "not utf-8: �� end" \
  "$(sql "SELECT line FROM log_lines WHERE line LIKE 'not utf-8%'")"
check "the truncation was seen" test "$(agent_metric lens_agent_log_files_truncated_total)" -ge 1
check_eq "lines carry their pod, container and stream" "ml trainer-0 $UIDP main stdout" \
  "$(sql "SELECT namespace, pod, pod_uid, container, stream FROM log_lines WHERE line = 'line 7 iteration 7/100000 | lm loss: 2.7'" | tr '|' ' ')"
check "every stored line reached the analysis" test "$(agg_metric lens_aggregator_log_lines_analysed_total)" -ge 100

"$B/bin/lensctl" logs trainer-0 -f --since 1m --interval 200ms --iterations 10 >"$T/follow.out" 2>&1 &
follower=$!
sleep 0.5
echo "$(ts) stdout F followed by lensctl" >>"$DIR/0.log"
wait "$follower"
check "lensctl logs -f follows the agent's lines" grep -q 'followed by lensctl' "$T/follow.out"
stop_pid "$AGENT_PID" lens-agent

# A full spool: with the aggregator away, the tailer stops reading (the
# file is the buffer) instead of dropping, and takes up again after.
stop_pid "$AGG_PID" lens-aggregator
AGENT_HTTP=
start_agent --node-name log-node --pod-log-dir "$PODS" --log-batch-delay 100ms --log-batch-bytes 16KiB \
  --log-rescan 300ms --pod-resources-socket "" --kernel-events=false --spool-max-bytes 1MiB \
  --spool-segment-bytes 64KiB
rlines 5501 30000
check "with the spool full, tailing pauses and says so" wait_for 20 sh -c \
  "curl -s http://$AGENT_HTTP/metrics | grep -q '^lens_agent_log_paused 1'"
start_aggregator
check "after the aggregator is back, every line arrives" wait_for 60 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(DISTINCT line) FROM log_lines WHERE pod = 'trainer-0' AND line LIKE 'line %'\") -eq 30000 ]"
check_eq "and none twice" 30000 "$(sql "SELECT count(*) FROM log_lines WHERE pod = 'trainer-0' AND line LIKE 'line %'")"
check_eq "the spool dropped no log batch" "" "$(agent_metric 'lens_agent_spool_dropped_total{stream="logs",reason="spool_full"}')"
stop_pid "$AGENT_PID" lens-agent
stop_pid "$AGG_PID" lens-aggregator
