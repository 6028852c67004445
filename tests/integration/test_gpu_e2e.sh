#!/usr/bin/env bash
# Fake GPUs and HCAs, end to end: agent (inside the fixture) -> aggregator
# -> API -> lensctl gpus / top, with changing values, health conditions, a
# real Prometheus scraping the agent, and a GPU that disappears.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root for the fake-device mount namespace"
start_pg
start_aggregator --device-alert-hold 4s
API=http://$AGG_HTTP
export LENS_SERVER=$API
start_fake_agent "--gpus 3 --hcas 2 --set gpu1.busy_percent=93 --set gpu.temp_junction=60000 \
  --set gpu0.vram_used=2147483648 --set hca1.p1.port_rcv_data=2500" \
  --node-name fake-node --sample-interval 300ms --backend sysfs --temp-limit 90

check "three GPUs reach the API" wait_for 20 sh -c "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '.total == 3' >/dev/null"
check "with their latest samples" wait_for 10 sh -c "curl -sf '$API/api/v1/gpus' | jq -e '[.items[].sample | select(. != null)] | length == 3' >/dev/null"
gpus=$(curl -s "$API/api/v1/gpus?node=fake-node")
check_eq "GPU 1 busy percent as the fixture set it" 93 "$(jq -r '.items[1].sample.values.busy_percent' <<<"$gpus")"
check_eq "GPU 0 VRAM used" 2147483648 "$(jq -r '.items[0].sample.values.vram_used_bytes' <<<"$gpus")"
check_eq "BDF is the device id" "0000:81:00.0 0000:82:00.0 0000:83:00.0" "$(jq -r '[.items[].id] | join(" ")' <<<"$gpus")"
check_eq "healthy GPUs report no condition" "0 0 0" "$(jq -r '[.items[].sample.health | length] | join(" ")' <<<"$gpus")"

ib=$(curl -s "$API/api/v1/ib?node=fake-node")
check_eq "two HCAs reach the API" "mlx5_0 mlx5_1" "$(jq -r '[.items[].id] | join(" ")' <<<"$ib")"
check_eq "port counters in bytes" 10000 "$(jq -r '.items[1].attributes.ports[0].sample.counters.port_rcv_bytes' <<<"$ib")"
dev=$(curl -s "$API/api/v1/nodes/fake-node/devices")
check_eq "the node's devices" "3 2" "$(jq -r '"\(.gpus | length) \(.hcas | length)"' <<<"$dev")"

out=$("$B/bin/lensctl" gpus)
check "lensctl gpus has its header" grep -qE "^NODE +GPU +BDF +PRODUCT +UTIL +VRAM +TEMP +POWER +HEALTH +POD +WORKLOAD$" <<<"$out"
check "lensctl gpus shows GPU 1 at 93%" grep -qE '^fake-node +1 +0000:82:00.0 +AMD Instinct MI210 +93% ' <<<"$out"
out=$("$B/bin/lensctl" top --iterations 2 --interval 100ms --node fake-node)
check_eq "lensctl top refreshes (two frames)" 2 "$(grep -c '^lensctl top - ' <<<"$out")"
check_eq "with every GPU in each frame" 6 "$(grep -cE '^fake-node +[0-2] ' <<<"$out")"

# Metric rules of one's own: a hot junction on one GPU for a second; a
# condition that must hold for an hour.
rule() { curl -s -o "$T/rule.json" -w '%{http_code}' -XPOST "$API/api/v1/alert-rules" -d "$1"; }
check_eq "a metric rule is made" 200 \
  "$(rule '{"name":"JunctionHot","type":"metric","metric":"temperature_junction_celsius","op":">","value":90,"for":"1s","severity":"critical","selector":[{"key":"device","op":"regex","value":"^0000:8[12]"},{"key":"node","op":"eq","value":"fake-node"}]}')"
rule '{"name":"HotForAnHour","type":"metric","metric":"temperature_junction_celsius","op":">=","value":0,"for":"1h"}' >/dev/null
check_eq "a metric rule on an unknown metric is a 400" 400 \
  "$(rule '{"name":"X","type":"metric","metric":"warp_drive","op":">","value":1}')"

# Values change: the next sample shows them.
fake_update gpu1.busy_percent=12 gpu0.temp_junction=95000 gpu2.ecc_umc_ue=4 hca0.p1.state="1: DOWN"
check "a changed value reaches the API" wait_for 10 sh -c "curl -sf '$API/api/v1/gpus' | jq -e '.items[1].sample.values.busy_percent == 12' >/dev/null"
check "a hot GPU is unhealthy (temperature_high)" wait_for 10 sh -c "curl -sf '$API/api/v1/gpus' | jq -e '.items[0].sample.health == [\"temperature_high\"]' >/dev/null"
check "rising uncorrectable ECC errors make a GPU unhealthy" wait_for 10 sh -c "curl -sf '$API/api/v1/gpus' | jq -e '.items[2].sample.health == [\"ecc_uncorrectable_rising\"]' >/dev/null"
check "a down port is reported" wait_for 10 sh -c "curl -sf '$API/api/v1/ib' | jq -e '.items[0].attributes.ports[0].sample.health == [\"port_down\"]' >/dev/null"
check "each health condition is a firing alert on its device" wait_for 10 sh -c \
  "[ \"\$(curl -sf '$API/api/v1/alerts?source=metric&node=fake-node&status=firing' | jq -r '[.items[] | \"\(.name)@\(.device)\"] | sort | join(\" \")')\" = 'GPUEccUncorrectableRising@0000:83:00.0 GPUTemperatureHigh@0000:81:00.0 IBPortDown@mlx5_0/1' ]"
check "the metric rule fires for the hot GPU once the condition held for its 'for'" wait_for 10 sh -c \
  "[ \"\$(curl -sf '$API/api/v1/alerts?name=JunctionHot' | jq -r '[.items[] | \"\(.device)|\(.severity)|\(.annotations.value)|\(.labels.rule)\"] | join(\" \")')\" = '0000:81:00.0|critical|95|JunctionHot' ]"
check_eq "not for a condition that has not held long enough" 0 "$(curl -sf "$API/api/v1/alerts?name=HotForAnHour" | jq .total)"
sleep 1
check_eq "samples keep a lasting condition up: one alert, repeated" "1|true" \
  "$(curl -sf "$API/api/v1/alerts?name=GPUTemperatureHigh&node=fake-node" | jq -r '"\(.total)|\(.items[0].repeats > 0)"')"
m=$(curl -s "http://$AGENT_HTTP/metrics")
check "the agent's metrics carry the health" grep -q '^lens_gpu_healthy{node="fake-node",gpu="0",bdf="0000:81:00.0",uuid="0x7a3e0c1d00000000"} 0$' <<<"$m"
check "ECC counters are counters per block and severity" grep -q '^lens_gpu_ecc_errors_total{node="fake-node",gpu="2",.*block="umc",severity="uncorrectable"} 4$' <<<"$m"
check "IB port up is 0 for the down port" grep -q '^lens_ib_port_up{node="fake-node",hca="mlx5_0",port="1"} 0$' <<<"$m"

# A real Prometheus scrapes the agent; PromQL returns the fixture's values.
PROM=127.0.0.1:$(free_port)
cat >"$T/prometheus.yml" <<YML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: lens-agent
    static_configs: [{targets: ["$AGENT_HTTP"]}]
YML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
  --web.listen-address="$PROM" >"$T/prometheus.log" 2>&1 &
PIDS+=($!)
q() { curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
# promql DESCRIPTION WANT EXPR: polls until the query answers WANT.
promql() {
  local got
  for _ in $(seq 100); do got=$(q "$3"); [ "$got" == "$2" ] && break; sleep 0.3; done
  check_eq "$1" "$2" "$got"
}
check "Prometheus scrapes the agent" wait_for 60 sh -c "curl -sf 'http://$PROM/api/v1/query' --data-urlencode 'query=lens_gpu_gfx_busy_ratio{gpu=\"1\"}' | jq -e '.data.result | length == 1' >/dev/null"
promql "PromQL: GPU 1 GFX busy ratio" 0.12 'lens_gpu_gfx_busy_ratio{gpu="1"}'
promql "PromQL: GPU 0 junction temperature" 95 'lens_gpu_temperature_celsius{gpu="0",sensor="junction"}'
promql "PromQL: total VRAM of the node" 206108098560 'sum(lens_gpu_vram_total_bytes{node="fake-node"})'
promql "PromQL: receive bytes of mlx5_1" 10000 'lens_ib_port_receive_bytes_total{hca="mlx5_1"}'

# The hot GPU cools: its alert is no longer kept up and resolves after the hold.
fake_update gpu0.temp_junction=60000
check "a condition that cleared resolves its alert after the hold" wait_for 15 sh -c \
  "curl -sf '$API/api/v1/alerts?name=GPUTemperatureHigh&node=fake-node' | jq -e '.items[0].status == \"resolved\"' >/dev/null"
check "and the metric rule's alert too" wait_for 15 sh -c \
  "curl -sf '$API/api/v1/alerts?name=JunctionHot' | jq -e '.items[0].status == \"resolved\"' >/dev/null"

# A GPU disappears while the agent runs (its sysfs entries vanish).
rm -f "$FAKE_ROOT/sys/class/drm/card2"
rm -rf "$FAKE_ROOT/sys/devices/pci0000:83"
check "a GPU that disappears while the agent runs is marked gone" wait_for 20 sh -c "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '[.items[].present] == [true, true, false]' >/dev/null"
check "and its series leave /metrics" sh -c "! curl -s http://$AGENT_HTTP/metrics | grep -q 'bdf=\"0000:83:00.0\"'"

# The agent restarts on a node with two GPUs.
stop_fake_agent
check "the agent exited cleanly" grep -q 'msg="agent stopped"' "$T/agent.log"
start_fake_agent "--gpus 2 --hcas 2" --node-name fake-node --sample-interval 300ms --backend rocm_smi
check "after a restart the missing GPU stays gone" wait_for 20 sh -c "curl -sf '$API/api/v1/gpus?node=fake-node' | jq -e '[.items[].present] == [true, true, false]' >/dev/null"
check "without a real /dev/kfd, GPU driver events are off and the agent says why" grep -q 'msg="GPU driver events unavailable" backend=rocm_smi reason=' "$T/agent.log"
check_eq "and reports it as a metric" 0 "$(agent_metric lens_agent_gpu_events_supported)"
check "lensctl shows it Gone" grep -qE '^fake-node +2 +0000:83:00.0 .* Gone +<none> +<none>$' <<<"$("$B/bin/lensctl" gpus)"
check_eq "a workload filter with no such workload lists nothing" 0 "$(curl -sf "$API/api/v1/gpus?workload=x" | jq .total)"
stop_fake_agent
stop_pid "$AGG_PID" lens-aggregator
