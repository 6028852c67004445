#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each from
# its seed corpus, speaking TAP so that tests/run.sh counts them. By default
# (make test) a fixed seed and run count make the result repeatable; with
# FUZZ_SECONDS set (make fuzz) it explores for that long from the growing
# corpus in build/fuzz/. A crash keeps its input there; add it to
# tests/fuzz/seeds/ with the fix.
set -u
cd "$(dirname "$0")/../.."
out=build/fuzz
mkdir -p "$out"
if [ -n "${FUZZ_SECONDS:-}" ]; then
  budget="-max_total_time=$FUZZ_SECONDS -timeout=10"; what="${FUZZ_SECONDS}s"; corpus_of() { echo "$out/$1.corpus"; }
  runs_of() { :; }
else
  # The trace analyzer does a whole analysis per input: fewer runs.
  runs_of() { [ "$1" = fuzz_trace ] && echo -runs=50000 || echo -runs=300000; }
  budget="-seed=1 -timeout=10"; what="seeded runs"; corpus_of() { mkdir -p "$out/$1.fixed"; rm -rf "$out/$1.fixed"/*; echo "$out/$1.fixed"; }
fi
flags="-g -O1 -fsanitize=fuzzer,address,undefined $(pkg-config --cflags libpq libhs) -Icommon -Iagent -Iaggregator -Ibpf -Itrace -Ibuild/san/gen -D_GNU_SOURCE"
n=0 failed=0
declare -A srcs=(
  [fuzz_envelope]="common/envelope.c common/logmsg.c common/buf.c build/san/gen/lens.pb-c.c"
  [fuzz_text]="common/clock.c common/config.c common/log.c common/buf.c"
  [fuzz_cgroup]="agent/cgroup.c"
  [fuzz_podmeta]="agent/kubelet.c agent/workload.c agent/oci.c agent/devnode.c agent/sysfs.c agent/podview.c agent/procscan.c agent/cgroup.c common/files.c common/buf.c common/jsonx.c build/san/gen/podresources.pb-c.c"
  [fuzz_cri]="agent/cri.c agent/logline.c common/clock.c common/buf.c"
  [fuzz_fluentbit]="aggregator/fluentbit.c common/clock.c common/buf.c"
  [fuzz_trainlog]="aggregator/trainlog.c aggregator/trainmark.c aggregator/framework.c common/jsonx.c common/buf.c"
  [fuzz_wandb]="aggregator/wandb.c aggregator/trainitem.c aggregator/framework.c common/jsonx.c common/buf.c"
  [fuzz_trace]="$(echo trace/*.c) common/buf.c common/jsonx.c common/hash.c"
  [fuzz_alertintake]="aggregator/alertintake.c aggregator/silences.c aggregator/matchers.c aggregator/ruleset.c aggregator/selectors.c aggregator/rx.c aggregator/db.c aggregator/pgjson.c common/clock.c common/jsonx.c common/buf.c common/log.c"
)
for t in fuzz_envelope fuzz_text fuzz_cgroup fuzz_podmeta fuzz_cri fuzz_fluentbit fuzz_trainlog fuzz_wandb fuzz_trace fuzz_alertintake; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  if ! clang $flags -o "$out/$t" "tests/fuzz/$t.c" ${srcs[$t]} -lprotobuf-c -ljansson -lnng -lpq -lhs -lpcre2-8 -lzstd -lz -lpthread -lm 2>"$out/$t.build.log"; then
    echo "not ok $n - $t builds"; cat "$out/$t.build.log" | sed 's/^/# /'; failed=1; continue
  fi
  mkdir -p "$out/$t.corpus"
  # shellcheck disable=SC2086
  if "$out/$t" $budget $(runs_of $t) -print_final_stats=1 -artifact_prefix="$out/$t-" "$(corpus_of $t)" tests/fuzz/seeds/$t >"$out/$t.log" 2>&1; then
    echo "ok $n - $t: no crash in $what ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$t.log" | grep -o '[0-9]*$' || echo '?') runs)"
  else
    echo "not ok $n - $t found a crash (input kept in $out/)"; tail -n 30 "$out/$t.log" | sed 's/^/# /'; failed=1
  fi
done
echo "1..$n"
exit $failed
