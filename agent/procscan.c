/* procscan: /proc fds and KFD per-process entries to devices by BDF. */
#include "procscan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devnode.h"
#include "files.h"
#include "sysfs.h"

static struct proc_device *find_or_add(struct proc_entry *e, enum proc_dev_kind kind,
				       const char *id)
{
	for (int i = 0; i < e->ndevices; i++)
		if (e->devices[i].kind == kind && strcmp(e->devices[i].id, id) == 0)
			return &e->devices[i];
	if (e->ndevices == PROCSCAN_MAX_DEVICES)
		return NULL;
	struct proc_device *d = &e->devices[e->ndevices++];
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->vram_bytes = -1;
	snprintf(d->id, sizeof d->id, "%s", id);
	return d;
}

/* One fd: a device node we care about, or nothing. */
static void classify_fd(const char *sysfs_root, const char *fdpath, struct proc_entry *e)
{
	char target[PATH_MAX], id[40];
	ssize_t n = readlink(fdpath, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	struct stat st;
	/* The prefix test first: it spares a stat for every ordinary fd. */
	if (strncmp(target, "/dev/", 5) != 0 || stat(fdpath, &st) || !S_ISCHR(st.st_mode))
		return;
	static const enum proc_dev_kind kinds[] = {
		[DEVNODE_KFD] = PROC_DEV_KFD, [DEVNODE_GPU] = PROC_DEV_GPU, [DEVNODE_IB] = PROC_DEV_IB};
	enum devnode_kind k = devnode_resolve(sysfs_root, major(st.st_rdev), minor(st.st_rdev), id,
					      sizeof id);
	struct proc_device *d = k == DEVNODE_OTHER ? NULL : find_or_add(e, kinds[k], id);
	if (d)
		d->held = true;
}

static void scan_fds(const char *proc_root, const char *sysfs_root, int pid,
		     struct proc_entry *e)
{
	char dir[PATH_MAX], fdpath[PATH_MAX + 32];
	snprintf(dir, sizeof dir, "%s/proc/%d/fd", proc_root, pid);
	DIR *d = opendir(dir);
	if (!d)
		return; /* gone, or not ours to read */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(fdpath, sizeof fdpath, "%s/%s", dir, de->d_name);
		classify_fd(sysfs_root, fdpath, e);
	}
	closedir(d);
}

/* KFD gpu_id -> BDF, from the topology: (domain << 32 | location_id). */
static int kfd_gpu_bdf(const char *sysfs_root, unsigned long gpu_id, char *out, size_t len)
{
	char base[PATH_MAX], path[PATH_MAX + 64];
	sysfs_path(base, sizeof base, sysfs_root, "/sys/class/kfd/kfd/topology/nodes");
	DIR *d = opendir(base);
	int rc = -ENOENT;
	struct dirent *de;
	while (d && rc && (de = readdir(d))) {
		uint64_t id;
		snprintf(path, sizeof path, "%s/%s/gpu_id", base, de->d_name);
		if (de->d_name[0] == '.' || sysfs_read_u64(path, &id) || id != gpu_id)
			continue;
		char *props;
		snprintf(path, sizeof path, "%s/%s/properties", base, de->d_name);
		if (files_read(path, 1 << 16, &props, NULL))
			continue;
		char *loc = strstr(props, "location_id "), *dom = strstr(props, "\ndomain ");
		if (loc) {
			unsigned long l = strtoul(loc + 12, NULL, 10);
			unsigned long dm = dom ? strtoul(dom + 8, NULL, 10) : 0;
			snprintf(out, len, "%04lx:%02lx:%02lx.%lx", dm, (l >> 8) & 0xff, (l >> 3) & 0x1f,
				 l & 7);
			rc = 0;
		}
		free(props);
	}
	if (d)
		closedir(d);
	return rc;
}

/* /sys/class/kfd/kfd/proc/<pid>: queues/<q>/gpuid and vram_<gpu_id>. */
static void scan_kfd(const char *sysfs_root, int pid, struct proc_entry *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], bdf[40];
	sysfs_path(dir, sizeof dir, sysfs_root, "/sys/class/kfd/kfd/proc/%d", pid);
	snprintf(path, sizeof path, "%s/queues", dir);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		uint64_t gpu_id, vram;
		snprintf(path, sizeof path, "%s/queues/%s/gpuid", dir, de->d_name);
		if (de->d_name[0] == '.' || sysfs_read_u64(path, &gpu_id) ||
		    kfd_gpu_bdf(sysfs_root, gpu_id, bdf, sizeof bdf))
			continue;
		struct proc_device *dev = find_or_add(e, PROC_DEV_GPU, bdf);
		if (!dev)
			continue;
		dev->used = true;
		snprintf(path, sizeof path, "%s/vram_%llu", dir, (unsigned long long)gpu_id);
		if (sysfs_read_u64(path, &vram) == 0)
			dev->vram_bytes = (int64_t)vram;
	}
	if (d)
		closedir(d);
}

static void read_identity(const char *proc_root, int pid, struct proc_entry *e)
{
	char path[PATH_MAX], *text;
	snprintf(path, sizeof path, "%s/proc/%d/comm", proc_root, pid);
	sysfs_read_str(path, e->comm, sizeof e->comm);
	snprintf(path, sizeof path, "%s/proc/%d/cgroup", proc_root, pid);
	if (files_read(path, 1 << 16, &text, NULL) == 0) {
		cgroup_parse_proc(text, &e->pod);
		free(text);
	}
}

int procscan_run(const char *proc_root, const char *sysfs_root,
		 void (*fn)(const struct proc_entry *e, void *arg), void *arg)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/proc", proc_root ? proc_root : "");
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct proc_entry *e = calloc(1, sizeof *e);
	int reported = 0;
	struct dirent *de;
	while (e && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		memset(e, 0, sizeof *e);
		e->pid = pid;
		scan_fds(proc_root ? proc_root : "", sysfs_root, pid, e);
		scan_kfd(sysfs_root, pid, e);
		if (!e->ndevices)
			continue;
		read_identity(proc_root ? proc_root : "", pid, e);
		fn(e, arg);
		reported++;
	}
	closedir(d);
	free(e);
	return reported;
}
