/* procscan: /proc fds and KFD per-process entries to devices by BDF. */
#include "procscan.h"

#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
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

/* Device nodes resolved during one scan: ROCm processes hold a dozen
 * device fds each, and sysfs answers the same for every one of them. */
struct devcache {
	unsigned n;
	struct {
		dev_t rdev;
		enum devnode_kind kind;
		char id[40];
	} e[64];
};

static enum devnode_kind resolve_cached(struct devcache *c, const char *sysfs_root, dev_t rdev,
					char *id, size_t len)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->e[i].rdev == rdev) {
			snprintf(id, len, "%s", c->e[i].id);
			return c->e[i].kind;
		}
	enum devnode_kind k = devnode_resolve(sysfs_root, major(rdev), minor(rdev), id, len);
	if (c->n < sizeof c->e / sizeof c->e[0]) {
		c->e[c->n].rdev = rdev;
		c->e[c->n].kind = k;
		snprintf(c->e[c->n].id, sizeof c->e[c->n].id, "%s", id);
		c->n++;
	}
	return k;
}

/* "12345 KiB" -> bytes; -1 when it does not parse or does not fit. */
static int64_t fdinfo_size(const char *v)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (end == v || n < 0 || errno)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	int64_t unit = strncmp(end, "KiB", 3) == 0 ? 1LL << 10
		       : strncmp(end, "MiB", 3) == 0 ? 1LL << 20
		       : strncmp(end, "GiB", 3) == 0 ? 1LL << 30
						     : 1;
	return n > INT64_MAX / unit ? -1 : n * unit;
}

int procscan_parse_drm_fdinfo(const char *text, struct drm_fdinfo *out)
{
	memset(out, 0, sizeof *out);
	out->vram_bytes = -1;
	int vram_rank = 0; /* resident > memory > total */
	for (const char *line = text, *eol; *line; line = eol ? eol + 1 : line + strlen(line)) {
		const char *colon = strchr(line, ':');
		eol = strchr(line, '\n');
		if (!colon || (eol && colon > eol))
			continue;
		const char *v = colon + 1 + strspn(colon + 1, " \t");
		size_t klen = (size_t)(colon - line);
		int rank = 0;
		if (klen == 8 && strncmp(line, "drm-pdev", 8) == 0)
			snprintf(out->pdev, sizeof out->pdev, "%.*s", (int)strcspn(v, " \t\n"), v);
		else if (klen > 11 && strncmp(line, "drm-engine-", 11) == 0 && fdinfo_size(v) > 0)
			out->engine_busy = true;
		else if (klen == 17 && strncmp(line, "drm-resident-vram", 17) == 0)
			rank = 3;
		else if (klen == 15 && strncmp(line, "drm-memory-vram", 15) == 0)
			rank = 2;
		else if (klen == 14 && strncmp(line, "drm-total-vram", 14) == 0)
			rank = 1;
		if (rank > vram_rank && fdinfo_size(v) >= 0) {
			out->vram_bytes = fdinfo_size(v);
			vram_rank = rank;
		}
	}
	return out->pdev[0] ? 0 : -ENOENT;
}

/* DRM usage of a GPU fd where the kernel reports it: engine time means
 * the process ran work there; VRAM stands in where KFD gives none. */
static void drm_usage(int fdinfo_dir, const char *name, struct proc_device *d)
{
	char buf[4096];
	int fd = openat(fdinfo_dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	struct drm_fdinfo fi;
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (procscan_parse_drm_fdinfo(buf, &fi) || strcasecmp(fi.pdev, d->id) != 0)
		return;
	d->used |= fi.engine_busy;
	if (fi.vram_bytes > d->vram_bytes)
		d->vram_bytes = fi.vram_bytes;
}

/* The names a GPU or HCA node has, in the host's /dev or a container's. */
static bool device_path(const char *target)
{
	return strcmp(target, "/dev/kfd") == 0 || strncmp(target, "/dev/dri/", 9) == 0 ||
	       strncmp(target, "/dev/infiniband/", 16) == 0;
}

/* One fd: a device node we care about, or nothing. The link text decides
 * first, so an ordinary fd costs one readlink and no stat. */
static void classify_fd(const char *sysfs_root, int dirfd, int fdinfo_dir, const char *name,
			struct devcache *cache, struct proc_entry *e)
{
	char target[PATH_MAX], id[40];
	ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	struct stat st;
	if (!device_path(target) || fstatat(dirfd, name, &st, 0) || !S_ISCHR(st.st_mode))
		return;
	static const enum proc_dev_kind kinds[] = {
		[DEVNODE_KFD] = PROC_DEV_KFD, [DEVNODE_GPU] = PROC_DEV_GPU, [DEVNODE_IB] = PROC_DEV_IB};
	enum devnode_kind k = resolve_cached(cache, sysfs_root, st.st_rdev, id, sizeof id);
	struct proc_device *d = k == DEVNODE_OTHER ? NULL : find_or_add(e, kinds[k], id);
	if (!d)
		return;
	d->held = true;
	if (k == DEVNODE_GPU && fdinfo_dir >= 0)
		drm_usage(fdinfo_dir, name, d);
}

static void scan_fds(const char *proc_root, const char *sysfs_root, int pid,
		     struct devcache *cache, struct proc_entry *e)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/proc/%d/fd", proc_root, pid);
	DIR *d = opendir(dir);
	if (!d)
		return; /* gone, or not ours to read */
	snprintf(dir, sizeof dir, "%s/proc/%d/fdinfo", proc_root, pid);
	int fdinfo_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	while ((de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			classify_fd(sysfs_root, dirfd(d), fdinfo_dir, de->d_name, cache, e);
	if (fdinfo_dir >= 0)
		close(fdinfo_dir);
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

static void read_pod(const char *proc_root, int pid, struct proc_entry *e)
{
	char path[PATH_MAX], *text;
	snprintf(path, sizeof path, "%s/proc/%d/cgroup", proc_root, pid);
	if (files_read(path, 1 << 16, &text, NULL) == 0) {
		cgroup_parse_proc(text, &e->pod);
		free(text);
	}
}

static void read_comm(const char *proc_root, int pid, struct proc_entry *e)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/proc/%d/comm", proc_root, pid);
	sysfs_read_str(path, e->comm, sizeof e->comm);
}

/* What the walk found for one process, kept between passes. */
struct fdstate {
	int pid;
	long nfds;          /* st_size of /proc/<pid>/fd: the open fd count */
	dev_t exe_dev;      /* the executable: an exec (runc init -> the entrypoint, */
	ino_t exe_ino;      /* nsenter -> its command) may keep the fd count */
	struct cgroup_pod pod;
	int ndevices;
	struct proc_device *devices; /* held only */
};

struct procscan {
	char *proc_root, *sysfs_root;
	int flags;
	unsigned passes;
	struct devcache cache;
	struct fdstate *states, *next; /* sorted by pid */
	int nstates, nnext, capnext;
};

struct procscan *procscan_new(const char *proc_root, const char *sysfs_root, int flags)
{
	struct procscan *ps = xcalloc(1, sizeof *ps);
	ps->proc_root = xstrdup(proc_root ? proc_root : "");
	ps->sysfs_root = xstrdup(sysfs_root ? sysfs_root : "");
	ps->flags = flags;
	return ps;
}

static void free_states(struct fdstate *s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i].devices);
	free(s);
}

void procscan_free(struct procscan *ps)
{
	if (!ps)
		return;
	free_states(ps->states, ps->nstates);
	free_states(ps->next, ps->nnext);
	free(ps->proc_root);
	free(ps->sysfs_root);
	free(ps);
}

static struct fdstate *find_state(struct procscan *ps, int pid)
{
	int lo = 0, hi = ps->nstates - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (ps->states[mid].pid == pid)
			return &ps->states[mid];
		if (ps->states[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* What says a process may have changed since the last pass: its open fd
 * count (-1 where the kernel does not say: before Linux 6.2 the fd
 * directory's size is 0) and its executable. */
static void fingerprint(const struct procscan *ps, int pid, struct fdstate *f)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/proc/%d/fd", ps->proc_root, pid);
	f->nfds = stat(path, &st) == 0 && st.st_size > 0 ? (long)st.st_size : -1;
	snprintf(path, sizeof path, "%s/proc/%d/exe", ps->proc_root, pid);
	if (stat(path, &st) == 0)
		f->exe_dev = st.st_dev, f->exe_ino = st.st_ino;
}

static void remember(struct procscan *ps, const struct proc_entry *e, const struct fdstate *f)
{
	if (ps->nnext == ps->capnext) {
		ps->capnext = ps->capnext ? ps->capnext * 2 : 64;
		ps->next = xrealloc(ps->next, sizeof *ps->next * (size_t)ps->capnext);
	}
	struct fdstate *st = &ps->next[ps->nnext++];
	*st = *f;
	st->pid = e->pid;
	st->pod = e->pod;
	st->ndevices = e->ndevices;
	st->devices = NULL;
	if (e->ndevices) {
		st->devices = xmalloc(sizeof *st->devices * (size_t)e->ndevices);
		memcpy(st->devices, e->devices, sizeof *st->devices * (size_t)e->ndevices);
	}
}

/* The pod and held devices of e: read again only when the process is new,
 * its fd count changed, or on a full pass; else the last answer stands. */
static void identify(struct procscan *ps, bool full, struct proc_entry *e)
{
	struct fdstate now = {0};
	fingerprint(ps, e->pid, &now);
	const struct fdstate *old = full || now.nfds < 0 ? NULL : find_state(ps, e->pid);
	if (old && old->nfds == now.nfds && old->exe_dev == now.exe_dev &&
	    old->exe_ino == now.exe_ino) {
		e->pod = old->pod;
		e->ndevices = old->ndevices;
		if (old->ndevices)
			memcpy(e->devices, old->devices, sizeof *e->devices * (size_t)old->ndevices);
	} else {
		/* Pods only: the cgroup first, so the fds of a process outside
		 * pods are never walked. */
		read_pod(ps->proc_root, e->pid, e);
		if (!(ps->flags & PROCSCAN_PODS_ONLY) || (e->pod.in_pod && !e->pod.conmon))
			scan_fds(ps->proc_root, ps->sysfs_root, e->pid, &ps->cache, e);
	}
	remember(ps, e, &now);
}

/* One process; true when it holds or uses a device (and is wanted). */
static bool scan_process(struct procscan *ps, bool full, struct proc_entry *e)
{
	identify(ps, full, e);
	if ((ps->flags & PROCSCAN_PODS_ONLY) && (!e->pod.in_pod || e->pod.conmon))
		return false;
	scan_kfd(ps->sysfs_root, e->pid, e);
	if (!e->ndevices)
		return false;
	read_comm(ps->proc_root, e->pid, e);
	return true;
}

static int cmp_pid(const void *a, const void *b)
{
	return ((const struct fdstate *)a)->pid - ((const struct fdstate *)b)->pid;
}

int procscan_scan(struct procscan *ps, void (*fn)(const struct proc_entry *e, void *arg),
		  void *arg)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/proc", ps->proc_root);
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	bool full = ps->passes++ % PROCSCAN_FULL_EVERY == 0;
	if (full)
		ps->cache.n = 0; /* devices come and go too */
	struct proc_entry *e = xmalloc(sizeof *e);
	int reported = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		memset(e, 0, sizeof *e);
		e->pid = pid;
		if (scan_process(ps, full, e)) {
			fn(e, arg);
			reported++;
		}
	}
	closedir(d);
	free(e);
	/* This pass's states replace the last: exited processes drop out. */
	free_states(ps->states, ps->nstates);
	qsort(ps->next, (size_t)ps->nnext, sizeof *ps->next, cmp_pid);
	ps->states = ps->next, ps->nstates = ps->nnext;
	ps->next = NULL, ps->nnext = ps->capnext = 0;
	return reported;
}

int procscan_run(const char *proc_root, const char *sysfs_root, int flags,
		 void (*fn)(const struct proc_entry *e, void *arg), void *arg)
{
	struct procscan *ps = procscan_new(proc_root, sysfs_root, flags);
	int rc = procscan_scan(ps, fn, arg);
	procscan_free(ps);
	return rc;
}
