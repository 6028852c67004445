/* podcache: every node's latest pod/device map, in memory, for the views
 * the API answers without a query: the Lens-compatible caches
 * (/api/v1/pods/cache, /api/v1/pods/workload/cache) and the POD and
 * WORKLOAD of each GPU in /api/v1/gpus. Filled after each commit, rebuilt
 * from node_pod_maps at start and refreshed from it periodically (maps
 * another replica stored); an older map never replaces a newer one. */
#ifndef LENS_PODCACHE_H
#define LENS_PODCACHE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "envelope.h"

struct podcache;

struct podcache *podcache_new(void);
void podcache_free(struct podcache *pc);
/* Takes the maps of n PodDeviceMap envelopes (after they are stored). */
void podcache_update(struct podcache *pc, Envelope *const *envs, int n);
/* Loads every node's latest map from the database the first time, then
 * the maps stored since the last load (by any replica). Returns 0 or -1
 * with err set. Not called concurrently with itself. */
int podcache_load(struct podcache *pc, PGconn *c, char *err, size_t errlen);

/* node -> device kind -> device id -> [pod name, pod uid] */
json_t *podcache_devices_view(struct podcache *pc);
/* pod name -> [[workload name, workload uid], ...] */
json_t *podcache_workloads_view(struct podcache *pc);
/* The UIDs of the workloads of the pod with this UID, or else this name
 * (and namespace, when given); the pod's own UID when it has none (a bare
 * pod); NULL when no node lists such a pod. */
json_t *podcache_pod_workloads(struct podcache *pc, const char *uid, const char *name,
			       const char *namespace_);
/* The UIDs and names of the workloads of the pod with this UID (by UID
 * only), as alert rules' selectors see them; an empty array when none. */
json_t *podcache_workload_names(struct podcache *pc, const char *uid);
/* One device's current holders: {"pods": [{uid, name, namespace,
 * container, workloads, allocated, held, used, vram_bytes}],
 * "unmapped_reason"}; NULL when the node sent no map. */
json_t *podcache_device(struct podcache *pc, const char *node, const char *kind,
			const char *id);

#endif
