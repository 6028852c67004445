/* oci: the allocation view from the OCI runtime specs (config.json) that
 * containerd and CRI-O keep on the node for every running container:
 * linux.devices lists the device nodes the container was given, and the
 * annotations name its pod (namespace, name, UID) and container. The
 * files are parsed once and re-read only when they change, so a rescan
 * every second costs a readdir and a stat per container. */
#ifndef LENS_OCI_H
#define LENS_OCI_H

#include <stdbool.h>

#include "devnode.h"

#define OCI_MAX_DEVICES 64
#define OCI_DEFAULT_DIRS                                                                  \
	"/run/containerd/io.containerd.runtime.v2.task/k8s.io,"                             \
	"/run/containers/storage/overlay-containers"

struct oci_device {
	enum devnode_kind kind;
	char id[40];
};

struct oci_container {
	char id[72];            /* the state directory's name: the runtime id */
	char pod_uid[40];
	char pod_name[254];
	char pod_namespace[64];
	char name[64];          /* container name */
	int ndevices;
	struct oci_device devices[OCI_MAX_DEVICES];
};

struct oci;

/* dirs: comma-separated state directories, each holding <id>/config.json
 * (containerd) or <id>/userdata/config.json (CRI-O); missing ones are
 * skipped. sysfs_root resolves the device numbers. */
struct oci *oci_new(const char *dirs, const char *sysfs_root);
void oci_free(struct oci *o);

/* Rescans; returns the number of containers (sandboxes excluded) and
 * points *list at them (valid until the next scan). *errors counts spec
 * files that could not be parsed this scan (they are skipped). */
int oci_scan(struct oci *o, const struct oci_container **list, int *errors);

/* Whether the last scan found at least one state directory. */
bool oci_available(const struct oci *o);

/* One config.json document -> c. Returns 0, 1 for a sandbox (pause
 * container; no devices of interest), or -EINVAL when the document is not
 * a Kubernetes container's spec. Exposed for tests and fuzzing. */
int oci_parse_spec(const char *json, size_t len, const char *sysfs_root,
		   struct oci_container *c);

#endif
