/* cgroup: which pod and container a process belongs to, from its cgroup
 * path, for the layouts kubelets create: the systemd driver
 * (kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/
 * cri-containerd-<id>.scope) and the cgroupfs driver
 * (kubepods/besteffort/pod<uid>/<id>), under containerd, CRI-O or docker,
 * nested or not (kind, kubelet in a container), cgroup v2 and v1. Groundwork
 * for the pod mapping (issue 4). */
#ifndef LENS_CGROUP_H
#define LENS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

struct cgroup_pod {
	bool in_pod;
	char pod_uid[40];       /* canonical: lowercase, with dashes */
	char qos[12];           /* guaranteed | burstable | besteffort */
	char container_id[72];  /* hex; "" for the pod's own cgroup */
	char runtime[12];       /* containerd | cri-o | docker | "" */
	bool conmon;            /* CRI-O's monitor process, not the container */
};

/* Parses one cgroup path. Returns 0 (out->in_pod says whether it is a
 * pod's), or -EINVAL for a path that names a pod in a malformed way. */
int cgroup_parse_path(const char *path, struct cgroup_pod *out);

/* Parses the text of /proc/<pid>/cgroup: the v2 line ("0::/...") when it
 * names a pod, else the first v1 line that does (hybrid hosts). */
int cgroup_parse_proc(const char *text, struct cgroup_pod *out);

#endif
