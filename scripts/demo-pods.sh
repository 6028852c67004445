# Simulated training pods for the demo's simulated GPU node (sourced by
# scripts/demo.sh). It plays what a Kubernetes node would have: a kubelet
# (/pods and the pod-resources API, tests/fixtures/kubelet/fake_kubelet),
# containerd's config.json per container, kubelet-shaped cgroups (v2), and
# processes inside them holding the fake GPUs and HCAs, with KFD queues
# and VRAM on the GPUs they "train" on.
#
#   demo_pods_setup DIR          writes the files, starts the fake kubelet,
#                                sets DEMO_POD_AGENT_FLAGS for the agent
#   demo_pods_start DIR PID ROOT starts the pod processes in the namespace
#                                of agent PID (fixture root ROOT)
#   demo_pods_stop DIR           stops them and removes the cgroups

DEMO_NS=training
DEMO_JOB_UID=5a0e0e0e-7000-4000-8000-00000000a001
demo_uid() { printf '5a0e0e0e-7000-4000-8000-%012d' "$1"; }
demo_cid() { printf '%064d' "$1" | tr 0 c | sed "s/^c/$1/"; }

# demo_pod NAME N OWNER-KIND OWNER-NAME OWNER-UID CONTAINER
demo_pod() {
  cat <<EOF2
{"metadata":{"name":"$1","namespace":"$DEMO_NS","uid":"$(demo_uid "$2")",
 "labels":{"training.kubeflow.org/job-name":"$4","app.kubernetes.io/instance":"$4"},
 "ownerReferences":[{"apiVersion":"kubeflow.org/v1","kind":"$3","name":"$4","uid":"$5","controller":true}]},
 "spec":{"containers":[{"name":"$6"}]},
 "status":{"phase":"Running","containerStatuses":[{"name":"$6","containerID":"containerd://$(demo_cid "$2")","state":{"running":{}}}]}}
EOF2
}

# demo_oci DIR N POD CONTAINER GPU... : containerd's spec with the render nodes
demo_oci() {
  local dir=$1 n=$2 pod=$3 ctr=$4 devs="" g; shift 4
  for g in "$@"; do
    case $g in
      hca*) devs+="{\"path\":\"/dev/infiniband/uverbs${g#hca}\",\"type\":\"c\",\"major\":231,\"minor\":$((192 + ${g#hca}))},";;
      *) devs+="{\"path\":\"/dev/dri/renderD$((128 + g))\",\"type\":\"c\",\"major\":226,\"minor\":$((128 + g))},";;
    esac
  done
  mkdir -p "$dir/containerd/$(demo_cid "$n")"
  cat >"$dir/containerd/$(demo_cid "$n")/config.json" <<EOF2
{"ociVersion":"1.1.0","linux":{"devices":[${devs%,}]},
 "annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-name":"$pod",
 "io.kubernetes.cri.sandbox-namespace":"$DEMO_NS","io.kubernetes.cri.sandbox-uid":"$(demo_uid "$n")",
 "io.kubernetes.cri.container-name":"$ctr"}}
EOF2
}

demo_pods_setup() {
  local dir=$1
  mkdir -p "$dir"
  rm -rf "$dir/containerd"
  {
    echo '{"kind":"PodList","items":['
    demo_pod llama-pretrain-master-0 1 PyTorchJob llama-pretrain $DEMO_JOB_UID pytorch; echo ,
    demo_pod llama-pretrain-worker-0 2 PyTorchJob llama-pretrain $DEMO_JOB_UID pytorch; echo ,
    demo_pod eval-harness-0 3 Job eval-harness 5a0e0e0e-7000-4000-8000-00000000a003 eval
    echo ']}'
  } >"$dir/pods.json"
  # The master trains on GPUs 0-3 and HCAs 0-1, the worker on GPUs 4-6 and
  # HCAs 2-3; the eval job has GPU 7 allocated and has not started on it.
  cat >"$dir/podres.txt" <<EOF2
$DEMO_NS llama-pretrain-master-0 pytorch amd.com/gpu 0000:81:00.0,0000:82:00.0,0000:83:00.0,0000:84:00.0
$DEMO_NS llama-pretrain-worker-0 pytorch amd.com/gpu 0000:85:00.0,0000:86:00.0,0000:87:00.0
$DEMO_NS eval-harness-0 eval amd.com/gpu 0000:88:00.0
EOF2
  demo_oci "$dir" 1 llama-pretrain-master-0 pytorch 0 1 2 3 hca0 hca1
  demo_oci "$dir" 2 llama-pretrain-worker-0 pytorch 4 5 6 hca2 hca3
  demo_oci "$dir" 3 eval-harness-0 eval 7
  local port
  port=$(pick_port 9490)
  build/tests/fake_kubelet --http "127.0.0.1:$port" --pods "$dir/pods.json" \
    --socket "$dir/podres.sock" --podres "$dir/podres.txt" 2>>"$dir/kubelet.log" &
  PIDS+=($!)
  for _ in $(seq 50); do grep -qs ready "$dir/kubelet.log" && break; sleep 0.1; done
  mkdir -p "$dir/logs"
  DEMO_POD_AGENT_FLAGS="--kubelet-url http://127.0.0.1:$port --pod-resources-socket $dir/podres.sock --oci-state-dirs $dir/containerd --pod-log-dir $dir/logs --log-batch-delay 300ms"
}

# demo_training_log DIR: the master pod's container log, as containerd
# writes it under /var/log/pods: a Primus banner, then one Megatron-style
# iteration line every 0.5 s (loss falling, TFLOP/s around 210), a
# checkpoint save every 50 iterations, until the demo stops. While
# DIR/stall exists the job prints nothing, as a hung job does.
demo_training_log() {
  local dir=$1 uid log
  uid=$(demo_uid 1)
  log=$dir/logs/${DEMO_NS}_llama-pretrain-master-0_$uid/pytorch
  mkdir -p "$log"
  rm -f "$dir/stall"
  (
    ts() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
    echo "$(ts) stdout F [Primus] PrimusRuntime: launching pretrain_gpt with backend megatron.core" >>"$log/0.log"
    i=1
    while :; do
      while [ -e "$dir/stall" ]; do sleep 0.2; done
      printf '%s stdout F [%s][rank-7/8][INFO ] [--------trainer.py:2488] :  iteration %8d/    2000 | consumed samples: %12d | elapsed time per iteration (ms): %s/%s | rocm mem usage/free/total/usage_ratio: 151.20GB/104.80GB/256.00GB/59.06%% | throughput per GPU (TFLOP/s/GPU): %s/%s | tokens per GPU (tokens/s/GPU): %s/%s | learning rate: 3.000000E-04 | global batch size:  1024 | lm loss: %.6E | loss scale: 1.0 | grad norm: 1.%03d | number of skipped iterations:   0 | number of nan iterations:   0 |\n' \
        "$(ts)" "$(date -u '+%Y%m%d %H:%M:%S')" "$i" $((i * 1024)) "498.$((RANDOM % 10))" "500.0" \
        "$((205 + RANDOM % 10)).$((RANDOM % 10))" "210.0" "$((9000 + RANDOM % 400)).0" "9200.0" \
        "$(awk -v i=$i 'BEGIN { printf "%.6f", 2.5 + 8 / (i + 3) }')" $((RANDOM % 1000)) >>"$log/0.log"
      if [ $((i % 50)) -eq 0 ]; then
        printf '%s stdout F saving checkpoint at iteration %8d to /ckpt/llama in torch_dist format\n' "$(ts)" "$i" >>"$log/0.log"
        sleep 0.3
        printf '%s stdout F   successfully saved checkpoint from iteration %8d to /ckpt/llama [ t 1/8, p 1/1 ]\n' "$(ts)" "$i" >>"$log/0.log"
      fi
      i=$((i + 1))
      sleep 0.5
    done
  ) >/dev/null 2>&1 &
  echo $! >"$dir/writer.pid"
}

demo_cgroup_root() {
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup/lens-demo
  elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then echo /sys/fs/cgroup/unified/lens-demo
  fi
}

# demo_hold DIR PID N ROOT KFD DEVICE...: a "training process" of pod N.
demo_hold() {
  local dir=$1 agent=$2 n=$3 root=$4 kfd=$5; shift 5
  local uid cg
  uid=$(demo_uid "$n")
  cg=$(demo_cgroup_root)/kubepods.slice/kubepods-pod${uid//-/_}.slice/cri-containerd-$(demo_cid "$n").scope
  mkdir -p "$cg" || return 0
  cc -O1 -o "$dir/fakegpu_hold" tests/fixtures/fakegpu/fakegpu_hold.c 2>/dev/null || return 0
  nsenter -t "$agent" -m -- sh -c "echo \$\$ >'$cg/cgroup.procs'; exec '$dir/fakegpu_hold' $*" \
    >"$dir/hold-$n.out" 2>&1 &
  echo $! >>"$dir/hold.pids"
  for _ in $(seq 50); do grep -qs ready "$dir/hold-$n.out" && break; sleep 0.1; done
  tests/fixtures/fakegpu/fakegpu.sh --root "$root" --update "kfdproc.$!=$kfd" >/dev/null 2>&1 || true
}

demo_pods_start() {
  local dir=$1 agent=$2 root=$3
  [ -n "$(demo_cgroup_root)" ] || { echo "  (no cgroup v2 hierarchy: pods shown from their allocations only)"; return 0; }
  local all="/dev/kfd $(printf '/dev/dri/renderD%d ' $(seq 128 135))"
  demo_hold "$dir" "$agent" 1 "$root" "0,1,2,3:34359738368" $all /dev/infiniband/uverbs0 /dev/infiniband/uverbs1
  demo_hold "$dir" "$agent" 2 "$root" "4,5,6:25769803776" $all /dev/infiniband/uverbs2 /dev/infiniband/uverbs3
}

# demo_incidents DIR: in the worker pod of the training job, a training
# process that segfaults and a data loader (a second container) that runs
# out of its 64 MiB: `lensctl events` shows both, attributed to the pod,
# and they become alerts of the job.
demo_incidents() {
  local dir=$1 root cg uid memcg
  root=$(demo_cgroup_root)
  [ -n "$root" ] || return 0
  printf 'int main(void) { volatile int *p = 0; return *p; }\n' >"$dir/crash.c"
  cc -O0 -o "$dir/train_step" "$dir/crash.c" 2>/dev/null || return 0
  uid=$(demo_uid 2)
  cg=$root/kubepods.slice/kubepods-pod${uid//-/_}.slice/cri-containerd-$(demo_cid 2).scope
  sh -c "echo \$\$ >'$cg/cgroup.procs'; exec '$dir/train_step'" 2>/dev/null || true
  cg=$root/kubepods.slice/kubepods-pod${uid//-/_}.slice/cri-containerd-$(demo_cid 4).scope
  mkdir -p "$cg"
  sleep 1.5 # the agent's pod cgroup set takes up to a second to see a new container
  if [ -d /sys/fs/cgroup/memory ]; then
    memcg=/sys/fs/cgroup/memory/lens-demo/dataloader
    mkdir -p "$memcg" && echo 67108864 >"$memcg/memory.limit_in_bytes"
  else
    echo +memory >"$root/cgroup.subtree_control" 2>/dev/null
    memcg=
    echo 67108864 >"$cg/memory.max" 2>/dev/null
  fi
  sh -c "echo \$\$ >'$cg/cgroup.procs'; ${memcg:+echo \$\$ >'$memcg/cgroup.procs';} exec tail /dev/zero" \
    2>/dev/null || true
  [ -n "$memcg" ] && rmdir "$memcg" /sys/fs/cgroup/memory/lens-demo 2>/dev/null
  return 0
}

# demo_profiler_trace DIR PID: the training process of pod 1 writes a
# PyTorch profiler trace (an MI300 sample) under its working directory and
# keeps working there, in the simulated agent's mount namespace.
demo_profiler_trace() {
  local dir=$1 agent=$2 root uid cg
  root=$(demo_cgroup_root)
  [ -n "$root" ] || return 0
  uid=$(demo_uid 1)
  cg=$root/kubepods.slice/kubepods-pod${uid//-/_}.slice/cri-containerd-$(demo_cid 1).scope
  mkdir -p "$dir/workspace/profiler"
  nsenter -t "$agent" -m -- sh -c "echo \$\$ >'$cg/cgroup.procs'; cd '$dir/workspace' &&
    cp '$PWD/tests/data/traces/tracelens-mi300-resnet-act-checkpoint.json.gz' \
      profiler/llama-pretrain-master-0.rank0.pt.trace.json.gz && exec sleep 86400" \
    >/dev/null 2>&1 &
  echo $! >>"$dir/hold.pids"
}

demo_pods_stop() {
  local dir=$1 p cg
  [ -f "$dir/writer.pid" ] && kill "$(cat "$dir/writer.pid")" 2>/dev/null && rm -f "$dir/writer.pid"
  if [ -f "$dir/hold.pids" ]; then
    for p in $(cat "$dir/hold.pids"); do kill "$p" 2>/dev/null || true; done
    rm -f "$dir/hold.pids"
    sleep 0.3
  fi
  cg=$(demo_cgroup_root)
  [ -n "$cg" ] && [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
  return 0
}
