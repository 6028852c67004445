#!/usr/bin/env bash
# Kernel events with the real kernel: eBPF programs loaded by the agent,
# real processes in a cgroup shaped like a pod's (v2, plus a v1 memory
# cgroup with a limit where memory is a v1 controller), an OOM kill, a
# segfault, a SIGKILL from another process, an exec; attributed to the
# pod through the fake kubelet's pod list; stored, queried, shown by
# lensctl. A process outside pods produces no exit event. An agent without
# CAP_BPF runs on and says why.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root to load eBPF programs"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "the kernel has no BTF"
CGROOT=$(cgroup2_root)
[ -n "$CGROOT" ] || skip_all "no cgroup v2 hierarchy mounted"

NS=ml
UIDP=3c4d5e6f-7a8b-4c9d-8e0f-a1b2c3d4e5f6
W_UID=9e8d7c6b-5a49-4382-9170-f1e2d3c4b5a6
CID=$(printf 'e5%.0s' $(seq 32))
CG=$(pod_cgroup "$CGROOT" lens-kev-$$ "$UIDP" "$CID")
mkdir -p "$CG" || skip_all "cannot create cgroups"
# The memory limit: in the v1 memory controller on hybrid hosts, in the
# v2 cgroup itself where memory is a v2 controller.
MEMCG=
if [ "$CGROOT" = /sys/fs/cgroup ]; then
  echo +memory >"$CGROOT/cgroup.subtree_control" 2>/dev/null
  for d in lens-kev-$$ lens-kev-$$/kubepods.slice lens-kev-$$/kubepods.slice/kubepods-burstable.slice \
    lens-kev-$$/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDP//-/_}.slice; do
    echo +memory >"$CGROOT/$d/cgroup.subtree_control" 2>/dev/null
  done
  echo 33554432 >"$CG/memory.max"
else
  MEMCG=/sys/fs/cgroup/memory/lens-kev-$$/kubepods/burstable/pod$UIDP/$CID
  mkdir -p "$MEMCG" && echo 33554432 >"$MEMCG/memory.limit_in_bytes"
fi
cleanup_cgroups() {
  sleep 0.3   # processes killed last are still leaving their cgroups
  for d in "$CGROOT/lens-kev-$$" ${MEMCG:+/sys/fs/cgroup/memory/lens-kev-$$}; do
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
}
trap 'cleanup; cleanup_cgroups' EXIT

fake_kubelet_pod "$NS" crashy-0 "$UIDP" main "$CID" bert "$W_UID"
cat >"$T/crash.c" <<'EOF'
int main(void) { volatile int *p = 0; return *p; }
EOF
cc -O0 -o "$T/crash" "$T/crash.c"

start_pg
start_aggregator
API=http://$AGG_HTTP
export LENS_SERVER=$API
start_agent --node-name kev-node --kubelet-url "http://$KUBELET" --pod-resources-socket "" \
  --oci-state-dirs "" --pod-log-dir "$T/nologs" --pod-interval 300ms
attached=$(agent_metric lens_agent_kernel_programs_attached)
check "the agent attached its eBPF programs" test "${attached:-0}" -ge 4
check "it watches the pod's cgroups" wait_for 10 sh -c "curl -s http://$AGENT_HTTP/metrics | grep -Eq '^lens_agent_kernel_pod_cgroups [1-9]'"
capeff=$(awk '/^CapEff/ {print $2}' "/proc/$AGENT_PID/status")
check_eq "after loading, the agent holds neither CAP_SYS_ADMIN nor CAP_BPF" "0 0" \
  "$(( (0x$capeff >> 21) & 1 )) $(( (0x$capeff >> 39) & 1 ))"
check "the pod is known by name" wait_for 10 sh -c "curl -s http://$AGENT_HTTP/pods | jq -e '.pods[] | select(.name == \"crashy-0\")' >/dev/null"

# inpod CMD...: CMD as a process of the pod's container (and its memory limit).
make_inpod "$CG" "$MEMCG"
INPOD=$T/inpod
inpod() { "$INPOD" "$@"; }
inpod /bin/echo hello-lens exec-test >/dev/null
# A training launcher (a copy of true named torchrun, with Megatron's entry
# script as its argument).
cp /bin/true "$T/torchrun"
inpod "$T/torchrun" --nproc_per_node=8 /workspace/Megatron-LM/pretrain_gpt.py --tensor-model-parallel-size 8
inpod "$T/crash" 2>/dev/null
"$INPOD" sleep 300 &
victim=$!
sleep 0.3
kill -KILL "$victim"
wait "$victim" 2>/dev/null
inpod tail /dev/zero 2>/dev/null
sh -c 'exit 7' &   # outside pods
outside=$!
wait "$outside"

events() { curl -sf "$API/api/v1/events?node=kev-node&limit=1000$1"; }
have() { events "${2:-}" | jq -e "$1" >/dev/null; }
check "the exec arrives with its argv" wait_for 15 have \
  '.items[] | select(.type == "exec" and .details.argv == ["/bin/echo","hello-lens","exec-test"])'
check "a training launcher's exec starts a run of the pod's workload" wait_for 15 sh -c \
  "[ \"\$(psql '$DB_URL' -Atqc \"SELECT source || ' ' || serial || ' ' || iteration FROM training_events WHERE workload_uid = '$W_UID' AND type = 'start'\")\" = 'kernel 1 0' ]"
check_eq "its command line names the framework" "megatron|cmdline|0.8" \
  "$(sql "SELECT base_framework, method, confidence FROM framework_detections WHERE workload_uid = '$W_UID' AND source = 'cmdline'")"
check "the segfault arrives as a crash by SIGSEGV" wait_for 10 have \
  '.items[] | select(.type == "exit" and .comm == "crash" and .details.how == "crashed" and .details.signal == "SIGSEGV")'
check "the SIGKILL names its sender and target" wait_for 10 have \
  ".items[] | select(.type == \"signal\" and .details.signal == \"SIGKILL\" and .details.target_pid == $victim and .details.sender_pid == $$)"
check "the OOM kill arrives with the victim" wait_for 15 have \
  '.items[] | select(.type == "oom_kill" and .details.victim_comm == "tail" and .details.limit_bytes == 33554432)'
oom=$(events "&type=oom_kill" | jq -c '.items[0]')
check_eq "attributed to the pod, its container and workload by UID" "$NS crashy-0 main bert $UIDP $W_UID" \
  "$(jq -r '"\(.namespace) \(.pod) \(.container) \(.workload) \(.pod_uid) \(.workload_uid)"' <<<"$oom")"
# Kernel events that are alerts, in the transaction that stored them.
alerts=$(curl -sf "$API/api/v1/alerts?source=kernel&pod=$UIDP")
check_eq "the OOM kill and the segfault are alerts of the pod, by UID" \
  "OOMKilled|critical|bert|kev-node ProcessCrashed|high|bert|kev-node" \
  "$(jq -r '[.items[] | select(.name == "OOMKilled" or .name == "ProcessCrashed")] | sort_by(.name) | map("\(.name)|\(.severity)|\(.workload)|\(.node)") | join(" ")' <<<"$alerts")"
oom_alert=$(jq -r '.items[] | select(.name == "OOMKilled") | .id' <<<"$alerts")
check_eq "correlated with each other: the same pod" "ProcessCrashed|same pod" \
  "$(curl -sf "$API/api/v1/alerts/$oom_alert/correlations" | jq -r '[.correlations[] | select(.name == "ProcessCrashed")][0] | "\(.name)|\(.reason)"')"
# The job then hangs (its alert as another source sends it): related to the
# OOM kill before it, on the workload, as cause and effect.
hang=$(curl -s -XPOST "$API/api/v1/alerts/webhook" -d "{\"name\":\"TrainingHang\",\"workload_uid\":\"$W_UID\",\"severity\":\"critical\"}" | jq '.ids[0]')
check_eq "a hang of the workload is related to the OOM kill, from both sides" \
  "OOMKilled|a process of the job was OOM-killed, then the training hung; same workload, across sources (kernel, webhook)|TrainingHang" \
  "$(curl -sf "$API/api/v1/alerts/$hang/correlations" | jq -r '.correlations[] | select(.name == "OOMKilled") | "\(.name)|\(.reason)"')|$(curl -sf "$API/api/v1/alerts/$oom_alert/correlations" | jq -r "[.correlations[] | select(.id == $hang)][0].name")"
check_eq "a SIGKILL is no crash alert" 0 \
  "$(jq '[.items[] | select(.name == "ProcessCrashed" and .labels.signal == "SIGKILL")] | length' <<<"$alerts")"
check_eq "a process outside pods produces no exit event" 0 \
  "$(events "&type=exit" | jq "[.items[] | select(.pid == $outside)] | length")"
check_eq "filters: by pod name and type" "crash" \
  "$(curl -sf "$API/api/v1/events?pod=crashy-0&type=exit" | jq -r '[.items[] | select(.details.how == "crashed")][0].comm')"
check_eq "by workload" "$(events "" | jq '[.items[] | select(.workload == "bert")] | length')" \
  "$(curl -sf "$API/api/v1/events?workload=$W_UID&limit=1000" | jq '.total')"
check_eq "a bad time is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/events?since=noon")"
check "the agent counts events by type" test "$(agent_metric 'lens_agent_kernel_events_total{type="oom_kill"}')" -ge 1

out=$("$B/bin/lensctl" events --pod crashy-0)
check "lensctl events has its header" grep -qE '^TIME +NODE +TYPE +NAMESPACE +POD +WHAT$' <<<"$out"
check "and says what happened" grep -qE 'oom_kill +ml +crashy-0 +OOM kill of tail \(pid [0-9]+\), limit 32 MiB$' <<<"$out"
check "in words, for a crash too" grep -qE 'exit +ml +crashy-0 +crash \(pid [0-9]+\) crashed by SIGSEGV' <<<"$out"
"$B/bin/lensctl" events -w --interval 200ms --iterations 15 --type exec >"$T/watch.out" 2>&1 &
watcher=$!
sleep 1
inpod /bin/echo followed-by-watch >/dev/null
wait "$watcher"
check "lensctl events -w prints new events as they come" grep -q 'followed-by-watch' "$T/watch.out"

# Watch mode without an aggregator (once its programs are attached: under
# load, loading takes a while; what it printed is read when it is done).
"$B/bin/lens-agent" kevents --duration 8s --type exec --kernel-events-all >"$T/kevents.out" 2>"$T/kevents.log" &
kev=$!
wait_for 15 grep -q 'program=kev_exec' "$T/kevents.log"
sleep 0.5
/bin/echo marker-outside-pods >/dev/null
wait "$kev"
check "lens-agent kevents prints JSON lines" jq -e 'select(.details.argv[1] == "marker-outside-pods")' "$T/kevents.out"

# Without the privileges to load eBPF, the agent runs and says why.
AGENT2=127.0.0.1:$(free_port)
setpriv --bounding-set -bpf,-sys_admin,-perfmon --inh-caps -bpf,-sys_admin,-perfmon \
  "$B/bin/lens-agent" --aggregator "$AGG_NNG" --spool-dir "$T/spool2" --listen "$AGENT2" \
  --node-name kev-node-2 --pod-resources-socket "" 2>"$T/agent2.log" &
A2=$!
PIDS+=("$A2")
check "an agent without CAP_BPF still runs" wait_for 10 curl -sf "http://$AGENT2/healthz"
check "and says why there are no kernel events" grep -q 'msg="kernel events unavailable; running without them"' "$T/agent2.log"
stop_pid "$A2" "the agent without CAP_BPF"

# Rate limit: a burst of execs in one pod beyond the per-pod rate is cut
# and counted.
AGENT3=127.0.0.1:$(free_port)
"$B/bin/lens-agent" --aggregator "$AGG_NNG" --spool-dir "$T/spool3" --listen "$AGENT3" \
  --node-name kev-node-3 --pod-resources-socket "" --kernel-event-rate 1 2>"$T/agent3.log" &
A3=$!
PIDS+=("$A3")
wait_for 10 sh -c "curl -s http://$AGENT3/metrics | grep -Eq '^lens_agent_kernel_pod_cgroups [1-9]'"
for i in $(seq 20); do inpod /bin/true burst-$i; done
check "a burst over the per-pod rate is cut and counted" wait_for 10 sh -c \
  "[ \"\$(curl -s http://$AGENT3/metrics | awk '\$1 == \"lens_agent_kernel_events_dropped_total{reason=\\\"rate_limit\\\"}\" {print \$2}')\" -ge 10 ] 2>/dev/null"
stop_pid "$A3" "the rate-limited agent"
check "what passed the limit was stored" test "$(sql "SELECT count(*) FROM kernel_events WHERE node = 'kev-node-3' AND type = 'exec'")" -le 4

# Retention: events past it go; the partitions of the coming days exist.
sql "INSERT INTO kernel_events (node, occurred_at, type, pid, tgid, comm, cgroup_id, details)
     VALUES ('kev-node', '2001-01-01T00:00:00Z', 'exit', 1, 1, 'old', 0, '{}')" >/dev/null
check_eq "an event from a wrong clock lands in the default partition" 1 \
  "$(sql "SELECT count(*) FROM kernel_events_default WHERE comm = 'old'")"
stop_pid "$AGENT_PID" lens-agent
stop_pid "$AGG_PID" lens-aggregator
start_aggregator --retention-interval 1s --event-retention 1h
check "retention deletes events past it" wait_for 20 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM kernel_events WHERE comm = 'old'\") -eq 0 ]"
check "and keeps today's" test "$(sql "SELECT count(*) FROM kernel_events WHERE type = 'oom_kill'")" -ge 1
check_eq "partitions exist for today and the next two days" 3 \
  "$(sql "SELECT count(*) FROM pg_class WHERE relname IN ('kernel_events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD'),
     'kernel_events_' || to_char((now() AT TIME ZONE 'UTC') + interval '1 day', 'YYYYMMDD'),
     'kernel_events_' || to_char((now() AT TIME ZONE 'UTC') + interval '2 days', 'YYYYMMDD'))")"
stop_pid "$AGG_PID" lens-aggregator
