#!/usr/bin/env bash
# Profiler traces (part of `make bench`): the analyzer on every sample trace.
set -euo pipefail
B=${1:-build}
$B/tests/bench_trace tests/data/traces/*.json.gz
