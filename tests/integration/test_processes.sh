#!/usr/bin/env bash
# The process view (groundwork for pod mapping): a process in a pod-shaped
# cgroup holding fake device nodes is mapped to its pod, its container and
# the devices' BDF/HCA through sysfs; KFD's per-process entries mark the
# GPU it really uses, with its VRAM; a process outside pods is reported
# without a pod; processes without devices are not reported.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root for the fake-device namespace and cgroups"
UIDP=0a1b2c3d-e4f5-4789-abcd-ef0123456789
CID=3f4e5d6c7b8a9f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766
# A pod's cgroup in the v2 hierarchy when the host has one, else in v1's pids.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CG=/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDP//-/_}.slice/cri-containerd-$CID.scope
else
  CG=/sys/fs/cgroup/pids/kubepods/burstable/pod$UIDP/$CID
fi
mkdir -p "$CG" || skip_all "cannot create cgroups here"
HOLD=$T/fakegpu_hold
cc -O1 -o "$HOLD" "$ROOT/tests/fixtures/fakegpu/fakegpu_hold.c"

"$ROOT/tests/fixtures/fakegpu/fakegpu.sh" --gpus 2 --hcas 1 -- bash -c "
  '$HOLD' /dev/kfd /dev/dri/renderD128 /dev/dri/renderD129 /dev/infiniband/uverbs0 >'$T/hold1' &
  p1=\$!
  '$HOLD' /dev/dri/renderD128 >'$T/hold2' &
  p2=\$!
  for i in \$(seq 100); do grep -q ready '$T/hold1' && grep -q ready '$T/hold2' && break; sleep 0.05; done
  echo \$p1 >'$CG/cgroup.procs'
  '$ROOT/tests/fixtures/fakegpu/fakegpu.sh' --root \"\$FAKEGPU_ROOT\" --update kfdproc.\$p1=1:536870912
  echo \$p1 >'$T/p1'; echo \$p2 >'$T/p2'
  '$B/bin/lens-agent' processes >'$T/procs.json' 2>'$T/agent.log'
  kill \$p1 \$p2; wait" >"$T/fixture.log" 2>&1
p1=$(cat "$T/p1"); p2=$(cat "$T/p2")
rmdir "$CG" 2>/dev/null
proc() { jq -c "select(.pid == $1)" "$T/procs.json"; }
a=$(proc "$p1"); b=$(proc "$p2")
check_eq "the pod process is mapped to its pod" "$UIDP burstable $CID" "$(jq -r '.pod | "\(.uid) \(.qos) \(.container_id)"' <<<"$a")"
check_eq "it holds /dev/kfd" true "$(jq '[.devices[] | select(.kind == "kfd")][0].held' <<<"$a")"
check_eq "both render nodes map to GPU BDFs through sysfs" "0000:81:00.0 0000:82:00.0" "$(jq -r '[.devices[] | select(.kind == "gpu") | .id] | sort | join(" ")' <<<"$a")"
check_eq "KFD queues mark only GPU 1 as used, with its VRAM" "0000:82:00.0 536870912" "$(jq -r '.devices[] | select(.used) | "\(.id) \(.vram_bytes)"' <<<"$a")"
check_eq "uverbs0 maps to its HCA" mlx5_0 "$(jq -r '.devices[] | select(.kind == "ib") | .id' <<<"$a")"
check_eq "a process outside pods is reported without a pod" null "$(jq '.pod' <<<"$b")"
check_eq "processes holding no device are not reported" 2 "$(wc -l <"$T/procs.json")"
