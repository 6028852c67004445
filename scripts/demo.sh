#!/usr/bin/env bash
# `make demo`: runs Lens on this machine. Starts a private PostgreSQL under
# .run/pg, lens-aggregator and one lens-agent (this machine as a node; on a
# machine without AMD GPUs, as root, a second agent plays a simulated GPU
# node on fake devices),
# with simulated training pods holding its fake GPUs (scripts/demo-pods.sh),
# waits until the node shows up, prints `lensctl nodes`, `gpus`, `pods` and
# `describe workload`, and the URLs, and
# keeps running until Ctrl-C, then stops everything it started.
# DEMO_SECONDS=N stops it after N seconds instead (for unattended runs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=$ROOT/.run
B=$ROOT/build/bin
mkdir -p "$RUN"
PIDS=()
. scripts/demo-pods.sh

# The simulated Megatron job: its progress, loss and TFLOP/s through
# lensctl and the metrics API, then a stall that raises a hang event.
demo_training_show() {
  for _ in $(seq 100); do
    "$B/lensctl" training llama-pretrain >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo
  echo "$ lensctl training llama-pretrain"
  "$B/lensctl" training llama-pretrain || true
  local uid
  uid=$(curl -s "$API/api/v1/workloads/llama-pretrain/training" | jq -r .workload_uid)
  echo
  echo "$ curl $API/api/v1/workloads/$uid/metrics/data?metrics=lm_loss,tflops_per_gpu   (the last 4 points)"
  curl -s "$API/api/v1/workloads/$uid/metrics/data?metrics=lm_loss,tflops_per_gpu" |
    jq -c '.data[-4:][] | {metric_name, value, iteration, timestamp}' || true
  echo
  echo "$ lensctl training llama-pretrain --metric lm_loss --plot"
  "$B/lensctl" training llama-pretrain --metric lm_loss --plot || true
  echo
  echo "The job stalls (its log goes silent)..."
  touch "$RUN/pods/stall"
  # (.run keeps earlier demos' data: wait for this stall's hang, firing.)
  for _ in $(seq 150); do
    curl -s "$API/api/v1/alerts?name=TrainingHang&workload=$uid&status=firing" |
      jq -e '.total > 0' >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "$ lensctl training llama-pretrain"
  "$B/lensctl" training llama-pretrain || true
  # The crash, the OOM kill and the hang are alerts of the job, related.
  echo
  echo "$ lensctl alerts --workload llama-pretrain"
  "$B/lensctl" alerts --workload llama-pretrain | cut -c1-200 || true
  local hang
  hang=$(curl -s "$API/api/v1/alerts?name=TrainingHang&workload=$uid" | jq -r '.items[0].id // empty')
  if [ -n "$hang" ]; then
    echo
    echo "$ curl $API/api/v1/alerts/$hang/correlations   (what the hang is related to)"
    curl -s "$API/api/v1/alerts/$hang/correlations" |
      jq -r '.correlations[] | "  \(.name) (\(.source)): score \(.score), \(.reason)"' || true
  fi
  demo_webhook_show
  rm -f "$RUN/pods/stall"
}

# A receiver for the job's team (tests/tools/webhook_sink: it writes each
# message it gets as a line), and the route that sends it the alerts of
# the workload, grouped: what arrives together within 5 s is one message.
demo_team_webhook() {
  local port
  port=$(pick_port 9496)
  rm -f "$RUN/webhook.jsonl"
  "$ROOT/build/tests/webhook_sink" --listen "127.0.0.1:$port" --out "$RUN/webhook.jsonl" \
    2>"$RUN/webhook.log" &
  PIDS+=($!)
  curl -s -XDELETE "$API/api/v1/notification-channels/team-llama" >/dev/null
  curl -s -XPOST "$API/api/v1/notification-channels" \
    -d "{\"name\":\"team-llama\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:$port/hook\"}" >/dev/null
  curl -s -XPOST "$API/api/v1/alert-routes" -d '{"name":"llama-pretrain","channel":"team-llama",
    "matchers":[{"name":"workload","op":"=","value":"llama-pretrain"}],"group_by":["workload"],
    "group_wait":"5s","group_interval":"30s","repeat_interval":"1h"}' >/dev/null
}

demo_webhook_show() {
  for _ in $(seq 50); do [ -s "$RUN/webhook.jsonl" ] && break; sleep 0.2; done
  echo
  echo "The team's webhook receiver got $(wc -l <"$RUN/webhook.jsonl" 2>/dev/null || echo 0) message(s):"
  jq -r '"  [\(.status)] \(.groupLabels | to_entries | map("\(.key)=\(.value)") | join(" ")): \(.alerts | length) alerts: \([.alerts[].labels.alertname] | join(", "))"' \
    "$RUN/webhook.jsonl" 2>/dev/null || true
}

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the demo..."
  demo_pods_stop "$RUN/pods"
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  scripts/pg.sh stop "$RUN/pg"
  mountpoint -q "$RUN/cgroup2" 2>/dev/null && umount "$RUN/cgroup2"
  echo "Stopped. Logs are in .run/."
}
trap stop_all INT TERM EXIT

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

NNG_PORT=$(pick_port 9470)
API_PORT=$(pick_port 9480)
AGENT_PORT=$(pick_port 9481)
[ "$AGENT_PORT" = "$API_PORT" ] && AGENT_PORT=$(pick_port $((API_PORT + 1)))
API=http://127.0.0.1:$API_PORT

echo "Starting PostgreSQL (private, .run/pg)..."
DB_URL=$(scripts/pg.sh start "$RUN/pg")

echo "Starting lens-aggregator (agents: tcp://127.0.0.1:$NNG_PORT, API: $API)..."
# A hang is reported after 5 s without an iteration here (2 min by
# default): the demo's stall is short.
"$B/lens-aggregator" --database-url "$DB_URL" --listen "tcp://127.0.0.1:$NNG_PORT" \
  --http-listen "127.0.0.1:$API_PORT" --hang-min 5s --hang-check-interval 1s \
  2>>"$RUN/aggregator.log" &
PIDS+=($!)
for _ in $(seq 300); do curl -sf "$API/readyz" >/dev/null && break; sleep 0.1; done

AGENT_ARGS=(--aggregator "tcp://127.0.0.1:$NNG_PORT" --heartbeat-interval 5s)
SIMULATE=
if ! grep -qs 0x1002 /sys/class/drm/card*/device/vendor && [ "$(id -u)" -eq 0 ]; then SIMULATE=1; fi
# The simulated node shares this machine's kernel and processes: its agent
# reports the kernel events and profiler traces of the simulated pods, this
# one stays out of them.
echo "Starting lens-agent for this machine (metrics: http://127.0.0.1:$AGENT_PORT/metrics)..."
"$B/lens-agent" "${AGENT_ARGS[@]}" --spool-dir "$RUN/spool" --listen "127.0.0.1:$AGENT_PORT" \
  ${SIMULATE:+--kernel-events=false --profiler=false} 2>>"$RUN/agent.log" &
PIDS+=($!)
SIM=
if [ -n "$SIMULATE" ]; then
  # No AMD GPU here: a second agent plays a SIMULATED GPU node, with 8
  # fake MI210s and 4 fake HCAs seen through the real ROCm SMI library
  # (tests/fixtures/fakegpu). GPU 5 runs hot to show a health condition.
  SIM=$(hostname | tr 'A-Z' 'a-z')-simulated
  SIM_PORT=$(pick_port $((AGENT_PORT + 1)))
  echo "No AMD GPU on this machine: starting a SIMULATED GPU node \"$SIM\" (8 fake GPUs, 4 fake HCAs;"
  echo "  metrics: http://127.0.0.1:$SIM_PORT/metrics) with simulated training pods..."
  demo_pods_setup "$RUN/pods"
  demo_training_log "$RUN/pods"
  # The fixture lays fake devices over /sys, the cgroup hierarchy with them:
  # the simulated agent finds the real one through a bind mount.
  CGROOT=$(demo_cgroup_root); CGROOT=${CGROOT%/lens-demo}
  mkdir -p "$RUN/cgroup2"
  mountpoint -q "$RUN/cgroup2" || mount --bind "${CGROOT:-/sys/fs/cgroup}" "$RUN/cgroup2"
  DEMO_POD_AGENT_FLAGS="$DEMO_POD_AGENT_FLAGS --cgroup-root $RUN/cgroup2 --profiler-interval 1s --profiler-settle 2s --profiler-dirs ."
  rm -f "$RUN/sim-agent.pid" "$RUN/sim-root"
  tests/fixtures/fakegpu/fakegpu.sh --gpus 8 --hcas 4 --set gpu3.busy_percent=99 --set gpu5.temp_junction=97000 \
    -- sh -c "echo \$FAKEGPU_ROOT >'$RUN/sim-root'; '$B/lens-agent' ${AGENT_ARGS[*]} --node-name '$SIM' \
      --spool-dir '$RUN/sim-spool' --listen 127.0.0.1:$SIM_PORT --backend sysfs $DEMO_POD_AGENT_FLAGS \
      2>>'$RUN/sim-agent.log' & echo \$! >'$RUN/sim-agent.pid'; wait" \
    >>"$RUN/fixture.log" 2>&1 &
  for _ in $(seq 100); do [ -s "$RUN/sim-agent.pid" ] && break; sleep 0.1; done
  PIDS=("$(cat "$RUN/sim-agent.pid")" "${PIDS[@]}")   # the agent first; the fixture exits with it
  demo_pods_start "$RUN/pods" "$(cat "$RUN/sim-agent.pid")" "$(cat "$RUN/sim-root")"
fi

export LENS_SERVER=$API
ME=$(hostname | tr 'A-Z' 'a-z')
for _ in $(seq 300); do
  "$B/lensctl" nodes 2>/dev/null | grep -qE "^$ME +Ready " && break
  sleep 0.1
done
for _ in $(seq 100); do
  [ "$("$B/lensctl" gpus -o json 2>/dev/null | jq 'length' 2>/dev/null || echo 0)" -gt 0 ] && break
  [ -n "${SIM:-}" ] || break
  sleep 0.1
done
echo
echo "$ lensctl nodes"
"$B/lensctl" nodes
if [ -n "${SIM:-}" ]; then
  # Until the pod processes' use (KFD queues) shows, or 5 s.
  for _ in $(seq 50); do
    curl -sf "$API/api/v1/gpus?node=$SIM" | jq -e '[.items[].pods[] | select(.used)] | length > 0' \
      >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
echo
echo "$ lensctl gpus"
"$B/lensctl" gpus || true
if [ -n "${SIM:-}" ]; then
  echo
  echo "$ lensctl pods"
  "$B/lensctl" pods || true
  echo
  echo "$ lensctl describe workload llama-pretrain"
  "$B/lensctl" describe workload llama-pretrain || true
  # The job's team gets its alerts on a webhook, grouped per workload.
  demo_team_webhook
  # A training step segfaults and a data loader of the job runs out of memory.
  demo_incidents "$RUN/pods"
  for _ in $(seq 50); do
    "$B/lensctl" events --since 1m --type oom_kill 2>/dev/null | grep -q llama-pretrain-worker && break
    sleep 0.2
  done
  echo
  echo "$ lensctl events --since 1m --type oom_kill,exit,signal"
  "$B/lensctl" events --since 1m --type oom_kill,exit,signal || true
  echo
  echo "$ lensctl logs llama-pretrain-master-0 -f    (3 s of it)"
  "$B/lensctl" logs llama-pretrain-master-0 -n training -f --since 3s --interval 500ms --iterations 6 \
    | cut -c1-150 || true
  demo_training_show
  # The job writes a profiler trace: the agent finds it, analyses it on
  # the node and sends it. (Only the working directories are walked: the
  # simulated pods share this machine's /tmp.)
  demo_profiler_trace "$RUN/pods" "$(cat "$RUN/sim-agent.pid")"
  for _ in $(seq 100); do
    "$B/lensctl" trace list 2>/dev/null | grep -q "complete.*master-0.rank0" && break
    sleep 0.2
  done
  echo
  echo "$ lensctl trace list"
  "$B/lensctl" trace list | cut -c1-180 || true
  id=$("$B/lensctl" trace list -o json 2>/dev/null | jq -r '.[0].id // empty')
  echo
  echo "$ lensctl trace show $id   (the timeline part)"
  [ -n "$id" ] && "$B/lensctl" trace show "$id" | sed -n '1,22p' || true
else
  echo
  echo "$ lensctl trace analyze tests/data/traces/tracelens-mi300-resnet-act-checkpoint.json.gz   (the timeline part)"
  "$B/lensctl" trace analyze tests/data/traces/tracelens-mi300-resnet-act-checkpoint.json.gz | sed -n '1,14p' || true
fi
cat <<INFO

Lens is running:
  REST API          $API/api/v1/nodes
  aggregator        $API/metrics   $API/healthz   $API/readyz
  agent             http://127.0.0.1:$AGENT_PORT/metrics   http://127.0.0.1:$AGENT_PORT/healthz${SIM:+
  simulated node    http://127.0.0.1:$SIM_PORT/metrics (fake devices, labelled $SIM)}
  lensctl           LENS_SERVER=$API build/bin/lensctl nodes|gpus|top|pods|workloads|events [-o wide|json]
                    LENS_SERVER=$API build/bin/lensctl describe workload llama-pretrain
                    LENS_SERVER=$API build/bin/lensctl logs llama-pretrain-master-0 -f
                    LENS_SERVER=$API build/bin/lensctl training llama-pretrain [--metric lm_loss --plot]
                    LENS_SERVER=$API build/bin/lensctl trace list|show ID
  metrics API       $API/api/v1/workloads/WORKLOAD_UID/metrics/data?metrics=lm_loss,tflops_per_gpu
  traces            build/bin/lensctl trace analyze FILE.pt.trace.json[.gz] [-o json]
  logs              .run/aggregator.log  .run/agent.log

Press Ctrl-C to stop.
INFO
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  while :; do sleep 3600; done
fi
