/* gpu: AMD GPU inventory and samples behind a small backend interface.
 *
 * Two backends must agree on every value: "sysfs" reads the amdgpu sysfs
 * files directly (always available, configurable root, cannot be aborted
 * by the library's asserts) and "rocm_smi" asks the ROCm SMI library,
 * loaded at run time. AMD SMI (amdsmi) is meant to slot in as a third.
 * Everything is keyed by PCI BDF; the index is only an attribute. A value
 * the device does not support is absent (its bit in `present` is clear),
 * never zero. */
#ifndef LENS_GPU_H
#define LENS_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gpu_metric {
	GPU_BUSY_PERCENT,
	GPU_MEM_BUSY_PERCENT,
	GPU_VRAM_USED_BYTES,
	GPU_VRAM_TOTAL_BYTES,
	GPU_TEMP_EDGE_C,
	GPU_TEMP_JUNCTION_C,
	GPU_TEMP_MEM_C,
	GPU_POWER_W,
	GPU_SCLK_HZ,
	GPU_MCLK_HZ,
	GPU_PCIE_SENT,         /* packets in the last second (pcie_bw) */
	GPU_PCIE_RECEIVED,
	GPU_PCIE_MAX_PAYLOAD_BYTES,
	GPU_PCIE_REPLAY_TOTAL,
	GPU_ECC_FIRST,         /* then correctable, uncorrectable per block */
	GPU_METRIC_COUNT = GPU_ECC_FIRST + 2 * 7,
};

enum gpu_ecc_block { ECC_UMC, ECC_SDMA, ECC_GFX, ECC_MMHUB, ECC_PCIE_BIF, ECC_HDP, ECC_XGMI_WAFL };
#define GPU_ECC_BLOCKS 7
#define GPU_ECC_CE(block) (GPU_ECC_FIRST + 2 * (block))
#define GPU_ECC_UE(block) (GPU_ECC_FIRST + 2 * (block) + 1)

struct gpu_info {
	int index;                /* the backend's device index */
	char bdf[16];             /* 0000:81:00.0 */
	char unique_id[24];       /* hex, "" when unknown */
	char serial[64];
	char product[128];
	char vbios[64];
	char driver_version[64];
	unsigned vendor_id, device_id;
	int render_minor;         /* -1 when unknown */
	uint64_t vram_total_bytes;
	bool has_hwmon;           /* temperature and power can be read */
};

struct gpu_sample {
	uint64_t present; /* bit m set: v[m] holds a value */
	double v[GPU_METRIC_COUNT];
};

static inline void gpu_sample_set(struct gpu_sample *s, int m, double value)
{
	s->present |= 1ULL << m;
	s->v[m] = value;
}

static inline bool gpu_sample_has(const struct gpu_sample *s, int m)
{
	return s->present & (1ULL << m);
}

enum gpu_event_type {
	GPU_EVENT_VM_FAULT,
	GPU_EVENT_THERMAL_THROTTLE,
	GPU_EVENT_RESET_BEGIN,
	GPU_EVENT_RESET_END,
	GPU_EVENT_TYPES,
};

struct gpu_event {
	char bdf[16];
	int type;           /* enum gpu_event_type */
	char message[72];
	int64_t unix_ns;
};

/* "vm_fault", "thermal_throttle", "reset_begin", "reset_end". */
const char *gpu_event_name(int type);

struct gpu_backend;

struct gpu_backend_ops {
	const char *name;
	/* sysfs_root: "" for the real /sys. Returns 0 or a negative errno
	 * with a message in err (then the caller may try another backend). */
	int (*open)(const char *sysfs_root, struct gpu_backend **out, char *err, size_t errlen);
	/* Fills up to max devices, in index order; returns the count. */
	int (*list)(struct gpu_backend *b, struct gpu_info *out, int max);
	/* Samples one device of the last list; returns 0 or a negative errno
	 * when the device is gone. */
	int (*sample)(struct gpu_backend *b, const struct gpu_info *g, struct gpu_sample *s);
	void (*close)(struct gpu_backend *b);
	/* Optional (NULL when the backend has none): subscribe to driver
	 * events for the listed devices; then poll without blocking. */
	int (*events_start)(struct gpu_backend *b, char *err, size_t errlen);
	int (*events_poll)(struct gpu_backend *b, struct gpu_event *out, int max);
};

extern const struct gpu_backend_ops gpu_sysfs_ops;
extern const struct gpu_backend_ops gpu_rocmsmi_ops;

/* The amdgpu hwmon directory of a PCI device directory: 0, or -ENOENT
 * when it has none (virtual functions, some APUs). */
int gpu_sysfs_find_hwmon(const char *dev, char *out, size_t len);

/* "sysfs" or "rocm_smi"; NULL when unknown. */
const struct gpu_backend_ops *gpu_backend_find(const char *name);

/* Names for JSON and the Prometheus mapping (see gpu_metrics.c). */
const char *gpu_metric_key(int m);
const char *gpu_ecc_block_name(int block);

#endif
