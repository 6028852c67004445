#!/usr/bin/env bash
# Alerts end to end (part of `make bench`): 20,000 alerts posted to the
# aggregator's webhook intake in bodies of 100, over 500 pods of 100
# workloads, each alert enriched by its pod UID, stored, deduplicated
# (every fourth one repeats an open alert) and correlated with the alerts
# of its pod, workload and node in the window. Prints alerts per second
# and the aggregator's and PostgreSQL's CPU.
set -euo pipefail
B=${1:-build}
. scripts/bench-lib.sh alerts

N=20000 PER=100
URL=$(scripts/pg.sh start "$W/pg")
NNG=tcp://127.0.0.1:$(port) HTTP=127.0.0.1:$(port)
$B/bin/lens-aggregator --database-url "$URL" --listen "$NNG" --http-listen "$HTTP" --log-level warn 2>"$W/agg.log" &
agg=$!
PIDS+=("$agg")
for _ in $(seq 300); do curl -sf "http://$HTTP/readyz" >/dev/null && psql "$URL" -Atqc "SELECT 1 FROM alerts LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done
psql "$URL" -q -c "
  INSERT INTO pods (uid, node, namespace, name, phase, source, first_seen, last_seen)
    SELECT 'pod-' || i, 'node-' || (i % 50), 'ml', 'trainer-' || i, 'Running', 'kubelet', now(), now()
    FROM generate_series(0, 499) i;
  INSERT INTO workloads (uid, kind, name, namespace, first_seen, last_seen)
    SELECT 'job-' || i, 'PyTorchJob', 'job-' || i, 'ml', now(), now() FROM generate_series(0, 99) i;
  INSERT INTO pod_workloads SELECT 'pod-' || i, 'job-' || (i % 100), 'owner' FROM generate_series(0, 499) i;"
# Bodies: alert k has pod k % 500 and one of 15,000 names-and-pods, so a
# quarter of them repeat an open alert.
awk -v n="$N" -v per="$PER" -v dir="$W" 'BEGIN {
  split("OOMKilled ProcessCrashed NCCLError TrainingHang GPUTemperatureHigh CUDAOutOfMemory", names, " ")
  for (b = 0; b < n / per; b++) {
    f = sprintf("%s/body-%05d.json", dir, b)
    printf "{\"alerts\":[" > f
    for (k = 0; k < per; k++) {
      i = b * per + k; key = i % 15000
      printf "%s{\"name\":\"%s\",\"severity\":\"high\",\"pod_uid\":\"pod-%d\",\"labels\":{\"k\":\"%d\"},\"message\":\"bench\"}", (k ? "," : ""), names[key % 6 + 1], key % 500, key > f
    }
    printf "]}" > f
    close(f)
  }
}'
pgpids() { local pm; pm=$(head -n 1 "$W/pg/data/postmaster.pid"); echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }
cpu() { local t=0; for p in $agg $(pgpids); do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
a0=$(awk '{print $14 + $15}' /proc/$agg/stat); c0=$(cpu)
t0=$(date +%s.%N)
for f in "$W"/body-*.json; do
  code=$(curl -s -o "$W/answer.json" -w '%{http_code}' -XPOST "http://$HTTP/api/v1/alerts/webhook" --data-binary @"$f")
  [ "$code" = 200 ] || { echo "bench-alerts: $f answered $code: $(cat "$W/answer.json")" >&2; exit 1; }
done
t1=$(date +%s.%N)
a1=$(awk '{print $14 + $15}' /proc/$agg/stat); c1=$(cpu)
read -r rows corr enriched <<<"$(psql "$URL" -Atqc "SELECT count(*), (SELECT count(*) FROM alert_correlations), count(*) FILTER (WHERE workload_uid <> '') FROM alerts" | tr '|' ' ')"
[ "$rows" -eq 15000 ] && [ "$enriched" -eq 15000 ] || { echo "bench-alerts: $rows alerts ($enriched enriched), want 15000" >&2; exit 1; }
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v a="$((a1 - a0))" -v c="$((c1 - c0))" -v corr="$corr" -v tck="$(getconf CLK_TCK)" 'BEGIN {
  secs = t1 - t0
  printf "alerts, intake to stored (enriched by pod UID, deduplicated, correlated; bodies of 100): %d alerts in %.2f s: %.0f alerts/s; 15000 stored, %d correlation rows; aggregator CPU %.2f s, with PostgreSQL %.2f s (%.0f alerts/s per core)\n", n, secs, n / secs, corr, a / tck, c / tck, n / (c / tck) }'
