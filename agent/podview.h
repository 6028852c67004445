/* podview: one node's pod/device map, merged from every view the agent
 * has: the pods (kubelet or /var/log/pods), the allocation views (OCI
 * specs, the kubelet's pod-resources answer) and the process view (fds and
 * KFD queues). Pure: inputs in, one JSON document out, so the rules are
 * tested without a node. The document has the shape of the PodDeviceMap
 * payload:
 *   {"pods": [pod + "workloads"], "assignments": [{device_kind, device_id,
 *    pod_uid, container, container_id, allocated, held, used, vram_bytes,
 *    pids, source}], "unmapped": [{device_kind, device_id, reason}],
 *    "sources": {"kubelet": "ok" | why not, "podresources": .., "oci": ..}}
 * Arrays are sorted, so two scans of an unchanged node compare equal. */
#ifndef LENS_PODVIEW_H
#define LENS_PODVIEW_H

#include <jansson.h>
#include <stdbool.h>

#include "oci.h"
#include "podresources.pb-c.h"
#include "procscan.h"

/* What the pod-resources call gave. */
enum podview_podres { PODRES_OK, PODRES_DISABLED, PODRES_NO_SOCKET, PODRES_FAILED };

struct podview_inputs {
	const json_t *pods;         /* normalized pods (kubelet.h); NULL: none known */
	const char *pods_source;    /* "ok" when from the kubelet, else why not */
	const struct oci_container *oci;
	int noci;
	bool oci_available;         /* a runtime state directory exists */
	const V1__ListPodResourcesResponse *podres; /* the last answer, even when the call failed */
	enum podview_podres podres_state;
	const char *podres_error;   /* for PODRES_FAILED */
	const struct proc_entry *procs; /* processes in pods holding or using devices */
	int nprocs;
	const json_t *devices;      /* the node's [{"kind", "id"}] */
};

/* Counted while building: ids the pod-resources answer named that match
 * no device of the node, and allocations skipped because their pod or
 * container is no longer running (older kubelets keep listing them). */
struct podview_stats {
	int unmatched_ids;
	int stale_allocations;
};

/* st may be NULL. */
json_t *podview_build(const struct podview_inputs *in, struct podview_stats *st);

#endif
