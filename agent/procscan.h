/* procscan: the process view of device use, for the pod mapping (issue
 * 4, groundwork). For every process under a proc root: its pod (from its
 * cgroup), the device nodes it holds open (/dev/kfd, /dev/dri/renderD*
 * and card*, /dev/infiniband/uverbs*) mapped to the PCI BDF or HCA behind
 * them through sysfs (never index arithmetic), and KFD's per-process view
 * (GPUs with compute queues, VRAM per GPU), the stronger signal: a ROCm
 * process opens every GPU's render node but queues only on those it uses.
 * A field that fails to parse is skipped; the rest of the scan stands. */
#ifndef LENS_PROCSCAN_H
#define LENS_PROCSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

#define PROCSCAN_MAX_DEVICES 32

enum proc_dev_kind { PROC_DEV_KFD, PROC_DEV_GPU, PROC_DEV_IB };

struct proc_device {
	enum proc_dev_kind kind;
	char id[40];       /* BDF for a GPU, HCA name for IB, "" for /dev/kfd */
	bool held;         /* an open fd on its node */
	bool used;         /* KFD compute queues on it, or DRM engine time */
	int64_t vram_bytes; /* KFD per-process VRAM, else DRM fdinfo's; -1 when unknown */
};

/* What the kernel's DRM fdinfo says about one open render/card node
 * (Documentation/gpu/drm-usage-stats.rst), where the driver offers it. */
struct drm_fdinfo {
	char pdev[40];      /* drm-pdev: the PCI device */
	int64_t vram_bytes; /* drm-resident-vram, drm-memory-vram or drm-total-vram; -1 */
	bool engine_busy;   /* some drm-engine-* time above 0 */
};

/* Parses the text of /proc/<pid>/fdinfo/<fd>; returns 0 when it is a DRM
 * client's (it has drm-pdev), -ENOENT otherwise. */
int procscan_parse_drm_fdinfo(const char *text, struct drm_fdinfo *out);

struct proc_entry {
	int pid;
	char comm[32];
	struct cgroup_pod pod;
	int ndevices;
	struct proc_device devices[PROCSCAN_MAX_DEVICES];
};

/* Only processes in pod cgroups (not CRI-O's conmon): their cgroup is
 * read first, and the fds of every other process are never walked. */
#define PROCSCAN_PODS_ONLY 1

/* A scanner that remembers, between passes, each process's pod and the
 * devices it held: a process whose open fd count (Linux >= 6.2 says it in
 * /proc/<pid>/fd's size) and executable have not changed keeps its last
 * answer, so a pass over a quiet node costs two stats per process instead
 * of a cgroup read and a readlink per fd. Every PROCSCAN_FULL_EVERY-th pass walks every fd, so a
 * swap of one fd for another (same count) is seen within that many
 * passes. KFD's per-process view is read on every pass. */
#define PROCSCAN_FULL_EVERY 10

struct procscan;

/* proc_root and sysfs_root are "" on a node. */
struct procscan *procscan_new(const char *proc_root, const char *sysfs_root, int flags);
void procscan_free(struct procscan *ps);
/* Calls fn for each process that holds or uses a device. Returns the
 * number of processes reported or a negative errno when the proc root
 * cannot be read. */
int procscan_scan(struct procscan *ps, void (*fn)(const struct proc_entry *e, void *arg),
		  void *arg);
/* One full pass with a scanner of its own. */
int procscan_run(const char *proc_root, const char *sysfs_root, int flags,
		 void (*fn)(const struct proc_entry *e, void *arg), void *arg);

#endif
