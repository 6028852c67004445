/* devices: the agent's GPU and InfiniBand collector. A thread samples
 * every device at an interval, keeps the latest snapshot for /metrics (a
 * scrape never waits for a device), derives health conditions, and emits
 * the inventory (on start and on change) and one DeviceSamples envelope
 * per interval. */
#ifndef LENS_DEVICES_H
#define LENS_DEVICES_H

#include <jansson.h>
#include <stdint.h>

#include "emit.h"
#include "prom.h"

struct devices_config {
	const char *backend;    /* rocm_smi | sysfs | auto */
	const char *sysfs_root; /* "" on a node */
	int64_t interval_ns;
	double temp_limit_c;    /* "temperature_high" at or above this */
	const char *node;
};

struct devices;

/* Who holds a device, for the namespace/pod/container/workload labels of
 * its series (set only while the device is assigned). */
struct device_owner {
	char namespace_[64];
	char pod[254];
	char container[64];
	char workload[254];
};
typedef void (*devices_owner_fn)(void *arg, const char *kind, const char *id,
				 struct device_owner *out);

/* Starts sampling (the first sample is taken before returning). em may be
 * NULL (no streaming). Returns 0 or a negative errno with err set. */
int devices_start(const struct devices_config *cfg, struct emitter *em,
		  struct prom_registry *reg, struct devices **out, char *err, size_t errlen);
void devices_stop(struct devices *d);
/* Installs the owner lookup the scrape calls for every GPU and HCA port. */
void devices_set_owner_fn(struct devices *d, devices_owner_fn fn, void *arg);
/* The node's devices as of the last sample: [{"kind": "gpu"|"ib", "id"}]. */
json_t *devices_ids(struct devices *d);

#endif
