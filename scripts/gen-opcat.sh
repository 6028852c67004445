#!/usr/bin/env bash
# Turns TraceLens's op-name to category table (CSV: op_name,category; a
# name with commas is quoted) into C initializers sorted by name in the C
# locale, for trace/traceops.c's binary search.
set -euo pipefail
tail -n +2 "$1" | tr -d '\r' | awk '
  NF == 0 { next }
  {
    n = split($0, f, ",")
    cat = f[n]
    name = substr($0, 1, length($0) - length(cat) - 1)
    if (name ~ /^".*"$/) { name = substr(name, 2, length(name) - 2); gsub(/""/, "\"", name) }
    printf "%s\t%s\n", name, cat
  }' | LC_ALL=C sort -t "$(printf '\t')" -k1,1 | awk -F '\t' '{
    gsub(/\\/, "\\\\", $1); gsub(/"/, "\\\"", $1)
    printf "{\"%s\", \"%s\"},\n", $1, $2
  }'
