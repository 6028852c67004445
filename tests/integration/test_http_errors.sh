#!/usr/bin/env bash
# Bad HTTP requests get 4xx answers with JSON error bodies.
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator
API=http://$AGG_HTTP

# expect STATUS CODE DESCRIPTION CURL-ARGS...
expect() {
  local status=$1 code=$2 desc=$3; shift 3
  local got
  got=$(curl -s -o "$T/body" -w '%{http_code}' "$@")
  if [ "$got" == "$status" ] && [ "$(jq -r .error.code "$T/body" 2>/dev/null)" == "$code" ]; then
    ok "$desc"
  else
    not_ok "$desc" "want $status $code" "got $got $(head -c 300 "$T/body")"
  fi
}

expect 404 not_found "unknown path" "$API/api/v1/nope"
expect 404 not_found "unknown node" "$API/api/v1/nodes/no-such-node"
expect 400 bad_parameter "limit not a number" "$API/api/v1/nodes?limit=ten"
expect 400 bad_parameter "limit too large" "$API/api/v1/nodes?limit=100000"
expect 400 bad_parameter "negative offset" "$API/api/v1/nodes?offset=-1"
expect 400 bad_parameter "node name with bad characters" "$API/api/v1/nodes/bad%20name"
expect 405 method_not_allowed "POST on a read-only path" -X POST "$API/api/v1/nodes"
big=$(head -c 40000 /dev/zero | tr '\0' 'a')
expect 431 headers_too_large "a 40 KB header" -H "X-Huge: $big" "$API/api/v1/nodes"
check_eq "healthz is up" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$API/healthz")"
check "metrics count the 404s" test "$(agg_metric 'lens_aggregator_http_requests_total{route="unmatched",code="404"}')" -ge 1
check "metrics have HELP and TYPE for every family" sh -c "curl -s $API/metrics | awk '/^# HELP/{h[\$3]=1} /^# TYPE/{t[\$3]=1} END{for(k in h) if(!t[k]) exit 1; for(k in t) if(!h[k]) exit 1}'"
check "counters end in _total" sh -c "! curl -s $API/metrics | awk '/^# TYPE .* counter/ && \$3 !~ /_total\$/' | grep -q ."
stop_pid "$AGG_PID" lens-aggregator
