/* devnames: id -> name tables for device metrics. */
#include "devnames.h"

static const char *const gpu_metrics[DEVNAMES_GPU_SCALARS] = {
	"busy_percent",           "memory_busy_percent",
	"vram_used_bytes",        "vram_total_bytes",
	"temperature_edge_celsius", "temperature_junction_celsius",
	"temperature_memory_celsius", "power_average_watts",
	"gfx_clock_hertz",        "memory_clock_hertz",
	"pcie_sent_packets",      "pcie_received_packets",
	"pcie_max_payload_bytes", "pcie_replay_total",
};

static const char *const ecc_blocks[DEVNAMES_ECC_BLOCKS] = {
	"umc", "sdma", "gfx", "mmhub", "pcie_bif", "hdp", "xgmi_wafl"};

static const char *const ib_counters[DEVNAMES_IB_COUNTERS] = {
	"port_rcv_bytes",
	"port_xmit_bytes",
	"port_rcv_packets",
	"port_xmit_packets",
	"port_rcv_errors",
	"symbol_errors",
	"link_downed",
	"link_error_recovery",
	"excessive_buffer_overrun_errors",
	"local_link_integrity_errors",
	"port_rcv_remote_physical_errors",
	"port_xmit_discards",
	"port_xmit_wait",
	"vl15_dropped",
	"out_of_buffer",
	"out_of_sequence",
	"local_ack_timeout_err",
	"rnr_nak_retry_err",
};

const char *devnames_gpu_metric(unsigned id)
{
	return id < DEVNAMES_GPU_SCALARS ? gpu_metrics[id] : 0;
}

const char *devnames_ecc_block(unsigned block)
{
	return block < DEVNAMES_ECC_BLOCKS ? ecc_blocks[block] : 0;
}

const char *devnames_ib_counter(unsigned id)
{
	return id < DEVNAMES_IB_COUNTERS ? ib_counters[id] : 0;
}
