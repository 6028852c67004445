/* podmap: the agent's pod-mapping collector. A thread rescans the node
 * every interval (processes, OCI specs, pod-resources; the kubelet's pod
 * list less often), builds the pod/device map (podview), sends it as a
 * PodDeviceMap when it changed, says once why a device has no pod, and
 * answers "who holds this device" for the device metrics' pod labels.
 * An eBPF open tracker (kernel-events issue) can call podmap_poke() to
 * rescan at once instead of waiting for the interval. */
#ifndef LENS_PODMAP_H
#define LENS_PODMAP_H

#include <jansson.h>
#include <stdint.h>

#include "devices.h"
#include "emit.h"
#include "kubelet.h"
#include "prom.h"

struct podmap_config {
	const char *node;
	const char *proc_root;       /* "" on a node */
	const char *sysfs_root;      /* "" on a node */
	const char *oci_dirs;        /* comma-separated runtime state dirs; "" = none */
	const char *podres_socket;   /* "" = do not ask the kubelet */
	const char *log_dir;         /* /var/log/pods, the fallback for pod names */
	struct kubelet_config kubelet;
	int64_t interval_ns;         /* process/OCI/pod-resources rescan */
	int64_t kubelet_interval_ns; /* pod list refresh (and at once for unknown pods) */
	int64_t resend_ns;           /* send an unchanged map again (fresh VRAM values) */
};

struct podmap;

/* Scans once before returning; with interval_ns <= 0 that is all it does
 * (no thread). em may be NULL (no streaming). devices gives the node's
 * GPUs and HCAs (for the unmapped reasons). */
int podmap_start(const struct podmap_config *cfg, struct devices *devices, struct emitter *em,
		 struct prom_registry *reg, struct podmap **out, char *err, size_t errlen);
void podmap_stop(struct podmap *pm);
/* Rescan now (from any thread); the scan runs on the collector's thread. */
void podmap_poke(struct podmap *pm);
/* The latest map (podview.h's document); json_decref it. */
json_t *podmap_snapshot(struct podmap *pm);

/* Adds "namespace", "pod", "container" and "workload"/"workload_uid" (the
 * pod's first workload) to obj for the pod with this UID, as far as the
 * latest map knows it; container_id picks the container. */
void podmap_describe_pod(struct podmap *pm, const char *uid, const char *container_id,
			 json_t *obj);

/* The devices_owner_fn for devices_set_owner_fn(). */
void podmap_owner(void *pm, const char *kind, const char *id, struct device_owner *out);

#endif
