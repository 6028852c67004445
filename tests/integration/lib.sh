# Helpers for integration tests: each test sources this, starts the real
# parts it needs (a private PostgreSQL, lens-aggregator, lens-agent) on
# free ports under its own temporary directory, reports TAP, and has
# everything it started stopped by process id when it exits.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$ROOT/${LENS_BUILD:-build/san}
T=$(mktemp -d /tmp/lens-it.XXXXXX)
TEST_NAME=$(basename "$0" .sh)
TAP_N=0
FAILED=0
PIDS=()
PGDIR=
DB_URL=

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() {
  TAP_N=$((TAP_N + 1)); FAILED=1
  echo "not ok $TAP_N - $1"; shift
  local l; for l in "$@"; do echo "# $l"; done
}
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d" "failed: $*"; fi; }
# check_eq DESCRIPTION WANT GOT
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "want: $2" "got:  $3"; fi; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.1
  done
}

free_port() { "$ROOT/scripts/free-port.sh"; }

start_pg() {
  PGDIR=$T/pg
  DB_URL=$("$ROOT/scripts/pg.sh" start "$PGDIR") || { echo "# cannot start PostgreSQL"; exit 1; }
}
stop_pg() { "$ROOT/scripts/pg.sh" stop "$PGDIR"; }
sql() { psql "$DB_URL" -Atqc "$1"; }

AGG_PID= AGG_NNG= AGG_HTTP=
# start_aggregator [extra flags]: ports stay the same across restarts.
start_aggregator() {
  : "${AGG_NNG:=tcp://127.0.0.1:$(free_port)}"
  : "${AGG_HTTP:=127.0.0.1:$(free_port)}"
  "$B/bin/lens-aggregator" --database-url "$DB_URL" --listen "$AGG_NNG" \
    --http-listen "$AGG_HTTP" "$@" 2>>"$T/aggregator.log" &
  AGG_PID=$!
  PIDS+=("$AGG_PID")
  wait_for 30 curl -sf "http://$AGG_HTTP/readyz" || { echo "# aggregator did not get ready"; tail -n 20 "$T/aggregator.log"; }
  wait_for 10 grep -q "aggregator started" "$T/aggregator.log"
}

AGENT_PID= AGENT_HTTP= SPOOL=$T/spool
# start_agent [extra flags]
start_agent() {
  : "${AGENT_HTTP:=127.0.0.1:$(free_port)}"
  "$B/bin/lens-agent" --aggregator "$AGG_NNG" --spool-dir "$SPOOL" --listen "$AGENT_HTTP" \
    --reconnect-max 500ms --request-timeout 2s "$@" 2>>"$T/agent.log" &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  wait_for 10 curl -sf "http://$AGENT_HTTP/healthz"
}

# metric URL NAME{labels}: the value of one sample (empty when absent).
metric() { curl -s "$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'; }
agent_metric() { metric "http://$AGENT_HTTP" "$1"; }
agg_metric() { metric "http://$AGG_HTTP" "$1"; }

# stop_pid PID NAME: SIGTERM, wait, and report whether it exited cleanly
# (under the sanitizers a leak or error makes the exit status non-zero).
stop_pid() {
  local pid=$1 name=$2 rc
  kill -TERM "$pid" 2>/dev/null || return 0
  wait "$pid"; rc=$?
  check_eq "$name exits cleanly on SIGTERM (no sanitizer report)" 0 "$rc"
}

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  [ -n "$PGDIR" ] && stop_pg
  local keep=$ROOT/${LENS_BUILD:-build/san}/test-logs/$TEST_NAME
  mkdir -p "$keep" && cp "$T"/*.log "$keep"/ 2>/dev/null
  if [ "$FAILED" -ne 0 ]; then
    echo "# logs kept in $keep" >&2
    for f in "$T"/*.log; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done
  fi
  rm -rf "$T"
  echo "1..$TAP_N"
}
trap cleanup EXIT

# The agent's final heartbeat count, from its "agent stopped" log line.
agent_heartbeats() { grep -o 'msg="agent stopped".*heartbeats=[0-9]*' "$T/agent.log" | tail -n 1 | sed 's/.*heartbeats=//'; }

# check_exactly_once NODE HEARTBEATS: every heartbeat the agent spooled is
# stored once, with no gap in its sequence numbers.
check_exactly_once() {
  local node=$1 want=$2 row
  row=$(sql "SELECT count(*), count(DISTINCT seq), max(seq) - min(seq) + 1 FROM heartbeats WHERE node = '$node'")
  check_eq "every heartbeat stored exactly once (rows|distinct|span)" "$want|$want|$want" "$row"
  row=$(sql "SELECT count(*) FROM envelopes WHERE node = '$node' AND payload = 'heartbeat'")
  check_eq "the delivery ledger holds each heartbeat once" "$want" "$row"
}

# start_fake_agent "FIXTURE ARGS" [agent flags]: lens-agent inside the
# fake-device fixture (tests/fixtures/fakegpu). The agent's pid lands in
# AGENT_PID and the live tree's root in FAKE_ROOT (for --update).
FAKE_ROOT=
start_fake_agent() {
  local fixture_args=$1; shift
  : "${AGENT_HTTP:=127.0.0.1:$(free_port)}"
  rm -f "$T/fake-agent.pid" "$T/fake-root"
  local cmd
  cmd="echo \$FAKEGPU_ROOT >'$T/fake-root'; '$B/bin/lens-agent' --aggregator '$AGG_NNG' \
    --spool-dir '$SPOOL' --listen '$AGENT_HTTP' --reconnect-max 500ms --request-timeout 2s $* \
    2>>'$T/agent.log' & echo \$! >'$T/fake-agent.pid'; wait"
  # shellcheck disable=SC2086
  "$ROOT/tests/fixtures/fakegpu/fakegpu.sh" $fixture_args -- sh -c "$cmd" >>"$T/fixture.log" 2>&1 &
  PIDS+=($!)
  wait_for 30 test -s "$T/fake-agent.pid" || { echo "# fixture did not start"; return 1; }
  AGENT_PID=$(cat "$T/fake-agent.pid")
  FAKE_ROOT=$(cat "$T/fake-root")
  PIDS+=("$AGENT_PID")
  wait_for 15 curl -sf "http://$AGENT_HTTP/healthz"
}
# fake_update KEY=VALUE...: changes values in the running fixture.
fake_update() { "$ROOT/tests/fixtures/fakegpu/fakegpu.sh" --root "$FAKE_ROOT" --update "$@" >>"$T/fixture.log" 2>&1; }
# stop_fake_agent: SIGTERM to the agent; the fixture exits with it.
stop_fake_agent() { kill -TERM "$AGENT_PID" 2>/dev/null; wait_for 15 sh -c "! kill -0 $AGENT_PID"; }

# cgroup2_root: where the cgroup v2 hierarchy is mounted, or nothing.
cgroup2_root() {
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup
  elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then echo /sys/fs/cgroup/unified; fi
}

# pod_cgroup ROOT TOP POD_UID CID: the path of a container's cgroup as the
# kubelet's systemd driver makes it (under ROOT/TOP, so tests remove it whole).
pod_cgroup() {
  echo "$1/$2/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${3//-/_}.slice/cri-containerd-$4.scope"
}

# make_inpod CG [MEMCG]: writes $T/inpod, which runs its arguments as a
# process of that cgroup (and of the v1 memory cgroup). An external
# command, so that `$T/inpod ... &` is no subshell of the test script
# (which would run its EXIT trap).
make_inpod() {
  cat >"$T/inpod" <<EOF
#!/bin/sh
echo \$\$ >'$1/cgroup.procs'
${2:+echo \$\$ >'$2/cgroup.procs'}
exec "\$@"
EOF
  chmod +x "$T/inpod"
}

# fake_kubelet_pod NAMESPACE POD POD_UID CONTAINER CID JOB JOB_UID: a fake
# kubelet listing one running pod of one container, owned by a
# PyTorchJob; sets KUBELET to its address.
fake_kubelet_pod() {
  cat >"$T/pods.json" <<EOF
{"kind":"PodList","items":[{"metadata":{"name":"$2","namespace":"$1","uid":"$3",
 "ownerReferences":[{"apiVersion":"kubeflow.org/v1","kind":"PyTorchJob","name":"$6","uid":"$7","controller":true}]},
 "spec":{"containers":[{"name":"$4"}]},
 "status":{"phase":"Running","containerStatuses":[{"name":"$4","containerID":"containerd://$5","state":{"running":{}}}]}}]}
EOF
  KUBELET=127.0.0.1:$(free_port)
  "$B/tests/fake_kubelet" --http "$KUBELET" --pods "$T/pods.json" 2>"$T/kubelet.log" &
  PIDS+=($!)
  wait_for 10 grep -q ready "$T/kubelet.log"
}
