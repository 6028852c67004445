#!/usr/bin/env bash
# GPU and InfiniBand inventory on fake devices seen by the real libraries
# (tests/fixtures/fakegpu): both GPU backends report exactly the values
# the fixture set, agree with each other and with the fixture's probe
# (the real ROCm SMI library), and fail cleanly on broken trees.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root for the fake-device mount namespace"
FAKE=$ROOT/tests/fixtures/fakegpu/fakegpu.sh
AGENT=$B/bin/lens-agent
cc -O1 -o "$T/probe" "$ROOT/tests/fixtures/fakegpu/fakegpu_probe.c" $(pkg-config --cflags libdrm) \
  -lrocm_smi64 -ldrm -ldrm_amdgpu 2>"$T/probe-build.log" || { not_ok "fixture probe builds"; exit 1; }

# Four GPUs and two HCAs with values of our choosing; GPU 2 has no amdgpu
# hwmon (as a virtual function), GPU 3 has no mem_busy_percent file.
"$FAKE" --gpus 4 --hcas 2 \
  --set gpu1.busy_percent=93 --set gpu.temp_edge=55000 --set gpu0.temp_junction=71500 \
  --set gpu0.vram_used=123456789 --set gpu1.power_average=212500000 --set gpu0.ecc_umc_ce=7 \
  --set gpu0.ecc_umc_ue=2 --set gpu2.hwmon.name=nct6775 --set gpu3.sclk_cur=0 \
  --set hca1.p1.state="1: DOWN" --set hca0.p1.port_rcv_data=1000 --set hca0.p1.link_downed=3 \
  -- sh -c "'$AGENT' inventory --backend sysfs >'$T/sysfs.json' 2>>'$T/agent.log';
            '$AGENT' inventory --backend rocm_smi >'$T/rsmi.json' 2>>'$T/agent.log';
            '$AGENT' inventory >'$T/auto.json' 2>>'$T/agent.log';
            '$T/probe' --no-amdgpu >'$T/probe.txt' 2>&1" >"$T/fixture.log" 2>&1
check "the fixture ran" test -s "$T/sysfs.json"

g() { jq -r "$2" "$T/$1.json"; }
check_eq "sysfs backend finds 4 GPUs" 4 "$(g sysfs '.gpus | length')"
check_eq "rocm_smi backend finds 4 GPUs" 4 "$(g rsmi '.gpus | length')"
check_eq "auto picks rocm_smi when it initialises" rocm_smi "$(g auto .gpu_backend)"
check_eq "the two backends report identical devices and values" \
  "$(jq -S .gpus "$T/sysfs.json")" "$(jq -S .gpus "$T/rsmi.json")"

check_eq "BDFs in index order" "0000:81:00.0 0000:82:00.0 0000:83:00.0 0000:84:00.0" "$(g sysfs '[.gpus[].bdf] | join(" ")')"
check_eq "GPU 1 busy percent" 93 "$(g sysfs '.gpus[1].sample.busy_percent')"
check_eq "edge temperature in celsius on every GPU with hwmon" "55 55 55" "$(g sysfs '[.gpus[] | select(.has_hwmon) | .sample.temperature_edge_celsius] | join(" ")')"
check_eq "GPU 0 junction temperature" 71.5 "$(g sysfs '.gpus[0].sample.temperature_junction_celsius')"
check_eq "GPU 0 VRAM used in bytes" 123456789 "$(g sysfs '.gpus[0].sample.vram_used_bytes')"
check_eq "GPU 1 power in watts" 212.5 "$(g sysfs '.gpus[1].sample.power_average_watts')"
check_eq "GPU 0 UMC ECC counts" "7 2" "$(g sysfs '.gpus[0].sample.ecc.umc | "\(.correctable) \(.uncorrectable)"')"
check_eq "GPU 3 gfx clock follows the current level" 500000000 "$(g sysfs '.gpus[3].sample.gfx_clock_hertz')"
check_eq "GPU 2 (no amdgpu hwmon) has no temperature or power, and did not crash rocm_smi" \
  "false null null" "$(g rsmi '.gpus[2] | "\(.has_hwmon) \(.sample.temperature_edge_celsius) \(.sample.power_average_watts)"')"
check_eq "GPU 2 still has its other values" 68702699520 "$(g rsmi '.gpus[2].sample.vram_total_bytes')"

# The fixture's probe calls the real library directly, unguarded: the
# library's assert kills it at GPU 2, the GPU without hwmon.
check "the unguarded library aborts on the GPU without hwmon" grep -q "Assertion .dev->monitor() != nullptr' failed" "$T/probe.txt"

# Same values, every GPU with hwmon: the probe and the agent agree on each.
"$FAKE" --gpus 4 --hcas 0 --set gpu1.busy_percent=93 --set gpu0.vram_used=123456789 \
  --set gpu1.power_average=212500000 --set gpu.temp_edge=55000 \
  -- sh -c "'$AGENT' inventory --backend sysfs >'$T/sysfs2.json' 2>>'$T/agent.log';
            '$T/probe' --no-amdgpu >'$T/probe.txt' 2>&1" >>"$T/fixture.log" 2>&1
probe() { grep "^gpu$1 " "$T/probe.txt" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
for i in 0 1 2 3; do
  want=$(probe $i bdf)/$(probe $i busy_percent)/$(probe $i vram_used)/$(probe $i render_minor)/$(probe $i temp_edge_mC)/$(probe $i power_ave_uW)/$(probe $i sclk_hz)/$(probe $i unique_id)
  got=$(g sysfs2 ".gpus[$i] | \"\\(.bdf)/\\(.sample.busy_percent)/\\(.sample.vram_used_bytes)/\\(.render_minor)/\\(.sample.temperature_edge_celsius * 1000)/\\(.sample.power_average_watts * 1000000)/\\(.sample.gfx_clock_hertz)/\\(.unique_id)\"")
  check_eq "GPU $i matches the probe (bdf/busy/vram/minor/edge mC/power uW/sclk/unique id)" "$want" "$got"
done

check_eq "two HCAs" "mlx5_0 mlx5_1" "$(g sysfs '[.hcas[].name] | join(" ")')"
check_eq "port data counters are in bytes (4-octet units x 4)" 4000 "$(g sysfs '.hcas[0].ports[0].counters.port_rcv_bytes')"
check_eq "link_downed counter" 3 "$(g sysfs '.hcas[0].ports[0].counters.link_downed')"
check_eq "a down port is reported down" "DOWN 1" "$(g sysfs '.hcas[1].ports[0] | "\(.state) \(.state_code)"')"
check_eq "rate and link layer" "400 InfiniBand" "$(g sysfs '.hcas[0].ports[0] | "\(.rate_gbps) \(.link_layer)"')"

# Broken trees: a clear message, never a crash.
tree=$("$FAKE" --gpus 2 --hcas 0 --build-only 2>/dev/null)
rm -f "$tree"/sys/devices/pci0000:81/0000:81:00.0/hwmon/hwmon*/in0_label
rm -f "$tree"/sys/devices/pci0000:82/0000:82:00.0/gpu_busy_percent
"$FAKE" --tree "$tree" -- sh -c "'$AGENT' inventory --backend rocm_smi >'$T/broken-rsmi.json' 2>'$T/broken-rsmi.err'; echo \$? >'$T/broken-rsmi.rc';
  '$AGENT' inventory --backend sysfs >'$T/broken-sysfs.json' 2>>'$T/agent.log'" >>"$T/fixture.log" 2>&1
rm -rf "$tree"
check_eq "rocm_smi on a tree it cannot init exits 1" 1 "$(cat "$T/broken-rsmi.rc")"
check "with a clear message" grep -q "rocm_smi backend: rsmi_init failed" "$T/broken-rsmi.err"
check_eq "sysfs still reads both GPUs" 2 "$(g broken-sysfs '.gpus | length')"
check_eq "a missing file leaves its value out, not zero" null "$(g broken-sysfs '.gpus[1].sample.busy_percent')"

# No devices at all: the agent says so and lists none.
out=$("$AGENT" inventory --backend sysfs --sysfs-root "$T/empty" 2>&1)
check_eq "a node without GPUs or HCAs lists none" "0 0" "$(jq -r '"\(.gpus | length) \(.hcas | length)"' <<<"$out")"
