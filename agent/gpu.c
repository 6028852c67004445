/* gpu: backend lookup, metric names and the JSON view of a GPU, shared by
 * `lens-agent inventory` and the collector. */
#include "gpu.h"

#include <string.h>

static const char *const metric_keys[GPU_ECC_FIRST] = {
	[GPU_BUSY_PERCENT] = "busy_percent",
	[GPU_MEM_BUSY_PERCENT] = "memory_busy_percent",
	[GPU_VRAM_USED_BYTES] = "vram_used_bytes",
	[GPU_VRAM_TOTAL_BYTES] = "vram_total_bytes",
	[GPU_TEMP_EDGE_C] = "temperature_edge_celsius",
	[GPU_TEMP_JUNCTION_C] = "temperature_junction_celsius",
	[GPU_TEMP_MEM_C] = "temperature_memory_celsius",
	[GPU_POWER_W] = "power_average_watts",
	[GPU_SCLK_HZ] = "gfx_clock_hertz",
	[GPU_MCLK_HZ] = "memory_clock_hertz",
	[GPU_PCIE_SENT] = "pcie_sent_packets",
	[GPU_PCIE_RECEIVED] = "pcie_received_packets",
	[GPU_PCIE_MAX_PAYLOAD_BYTES] = "pcie_max_payload_bytes",
	[GPU_PCIE_REPLAY_TOTAL] = "pcie_replay_total",
};

static const char *const ecc_names[GPU_ECC_BLOCKS] = {"umc", "sdma", "gfx", "mmhub",
						       "pcie_bif", "hdp", "xgmi_wafl"};

const char *gpu_metric_key(int m)
{
	return m >= 0 && m < GPU_ECC_FIRST ? metric_keys[m] : NULL;
}

const char *gpu_ecc_block_name(int block)
{
	return block >= 0 && block < GPU_ECC_BLOCKS ? ecc_names[block] : NULL;
}

const struct gpu_backend_ops *gpu_backend_find(const char *name)
{
	if (strcmp(name, "sysfs") == 0)
		return &gpu_sysfs_ops;
	if (strcmp(name, "rocm_smi") == 0)
		return &gpu_rocmsmi_ops;
	return NULL;
}
