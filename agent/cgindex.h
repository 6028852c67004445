/* cgindex: the pod and container cgroups of the cgroup v2 hierarchy, by
 * cgroup id (the directory's inode number, what eBPF's
 * bpf_get_current_cgroup_id() returns). It is how a kernel event, which
 * knows only a cgroup id, is attributed to a pod, and the set the eBPF
 * programs filter on. On hybrid hosts the v2 hierarchy is the one at
 * /sys/fs/cgroup/unified; found through /proc/self/mountinfo. */
#ifndef LENS_CGINDEX_H
#define LENS_CGINDEX_H

#include <stdint.h>

#include "cgroup.h"

struct cgindex;

/* root: the cgroup2 mount to walk; NULL finds it. Returns NULL (with err)
 * when there is no cgroup v2 hierarchy. */
struct cgindex *cgindex_new(const char *root, char *err, size_t errlen);
void cgindex_free(struct cgindex *ci);
const char *cgindex_root(const struct cgindex *ci);

/* Walks the hierarchy again. added/removed (may be NULL) are called for
 * pod cgroups that appeared or went away since the last walk. Returns the
 * number of pod cgroups. */
int cgindex_refresh(struct cgindex *ci, void (*added)(uint64_t id, void *arg),
		    void (*removed)(uint64_t id, void *arg), void *arg);

/* The pod of a cgroup id; 0, or -ENOENT when it is not a pod's. */
int cgindex_lookup(struct cgindex *ci, uint64_t id, struct cgroup_pod *out);

#endif
