/* devhealth: health conditions to alerts. */
#include "devhealth.h"

#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "clock.h"
#include "jsonx.h"
#include "podcache.h"

static const struct {
	const char *condition, *name, *severity, *summary;
} conditions[] = {
	{"ecc_uncorrectable_rising", "GPUEccUncorrectableRising", "critical",
	 "uncorrectable ECC errors are rising"},
	{"temperature_high", "GPUTemperatureHigh", "warning", "temperature at or above its limit"},
	{"port_down", "IBPortDown", "critical", "InfiniBand port is down"},
	{"link_downed_rising", "IBLinkDownedRising", "warning", "InfiniBand link went down again"},
};

/* The pod holding the device now (its UID), or "". */
static json_t *holder(struct podcache *pods, const char *node, const char *kind, const char *id)
{
	json_t *d = podcache_device(pods, node, kind, id);
	json_t *uid = json_string(jsonx_str(json_array_get(json_object_get(d, "pods"), 0), "uid"));
	json_decref(d);
	return uid;
}

/* device: the alert's (a BDF, or "hca/port"); id: the pod cache's. */
struct sample_ctx {
	struct alerts *al;
	struct podcache *pods;
	const char *node;
	int64_t at_ns, hold_ns;
};

static void raise_one(const struct sample_ctx *x, const char *kind, const char *id,
		      const char *device, const char *condition)
{
	for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++) {
		if (strcmp(condition, conditions[i].condition) != 0)
			continue;
		char starts[40], ends[40];
		clock_format_rfc3339(x->at_ns, 6, starts, sizeof starts);
		clock_format_rfc3339(x->at_ns + x->hold_ns, 6, ends, sizeof ends);
		json_t *pod_uid = holder(x->pods, x->node, kind, id);
		alerts_queue(x->al, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s},s:s,"
					   "s:{s:s,s:s,s:o}}",
					   "source", "metric", "name", conditions[i].name, "severity",
					   conditions[i].severity, "status", "firing", "starts_at",
					   starts, "ends_at", ends, "labels", "node", x->node, "device",
					   device, "annotations", "summary", conditions[i].summary,
					   "generator_url", "", "entity", "node", x->node, "device",
					   device, "pod_uid", pod_uid));
	}
}

int64_t devhealth_sample_time(const Lens__V1__DeviceSamples *ds)
{
	int64_t now = clock_now_ns();
	return ds->sampled_unix_ns > 0 && ds->sampled_unix_ns < now + 86400 * NS_PER_SEC
		       ? ds->sampled_unix_ns
		       : now;
}

void devhealth_samples(struct alerts *al, struct podcache *pods, Envelope *const *envs, int n,
		       int64_t hold_ns)
{
	for (int e = 0; al && e < n; e++) {
		const Lens__V1__DeviceSamples *ds = envs[e]->device_samples;
		struct sample_ctx x = {al, pods, envs[e]->node_name, devhealth_sample_time(ds),
				       hold_ns};
		for (size_t i = 0; i < ds->n_gpus; i++)
			for (size_t k = 0; k < ds->gpus[i]->n_health; k++)
				raise_one(&x, "gpu", ds->gpus[i]->bdf, ds->gpus[i]->bdf,
					  ds->gpus[i]->health[k]);
		for (size_t i = 0; i < ds->n_ib_ports; i++) {
			char port[80];
			snprintf(port, sizeof port, "%s/%u", ds->ib_ports[i]->hca, ds->ib_ports[i]->port);
			for (size_t k = 0; k < ds->ib_ports[i]->n_health; k++)
				raise_one(&x, "ib", ds->ib_ports[i]->hca, port, ds->ib_ports[i]->health[k]);
		}
	}
}
