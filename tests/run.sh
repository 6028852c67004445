#!/usr/bin/env bash
# Runs every test suite against the binaries in BUILD (default build/san):
# the cmocka unit tests and the integration scripts, all speaking TAP.
# Prints each result, keeps each suite's log under BUILD/test-logs, and ends
# with one line: "N passed, N failed" (", N skipped" when some were).
set -u
cd "$(dirname "$0")/.."
B=${1:-build/san}
export LENS_BUILD=$B
logs=$B/test-logs
rm -rf "$logs"
mkdir -p "$logs"

# ASan/UBSan: fail on any report, leaks included.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP

pass=0 fail=0 skip=0

# Runs one TAP-speaking suite and folds its results into the totals.
run_suite() {
  local name=$1; shift
  local log=$logs/$name.log
  echo "== $name"
  "$@" >"$log.tap" 2>"$log"
  local rc=$? p f s
  p=$(grep -E '^ok ' "$log.tap" | grep -vc '# SKIP')
  s=$(grep -E '^ok .*# SKIP' "$log.tap" | wc -l)
  f=$(grep -cE '^not ok ' "$log.tap")
  grep -E '^(ok|not ok) |^# ' "$log.tap" | sed 's/^/   /'
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "   not ok - $name exited with status $rc (see $log)"
  fi
  if [ "$f" -gt 0 ]; then
    echo "   --- last lines of $log:"
    tail -n 25 "$log" | sed 's/^/   | /'
  fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for t in "$B"/tests/test_*; do
  [ -x "$t" ] && run_suite "unit-$(basename "$t")" "$t"
done
run_suite fuzz bash tests/fuzz/run.sh
for t in tests/integration/test_*.sh; do
  run_suite "integration-$(basename "$t" .sh)" bash "$t"
done

summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary="$summary, $skip skipped"
echo "$summary"
[ "$fail" -eq 0 ]
