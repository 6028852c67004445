#!/usr/bin/env bash
# Pod mapping end to end, with real parts: a cgroup v2 hierarchy shaped like
# a kubelet's, real processes holding the fixture's device nodes (inside the
# fake-device mount namespace, with fake KFD per-process entries), OCI
# config.json files shaped like containerd's, a fake kubelet serving /pods
# over HTTP and the pod-resources API over gRPC on a unix socket
# (tests/fixtures/kubelet), the agent, the aggregator and PostgreSQL.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root for cgroups and the fake-device namespace"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then CGROOT=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then CGROOT=/sys/fs/cgroup/unified
else skip_all "no cgroup v2 hierarchy mounted"; fi

NS=ml
U_TRAIN=6f1c2d3e-0a1b-4c5d-8e9f-001122334455   # trainer-0: PyTorchJob llama, uses GPU 1 + mlx5_0
U_ALLOC=7a2b3c4d-1b2c-4d5e-9f0a-112233445566   # alloc-0: allocated GPU 2, idle
U_WEB=8b3c4d5e-2c3d-4e5f-a01b-223344556677     # web-5d9f7-x2x9q: a Deployment's pod, no devices
U_OLD=9c4d5e6f-3d4e-4f50-b12c-334455667788     # old-0: Succeeded, still listed by pod-resources
U_DEBUG=ad5e6f70-4e5f-4061-c23d-445566778899   # debug-0: no allocation, holds GPU 0
W_LLAMA=0e0e0e0e-1111-4222-8333-444455556666
C_TRAIN=$(printf 'a1%.0s' $(seq 32))
C_ALLOC=$(printf 'b2%.0s' $(seq 32))
C_DEBUG=$(printf 'c3%.0s' $(seq 32))
C_WEB=$(printf 'd4%.0s' $(seq 32))
CG=$CGROOT/lens-it-$$
pod_cg() { echo "$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${1//-/_}.slice/cri-containerd-$2.scope"; }
mkdir -p "$(pod_cg $U_TRAIN $C_TRAIN)" "$(pod_cg $U_DEBUG $C_DEBUG)" || skip_all "cannot create cgroups"
cleanup_cgroups() { sleep 0.3; find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null; }
trap 'cleanup; cleanup_cgroups' EXIT

# The kubelet's view: /pods and the pod-resources answer -------------------
container() { # name id running
  printf '{"name":"%s","containerID":"containerd://%s","state":{%s}}' "$1" "$2" \
    "$([ "$3" = 1 ] && echo '"running":{"startedAt":"2026-11-22T00:00:00Z"}' || echo '"terminated":{"exitCode":0}')"
}
pod() { # name uid phase owners labels container-status
  printf '{"metadata":{"name":"%s","namespace":"%s","uid":"%s","ownerReferences":%s,"labels":%s},"spec":{"containers":[{"name":"%s"}]},"status":{"phase":"%s","containerStatuses":[%s]}}' \
    "$1" "$NS" "$2" "$4" "$5" "$(jq -r .name <<<"$6")" "$3" "$6"
}
LLAMA_OWNER='[{"apiVersion":"kubeflow.org/v1","kind":"PyTorchJob","name":"llama","uid":"'$W_LLAMA'","controller":true}]'
LLAMA_LABELS='{"training.kubeflow.org/job-name":"llama"}'
write_pods() { # pods json objects...
  local IFS=,
  echo "{\"kind\":\"PodList\",\"items\":[$*]}" >"$T/pods.json.tmp" && mv "$T/pods.json.tmp" "$T/pods.json"
}
P_TRAIN=$(pod trainer-0 $U_TRAIN Running "$LLAMA_OWNER" "$LLAMA_LABELS" "$(container pytorch $C_TRAIN 1)")
P_ALLOC=$(pod alloc-0 $U_ALLOC Running "$LLAMA_OWNER" "$LLAMA_LABELS" "$(container main $C_ALLOC 1)")
P_WEB=$(pod web-5d9f7-x2x9q $U_WEB Running \
  '[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d9f7","uid":"1d1d1d1d-2222-4333-8444-555566667777","controller":true}]' \
  '{"pod-template-hash":"5d9f7","app.kubernetes.io/instance":"web"}' "$(container nginx $C_WEB 1)")
P_OLD=$(pod old-0 $U_OLD Succeeded '[]' '{}' "$(container main eeee 0)")
P_DEBUG=$(pod debug-0 $U_DEBUG Running '[]' '{}' "$(container shell $C_DEBUG 1)")
write_pods "$P_TRAIN" "$P_ALLOC" "$P_WEB" "$P_OLD" "$P_DEBUG"
cat >"$T/podres.txt" <<EOF
$NS trainer-0 pytorch amd.com/gpu 0000:82:00.0
$NS alloc-0 main amd.com/gpu 0000:83:00.0
$NS alloc-0 main rdma/hca_shared_devices_a 3
$NS old-0 main amd.com/gpu 0000:84:00.0
EOF
echo "s3cret-token" >"$T/token"
# The kubelet serves HTTPS with a certificate of a CA the agent is given.
(cd "$T" && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kubelet CA" \
   -keyout ca.key -out ca.crt 2>/dev/null &&
 openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout kubelet.key -out kubelet.csr 2>/dev/null &&
 printf 'subjectAltName=DNS:localhost\n' >ext.cnf &&
 openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
   -extfile ext.cnf -out kubelet.crt 2>/dev/null &&
 openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Other CA" \
   -keyout other.key -out other.crt 2>/dev/null)
KPORT=$(free_port)
"$B/tests/fake_kubelet" --http "127.0.0.1:$KPORT" --pods "$T/pods.json" --token s3cret-token \
  --tls-cert "$T/kubelet.crt" --tls-key "$T/kubelet.key" \
  --socket "$T/podres.sock" --podres "$T/podres.txt" 2>"$T/kubelet.log" &
KUBELET_PID=$!
PIDS+=($!)
wait_for 10 grep -q ready "$T/kubelet.log"

# containerd's runtime state: config.json of the trainer container --------
OCI=$T/containerd/k8s.io
oci_spec() { # dir pod-name pod-uid container devices-json
  mkdir -p "$OCI/$1"
  cat >"$OCI/$1/config.json" <<EOF
{"ociVersion":"1.1.0","process":{"args":["python","train.py"]},
 "linux":{"devices":$5},
 "annotations":{"io.kubernetes.cri.container-type":"container",
  "io.kubernetes.cri.sandbox-name":"$2","io.kubernetes.cri.sandbox-namespace":"$NS",
  "io.kubernetes.cri.sandbox-uid":"$3","io.kubernetes.cri.container-name":"$4"}}
EOF
}
oci_spec $C_TRAIN trainer-0 $U_TRAIN pytorch \
  '[{"path":"/dev/dri/renderD129","type":"c","major":226,"minor":129},{"path":"/dev/infiniband/uverbs0","type":"c","major":231,"minor":192},{"path":"/dev/null","type":"c","major":1,"minor":3}]'
mkdir -p "$OCI/sandbox1" && echo '{"annotations":{"io.kubernetes.cri.container-type":"sandbox"}}' >"$OCI/sandbox1/config.json"
mkdir -p "$OCI/broken" && echo '{"annotations": {' >"$OCI/broken/config.json"

HOLD=$T/fakegpu_hold
cc -O1 -o "$HOLD" "$ROOT/tests/fixtures/fakegpu/fakegpu_hold.c"
start_pg
start_aggregator
API=http://$AGG_HTTP
export LENS_SERVER=$API
start_fake_agent "--gpus 4 --hcas 2" --node-name fake-node --sample-interval 300ms \
  --backend sysfs --pod-interval 300ms --kubelet-url "https://localhost:$KPORT" \
  --kubelet-token-file "$T/token" --kubelet-ca-file "$T/ca.crt" --pod-resources-socket "$T/podres.sock" \
  --oci-state-dirs "$OCI" --pod-log-dir "$T/nologs" --kubelet-interval 2s

# `lens-agent pods` prints the map once; it trusts the kubelet only through the CA.
once() { "$B/bin/lens-agent" pods --kubelet-url "https://localhost:$KPORT" --kubelet-token-file "$T/token" \
  --pod-resources-socket "" --oci-state-dirs "" --pod-log-dir "$T/nologs" "$@" 2>>"$T/once.log"; }
check_eq "lens-agent pods lists the kubelet's pods over HTTPS" "alloc-0 debug-0 old-0 trainer-0 web-5d9f7-x2x9q" \
  "$(once --kubelet-ca-file "$T/ca.crt" | jq -r '[.pods[].name] | sort | join(" ")')"
check "a kubelet certificate from another CA is refused, and said so" \
  jq -e '(.pods == []) and (.sources.kubelet | test("^GET https://localhost"))' <<<"$(once --kubelet-ca-file "$T/other.crt")"
check "a wrong token is refused" jq -e '.sources.kubelet | test("HTTP 401")' <<<"$(echo nope >"$T/bad-token"; once --kubelet-ca-file "$T/ca.crt" --kubelet-token-file "$T/bad-token")"

# hold NAME CGROUP DEVICES...: a process that joins CGROUP (none: stays
# outside pods), then opens the devices, inside the fixture's namespace.
hold() {
  local name=$1 cg=$2; shift 2
  nsenter -t "$AGENT_PID" -m -- sh -c "[ -z '$cg' ] || echo \$\$ >'$cg/cgroup.procs'; exec '$HOLD' $*" \
    >"$T/$name.out" 2>&1 &
  echo $! >"$T/$name.pid"
  PIDS+=($!)
  wait_for 10 grep -q ready "$T/$name.out"
}
gpus() { curl -sf "$API/api/v1/gpus?node=fake-node"; }
gpu_pods() { gpus | jq -c --arg b "$1" '.items[] | select(.id == $b) | [.pods[] | {name, held, used, allocated}]'; }

check "allocations from pod-resources and OCI reach the API" wait_for 20 sh -c \
  "curl -sf '$API/api/v1/pods/cache' | jq -e '.\"fake-node\".gpu[\"0000:83:00.0\"] == [\"alloc-0\", \"$U_ALLOC\"]' >/dev/null"
check_eq "an allocated GPU with no process is allocated, not held" \
  '[{"name":"alloc-0","held":false,"used":false,"allocated":true}]' "$(gpu_pods 0000:83:00.0)"

# A training process opens GPU 1 and HCA 0 and queues work on GPU 1.
t0=$(date +%s%N)
hold trainer "$(pod_cg $U_TRAIN $C_TRAIN)" /dev/kfd /dev/dri/renderD128 /dev/dri/renderD129 /dev/infiniband/uverbs0
fake_update "kfdproc.$(cat "$T/trainer.pid")=1:536870912"
check "the process's use appears in the API within 2 s" wait_for 2 sh -c \
  "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '.items[] | select(.id == \"0000:82:00.0\") | .pods[0].used' >/dev/null"
echo "# mapping latency: $((($(date +%s%N) - t0) / 1000000)) ms"
check "the open was seen by eBPF and started a scan at once" \
  test "$(agent_metric 'lens_agent_podmap_scans_total{trigger="device_open"}')" -ge 1
check_eq "GPU 1: trainer-0, allocated, held and used" \
  '[{"name":"trainer-0","held":true,"used":true,"allocated":true}]' "$(gpu_pods 0000:82:00.0)"
check_eq "with the process's VRAM" 536870912 \
  "$(gpus | jq '.items[] | select(.id == "0000:82:00.0") | .pods[0].vram_bytes')"
check_eq "a render node held only because ROCm opens them all does not map GPU 0 to the trainer" \
  '[{"name":"trainer-0","held":true,"used":false,"allocated":false}]' "$(gpu_pods 0000:81:00.0)"

# A debug pod holds GPU 0 with no allocation; a process outside pods too.
hold outsider "" /dev/dri/renderD128
hold debug "$(pod_cg $U_DEBUG $C_DEBUG)" /dev/dri/renderD128
check "a process-only mapping appears within 2 s" wait_for 2 sh -c \
  "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '[.items[] | select(.id == \"0000:81:00.0\") | .pods[].name] | index(\"debug-0\")' >/dev/null"
check_eq "the process outside pods is ignored" '["debug-0","trainer-0"]' \
  "$(gpus | jq -c '[.items[] | select(.id == "0000:81:00.0") | .pods[].name] | sort')"
check_eq "a stale allocation of a Succeeded pod is not attributed" null \
  "$(gpus | jq -c '.items[] | select(.id == "0000:84:00.0") | .pods[0]')"
check_eq "and the GPU says why it has no pod" not_allocated \
  "$(gpus | jq -r '.items[] | select(.id == "0000:84:00.0") | .unmapped_reason')"
ib=$(curl -sf "$API/api/v1/ib?node=fake-node")
check_eq "HCA 0 from the OCI spec's uverbs0" trainer-0 "$(jq -r '.items[] | select(.id == "mlx5_0") | .pods[0].name' <<<"$ib")"
check_eq "an RDMA index the agent cannot resolve: id_not_matched" id_not_matched \
  "$(jq -r '.items[] | select(.id == "mlx5_1") | .unmapped_reason' <<<"$ib")"

# Pods and workloads.
pods=$(curl -sf "$API/api/v1/pods?node=fake-node")
check_eq "every pod of the node is listed" "alloc-0 debug-0 old-0 trainer-0 web-5d9f7-x2x9q" "$(jq -r '[.items[].name] | join(" ")' <<<"$pods")"
check_eq "a pod without devices is listed without devices" "[]" "$(jq -c '.items[] | select(.name | startswith("web")) | .devices' <<<"$pods")"
check_eq "the trainer pod's devices" "gpu:0000:81:00.0 gpu:0000:82:00.0 ib:mlx5_0" \
  "$(jq -r '.items[] | select(.name == "trainer-0") | [.devices[] | "\(.kind):\(.id)"] | join(" ")' <<<"$pods")"
check_eq "pods by workload" "alloc-0 trainer-0" "$(curl -sf "$API/api/v1/pods?workload=llama" | jq -r '[.items[].name] | join(" ")')"
wl=$(curl -sf "$API/api/v1/workloads")
check_eq "the PyTorchJob is a workload with its UID, 2 pods, 3 GPUs (2 allocated + 1 held)" "PyTorchJob $W_LLAMA 2 3 1" \
  "$(jq -r '.items[] | select(.name == "llama" and .kind == "PyTorchJob") | "\(.kind) \(.uid) \(.pods) \(.gpus) \(.hcas)"' <<<"$wl")"
check_eq "ReplicaSet -> Deployment by pod-template-hash" "name:$NS/Deployment/web" \
  "$(jq -r '.items[] | select(.kind == "Deployment") | .uid' <<<"$wl")"
w=$(curl -sf "$API/api/v1/workloads/$W_LLAMA")
check_eq "workload detail: nodes, pods, GPUs, HCAs" "fake-node|alloc-0 trainer-0|0000:81:00.0 0000:82:00.0 0000:83:00.0|mlx5_0" \
  "$(jq -r '"\(.nodes | join(" "))|\([.pods[].name] | join(" "))|\([.gpus[].id] | unique | join(" "))|\([.hcas[].id] | join(" "))"' <<<"$w")"
check "with a time range" jq -e '.from != null and .to != null' <<<"$w"
check_eq "a workload can be looked up by name" "$W_LLAMA" "$(curl -sf "$API/api/v1/workloads/llama" | jq -r .uid)"
check_eq "an unknown workload is a 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/workloads/nope")"
check_eq "GPUs by workload" "0000:81:00.0 0000:82:00.0 0000:83:00.0" "$(curl -sf "$API/api/v1/gpus?workload=llama" | jq -r '[.items[].id] | join(" ")')"
check_eq "Lens-compatible workload cache" "[[\"llama\",\"$W_LLAMA\"]]" "$(curl -sf "$API/pods/workload/cache" | jq -c '."trainer-0"')"

# Metrics: device series carry the pod while it holds the device.
m=$(curl -s "http://$AGENT_HTTP/metrics")
check "GPU 1's series carry namespace, pod, container and workload" grep -q \
  "^lens_gpu_gfx_busy_ratio{node=\"fake-node\",gpu=\"1\",bdf=\"0000:82:00.0\",uuid=\"[^\"]*\",namespace=\"ml\",pod=\"trainer-0\",container=\"pytorch\",workload=\"llama\"} " <<<"$m"
check "HCA ports too" grep -q '^lens_ib_port_up{node="fake-node",hca="mlx5_0",port="1",namespace="ml",pod="trainer-0",container="pytorch",workload="llama"} 1$' <<<"$m"
check_eq "unmapped devices by reason" "1 1" "$(agent_metric 'lens_agent_device_unmapped{reason="not_allocated"}') $(agent_metric 'lens_agent_device_unmapped{reason="id_not_matched"}')"
check "an unparsable OCI spec is counted, the rest maps" sh -c "[ \"\$(curl -s http://$AGENT_HTTP/metrics | awk '\$1 == \"lens_agent_podmap_source_errors_total{source=\\\"oci\\\"}\" {print \$2}')\" -ge 1 ]"
check "the reason is logged once per device" test "$(grep -c 'msg="device not mapped to a pod" kind=gpu device=0000:84:00.0 ' "$T/agent.log")" -eq 1

# The debug process exits: its mapping ends, and history keeps it.
kill "$(cat "$T/debug.pid")"
check "a mapping ends when its process exits" wait_for 5 sh -c \
  "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '[.items[] | select(.id == \"0000:81:00.0\") | .pods[].name] | index(\"debug-0\") | not' >/dev/null"
h=$(curl -sf "$API/api/v1/devices/fake-node/0000:81:00.0/history")
check_eq "history: the debug pod's interval is closed" "debug-0 true" \
  "$(jq -r '.items[] | select(.pod == "debug-0") | "\(.pod) \(.until != null)"' <<<"$h")"
since=$(jq -r '.items[] | select(.pod == "debug-0") | .since' <<<"$h")
check_eq "who had GPU 0 at a past moment" "debug-0 trainer-0" \
  "$(curl -sf "$API/api/v1/devices/fake-node/0000:81:00.0/history?from=$since&to=$since" | jq -r '[.items[].pod] | sort | join(" ")')"
check_eq "nobody before the test began" 0 \
  "$(curl -sf "$API/api/v1/devices/fake-node/0000:81:00.0/history?to=2020-01-01T00:00:00Z" | jq '.items | length')"
check_eq "a bad time is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/devices/fake-node/0000:81:00.0/history?from=yesterday")"

# lensctl.
out=$("$B/bin/lensctl" gpus)
check "lensctl gpus has POD and WORKLOAD columns" grep -qE '^NODE +GPU +BDF +PRODUCT +UTIL +VRAM +TEMP +POWER +HEALTH +POD +WORKLOAD$' <<<"$out"
check "GPU 1 shows its pod and workload" grep -qE '^fake-node +1 +0000:82:00.0 .* ml/trainer-0 +llama$' <<<"$out"
out=$("$B/bin/lensctl" pods)
check "lensctl pods lists the pods" grep -qE '^ml +trainer-0 +fake-node +Running +2 +1 +llama ' <<<"$out"
out=$("$B/bin/lensctl" workloads)
check "lensctl workloads" grep -qE '^ml +PyTorchJob +llama +2 +fake-node +3 +1 ' <<<"$out"
out=$("$B/bin/lensctl" describe workload llama)
check "lensctl describe workload shows its GPUs" grep -qE '^ +fake-node +gpu +1 +0000:82:00.0 +trainer-0 +pytorch +used' <<<"$out"

# The aggregator restarts: its caches come back from the database.
before=$(curl -sf "$API/api/v1/pods/cache" | jq -cS .)
stop_pid "$AGG_PID" lens-aggregator
start_aggregator
check_eq "the pod caches are rebuilt from the database at start" "$before" "$(curl -sf "$API/api/v1/pods/cache" | jq -cS .)"

# A second replica on the same database, which no agent talks to.
AGG2_HTTP=127.0.0.1:$(free_port)
"$B/bin/lens-aggregator" --database-url "$DB_URL" --listen "tcp://127.0.0.1:$(free_port)" \
  --http-listen "$AGG2_HTTP" --cache-refresh-interval 500ms 2>>"$T/aggregator2.log" &
AGG2_PID=$!
PIDS+=("$AGG2_PID")
wait_for 30 curl -sf "http://$AGG2_HTTP/readyz"
check_eq "another replica serves the same caches" "$before" "$(curl -sf "http://$AGG2_HTTP/api/v1/pods/cache" | jq -cS .)"

# The trainer pod is deleted: its process ends, the kubelet, pod-resources
# and containerd forget it. Its intervals close, its labels leave /metrics.
kill "$(cat "$T/trainer.pid")"
rm -rf "${OCI:?}/$C_TRAIN"
grep -v trainer-0 "$T/podres.txt" >"$T/podres.new" && mv "$T/podres.new" "$T/podres.txt"
write_pods "$P_ALLOC" "$P_WEB" "$P_OLD" "$P_DEBUG"
check "a deleted pod's devices are released" wait_for 20 sh -c \
  "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '[.items[] | select(.id == \"0000:82:00.0\") | .pods[]] == []' >/dev/null"
check "and the other replica learns it from the database" wait_for 10 sh -c \
  "curl -sf 'http://$AGG2_HTTP/api/v1/gpus?node=fake-node' | jq -e '[.items[] | select(.id == \"0000:82:00.0\") | .pods[]] == []' >/dev/null"
stop_pid "$AGG2_PID" "the second lens-aggregator"
check "its labels leave the device series" sh -c "! curl -s http://$AGENT_HTTP/metrics | grep -q 'pod=\"trainer-0\"'"
check "the pod leaves the list at the next pod list refresh" wait_for 20 sh -c \
  "curl -sf '$API/api/v1/pods?namespace=ml' | jq -e '[.items[] | select(.name == \"trainer-0\")] == []' >/dev/null"
check_eq "and is kept, marked gone, with all=true" 1 \
  "$(curl -sf "$API/api/v1/pods?namespace=ml&all=true" | jq '[.items[] | select(.name == "trainer-0" and .gone_at != null)] | length')"

# The kubelet restarts and its pod-resources API fails for a while: the
# last answers stand, and free devices say why nothing is known for sure.
kill "$KUBELET_PID"; wait "$KUBELET_PID" 2>/dev/null
"$B/tests/fake_kubelet" --socket "$T/podres.sock" --podres "$T/podres.txt" --fail-podres 2>"$T/kubelet2.log" &
PIDS+=($!)
check "a failing pod-resources API is the reason of free devices" wait_for 10 sh -c \
  "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '.items[] | select(.id == \"0000:84:00.0\") | .unmapped_reason == \"api_unavailable\"' >/dev/null"
check_eq "and the allocations it gave before stay" '[{"name":"alloc-0","held":false,"used":false,"allocated":true}]' "$(gpu_pods 0000:83:00.0)"
check_eq "as does the pod list of the kubelet that stopped answering" "alloc-0 debug-0 old-0 web-5d9f7-x2x9q" \
  "$(curl -sf "$API/api/v1/pods?node=fake-node" | jq -r '[.items[].name] | join(" ")')"
check "the agent logs the source state change" grep -q 'msg="pod mapping source unavailable" source=podresources reason="grpc-status 14: fake kubelet says no"' "$T/agent.log"

check_eq "no assignment interval was ever duplicated" 0 \
  "$(sql "SELECT count(*) FROM (SELECT 1 FROM device_assignments WHERE until IS NULL GROUP BY node, device_kind, device_id, pod_uid, container HAVING count(*) > 1) x")"
stop_fake_agent
kill "$(cat "$T/outsider.pid")" 2>/dev/null
check "the agent exited cleanly" grep -q 'msg="agent stopped"' "$T/agent.log"

# History retention: ended intervals and pods gone past it are deleted,
# what is still open stays.
open_before=$(sql "SELECT count(*) FROM device_assignments WHERE until IS NULL")
stop_pid "$AGG_PID" lens-aggregator
start_aggregator --retention-interval 1s --pod-history-retention 1s
check "ended intervals past the history retention are deleted" wait_for 20 sh -c \
  "[ \$(psql '$DB_URL' -Atqc 'SELECT count(*) FROM device_assignments WHERE until IS NOT NULL') -eq 0 ]"
check "and pods gone past it" wait_for 20 sh -c \
  "[ \$(psql '$DB_URL' -Atqc \"SELECT count(*) FROM pods WHERE name = 'trainer-0'\") -eq 0 ]"
check_eq "open intervals stay" "$open_before" "$(sql "SELECT count(*) FROM device_assignments WHERE until IS NULL")"
stop_pid "$AGG_PID" lens-aggregator
