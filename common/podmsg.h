/* podmsg: the pod/device map between its JSON form (agent/podview.h: what
 * the agent builds and prints, and what the aggregator stores as JSONB)
 * and its wire form, the PodDeviceMap payload. One module for both
 * directions, so the two stay the same schema. */
#ifndef LENS_PODMSG_H
#define LENS_PODMSG_H

#include <jansson.h>

#include "envelope.h"

/* The message points into doc's strings: keep doc until
 * podmsg_free_proto. */
Lens__V1__PodDeviceMap *podmsg_to_proto(const json_t *doc, int64_t observed_unix_ns);
void podmsg_free_proto(Lens__V1__PodDeviceMap *m);

/* The JSON form, with "observed_unix_ns" added. */
json_t *podmsg_to_json(const Lens__V1__PodDeviceMap *m);

/* The pod with this UID in a map document, or NULL. */
const json_t *podmsg_find_pod(const json_t *doc, const char *uid);

/* How strongly an assignment ties a device to its pod (used > allocated
 * > held): where several pods share a device, the strongest one names it
 * in metric labels and the single-pod cache views. */
int podmsg_strength(const json_t *assignment);

#endif
