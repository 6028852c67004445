#!/usr/bin/env bash
# Malformed and truncated frames sent with a raw nng socket are rejected
# with a reason and counted; duplicates are recognised; the aggregator
# keeps serving.
. "$(dirname "$0")/lib.sh"

start_pg
start_aggregator
send() { "$B/tests/nngsend" "$AGG_NNG" "$@"; }
rejected() { agg_metric "lens_aggregator_envelopes_rejected_total{reason=\"$1\"}"; }

out=$(send hex deadbeef00ff)
check "garbage is rejected" grep -q '^status=REJECTED reason="malformed frame' <<<"$out"
out=$(send hex "")
check "an empty frame (an empty Envelope) is rejected" grep -q '^status=REJECTED reason="unsupported schema_version"' <<<"$out"
out=$(send envelope --truncate 20)
check "a truncated envelope is rejected" grep -q '^status=REJECTED reason="malformed frame' <<<"$out"
check_eq "unparseable frames are counted" 2 "$(rejected unparseable)"

out=$(send envelope --boot-id not-a-uuid)
check "a bad boot id is rejected with the reason" grep -q 'reason="boot_id is not a UUID"' <<<"$out"
out=$(send envelope --node 'bad node!')
check "a bad node name is rejected" grep -q 'reason="node_name missing or not a DNS name"' <<<"$out"
out=$(send envelope --schema 7)
check "an unknown schema version is rejected" grep -q 'reason="unsupported schema_version"' <<<"$out"
out=$(send envelope --seq 0)
check "seq 0 is rejected" grep -q 'reason="seq out of range"' <<<"$out"
out=$(send envelope --no-payload)
check "an envelope without payload is rejected" grep -q 'reason="no payload"' <<<"$out"
out=$(send envelope --stream 99)
check "an unknown stream is rejected" grep -q 'reason="unknown stream_id"' <<<"$out"
check_eq "invalid envelopes are counted" 7 "$(rejected invalid)"

boot=11111111-2222-3333-4444-aaaaaaaaaaaa
out=$(send envelope --node raw-node --seq 7 --boot-id $boot)
check "a valid envelope is stored" grep -q '^status=STORED .*seq=7' <<<"$out"
out=$(send envelope --node raw-node --seq 7 --boot-id $boot)
check "the same envelope again is a duplicate" grep -q '^status=DUPLICATE .*seq=7' <<<"$out"
out=$(send envelope --node raw-node --seq 7 --boot-id ${boot^^})
check "an upper-case boot id is the same boot" grep -q '^status=DUPLICATE' <<<"$out"
check_eq "stored once" 1 "$(sql "SELECT count(*) FROM heartbeats WHERE node = 'raw-node'")"
check_eq "nothing from rejected frames reached the database" 1 "$(sql "SELECT count(*) FROM envelopes WHERE node = 'raw-node'")"
# Well-formed protobuf the database refuses (invalid UTF-8 in a string):
# rejected with the database's reason, once, and the next one is stored.
out=$(send envelope --node utf-node --seq 3 --agent-version-hex 41ff42c3)
check "a string the database refuses is rejected with its reason" grep -q '^status=REJECTED reason=".*invalid byte sequence' <<<"$out"
check_eq "and counted" 1 "$(agg_metric 'lens_aggregator_envelopes_answered_total{payload="heartbeat",outcome="rejected"}')"
out=$(send envelope --node utf-node --seq 4)
check "the next envelope is stored" grep -q '^status=STORED' <<<"$out"
# A GPU driver event (as an agent with a real GPU sends it) is stored.
out=$(send envelope --node event-node --seq 1 --gpu-event reset_begin)
check "a device sample carrying a GPU event is stored" grep -q '^status=STORED' <<<"$out"
check_eq "the event is in device_events" "0000:81:00.0|reset_begin|test event from nngsend" \
  "$(sql "SELECT bdf, event, message FROM device_events WHERE node = 'event-node'")"
out=$(send envelope --node event-node --seq 1 --gpu-event reset_begin)
check "the same event envelope again is a duplicate, not a second event" grep -q '^status=DUPLICATE' <<<"$out"
check_eq "one event row" 1 "$(sql "SELECT count(*) FROM device_events WHERE node = 'event-node'")"

# Plain device samples skip the ledger: a resend just replaces the sample.
out=$(send envelope --node sample-node --seq 5 --samples; send envelope --node sample-node --seq 5 --samples)
check_eq "plain device samples are stored, resent or not" "2" "$(grep -c '^status=STORED' <<<"$out")"
check_eq "and leave no ledger rows" 0 "$(sql "SELECT count(*) FROM envelopes WHERE node = 'sample-node'")"
check "the aggregator still serves the API" curl -sf -o /dev/null "http://$AGG_HTTP/api/v1/nodes/raw-node"
stop_pid "$AGG_PID" lens-aggregator
