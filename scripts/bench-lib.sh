# bench-lib.sh NAME: what the end-to-end benchmarks share, sourced after
# `set -euo pipefail`: a work directory $W; PIDS, the processes stopped at
# exit, with the private PostgreSQL under $W/pg and the cgroup tree $CG
# when a benchmark made one; port() for a free port; cgroup2_root for
# where the cgroup v2 hierarchy is (nothing when there is none).
W=$(mktemp -d "/tmp/lens-bench-$1.XXXXXX")
PIDS=() CG=
cleanup() {
  set +e   # everything here is best effort; the numbers are already out
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  scripts/pg.sh stop "$W/pg" >/dev/null 2>&1
  scripts/cgroup-rm.sh "$CG"
  rm -rf "$W"
  return 0
}
trap cleanup EXIT
port() { scripts/free-port.sh; }
cgroup2_root() {
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup
  elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then echo /sys/fs/cgroup/unified; fi
}
