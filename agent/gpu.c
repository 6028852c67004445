/* gpu: backend lookup, metric names and the JSON view of a GPU, shared by
 * `lens-agent inventory` and the collector. */
#include "gpu.h"

#include "devnames.h"
#include "lens.pb-c.h"

#include <string.h>

_Static_assert(GPU_ECC_FIRST == DEVNAMES_GPU_SCALARS && GPU_METRIC_COUNT == DEVNAMES_GPU_METRICS,
	       "gpu_metric ids are the wire ids of common/devnames");
_Static_assert((int)GPU_ECC_FIRST == (int)LENS__V1__GPU_METRIC__GPU_ECC_FIRST,
	       "gpu_metric ids follow proto GpuMetric");

const char *gpu_metric_key(int m)
{
	return m >= 0 ? devnames_gpu_metric((unsigned)m) : NULL;
}

const char *gpu_ecc_block_name(int block)
{
	return block >= 0 ? devnames_ecc_block((unsigned)block) : NULL;
}

const struct gpu_backend_ops *gpu_backend_find(const char *name)
{
	if (strcmp(name, "sysfs") == 0)
		return &gpu_sysfs_ops;
	if (strcmp(name, "rocm_smi") == 0)
		return &gpu_rocmsmi_ops;
	return NULL;
}

const char *gpu_event_name(int type)
{
	static const char *const names[GPU_EVENT_TYPES] = {"vm_fault", "thermal_throttle",
							   "reset_begin", "reset_end"};
	return type >= 0 && type < GPU_EVENT_TYPES ? names[type] : "unknown";
}
