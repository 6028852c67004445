/* kubelet: the pods of this node and their metadata (name, namespace,
 * UID, labels, owner references, phase, containers), from the kubelet's
 * /pods endpoint (service-account token and CA, or a read-only port), and
 * where there is no kubelet to ask, what /var/log/pods directory names
 * (<namespace>_<name>_<uid>/<container>) tell.
 *
 * Pods are returned in one normalized JSON shape, whatever the source:
 *   {"uid", "name", "namespace", "phase", "labels": {..},
 *    "owners": [{"kind", "name", "uid", "api_version", "controller"}],
 *    "containers": [{"name", "id", "running"}], "source"}
 * where "id" is the runtime's container id without its "containerd://"
 * scheme. */
#ifndef LENS_KUBELET_H
#define LENS_KUBELET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kubelet_config {
	const char *url;        /* https://127.0.0.1:10250 or http://...:10255; "" = none */
	const char *token_file; /* bearer token, read on every call (it rotates) */
	const char *ca_file;    /* "" = the system's CA bundle */
	bool insecure;          /* skip TLS verification (kubelet's self-signed cert) */
	int64_t timeout_ns;
};

/* GETs <url>/pods. Returns 0 with *pods (a JSON array of normalized pods;
 * json_decref it) or a negative errno with err set. A pod the kubelet
 * lists without a uid is skipped and counted in *skipped. */
int kubelet_fetch_pods(const struct kubelet_config *cfg, json_t **pods, int *skipped,
		       char *err, size_t errlen);

/* Normalizes a PodList document (exposed for tests and fuzzing). */
json_t *kubelet_parse_pod_list(const json_t *doc, int *skipped);

/* Pods as far as /var/log/pods tells (name, namespace, uid, container
 * names; phase "Unknown"). Returns a JSON array, empty when the directory
 * is missing. */
json_t *kubelet_pods_from_logdir(const char *dir);

#endif
