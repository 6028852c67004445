#!/usr/bin/env bash
# The pod mapping's periodic reads (part of `make bench`): a process scan
# over 2,000 processes holding 50,000 open files, outside and inside a
# pod-shaped cgroup (v2, root only), and pod-resources List calls against
# the fake kubelet answering for 110 pods with 8 GPUs and 8 HCAs each.
set -euo pipefail
B=${1:-build}
W=$(mktemp -d /tmp/lens-bench-podmap.XXXXXX)
KPID= CG=
cleanup() {
  set +e   # best effort: the numbers are out
  [ -n "$KPID" ] && kill "$KPID" 2>/dev/null && wait "$KPID" 2>/dev/null
  scripts/cgroup-rm.sh "$CG"
  rm -rf "$W"
  return 0
}
trap cleanup EXIT

$B/tests/bench_podmap --procs 2000 --fds 25
root=
if [ "$(id -u)" -eq 0 ]; then
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && root=/sys/fs/cgroup
  [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && root=/sys/fs/cgroup/unified
fi
if [ -n "$root" ]; then
  CG=$root/lens-bench-$$
  pod=$CG/kubepods.slice/kubepods-pod0a1b2c3d_e4f5_4789_abcd_ef0123456789.slice/cri-containerd-$(printf 'ab%.0s' $(seq 32)).scope
  mkdir -p "$pod"
  $B/tests/bench_podmap --procs 2000 --fds 25 --cgroup "$pod" | grep 'pods only'
else
  echo "process scan inside pods: skipped (needs root and a cgroup v2 hierarchy)"
fi

for p in $(seq 110); do
  for g in $(seq 0 7); do echo "ns$((p % 7)) pod-$p main amd.com/gpu 0000:$(printf %02x $((0x81 + g))):00.0"; done
  echo "ns$((p % 7)) pod-$p main rdma/hca_shared_devices_a 0,1,2,3,4,5,6,7"
done >"$W/podres.txt"
$B/tests/fake_kubelet --socket "$W/podres.sock" --podres "$W/podres.txt" 2>"$W/kubelet.log" &
KPID=$!
for _ in $(seq 50); do grep -q ready "$W/kubelet.log" && break; sleep 0.1; done
$B/tests/bench_podmap --procs 0 --podres-socket "$W/podres.sock" --calls 500
