/* cgindex: a sorted array of (id, pod) rebuilt per walk, under a lock
 * (the walk runs on one thread, lookups on the ring buffer's). */
#include "cgindex.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"

struct cgentry {
	uint64_t id;
	struct cgroup_pod pod;
};

struct cgindex {
	char root[PATH_MAX];
	pthread_mutex_t lock;
	struct cgentry *items; /* sorted by id */
	int n, capitems;
	struct cgentry *next;  /* the walk in progress */
	int nnext, capnext;
};

/* The first cgroup2 mount point in mountinfo. */
static int find_root(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int rc = -ENOENT;
	while (f && rc && fgets(line, sizeof line, f)) {
		char mnt[PATH_MAX], fstype[64];
		const char *sep = strstr(line, " - ");
		if (sep && sscanf(sep, " - %63s", fstype) == 1 && strcmp(fstype, "cgroup2") == 0 &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(out, len, "%s", mnt);
			rc = 0;
		}
	}
	if (f)
		fclose(f);
	return rc;
}

struct cgindex *cgindex_new(const char *root, char *err, size_t errlen)
{
	struct cgindex *ci = xcalloc(1, sizeof *ci);
	if (root && *root)
		snprintf(ci->root, sizeof ci->root, "%s", root);
	else if (find_root(ci->root, sizeof ci->root)) {
		snprintf(err, errlen, "no cgroup v2 hierarchy is mounted");
		free(ci);
		return NULL;
	}
	pthread_mutex_init(&ci->lock, NULL);
	return ci;
}

void cgindex_free(struct cgindex *ci)
{
	if (!ci)
		return;
	pthread_mutex_destroy(&ci->lock);
	free(ci->items);
	free(ci->next);
	free(ci);
}

const char *cgindex_root(const struct cgindex *ci)
{
	return ci->root;
}

static void add_next(struct cgindex *ci, uint64_t id, const struct cgroup_pod *pod)
{
	if (ci->nnext == ci->capnext) {
		ci->capnext = ci->capnext ? ci->capnext * 2 : 256;
		ci->next = xrealloc(ci->next, sizeof *ci->next * (size_t)ci->capnext);
	}
	ci->next[ci->nnext++] = (struct cgentry){id, *pod};
}

/* Depth-first; path is relative to the root ("" or "/a/b"). Pod cgroups
 * have no pods below them, but containers: the walk goes on below a pod
 * and stops below a container. */
static void walk(struct cgindex *ci, char *path, size_t len, int depth)
{
	char full[PATH_MAX * 2];
	snprintf(full, sizeof full, "%s%s", ci->root, path);
	DIR *d = opendir(full);
	if (!d || depth > 12) {
		if (d)
			closedir(d);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		size_t old = strlen(path);
		if (old + strlen(de->d_name) + 2 > len)
			continue;
		snprintf(path + old, len - old, "/%s", de->d_name);
		struct cgroup_pod pod;
		struct stat st;
		snprintf(full, sizeof full, "%s%s", ci->root, path);
		if (cgroup_parse_path(path, &pod) == 0 && pod.in_pod && stat(full, &st) == 0)
			add_next(ci, (uint64_t)st.st_ino, &pod);
		if (!(pod.in_pod && pod.container_id[0]))
			walk(ci, path, len, depth + 1);
		path[old] = '\0';
	}
	closedir(d);
}

static int cmp_entry(const void *a, const void *b)
{
	uint64_t x = ((const struct cgentry *)a)->id, y = ((const struct cgentry *)b)->id;
	return (x > y) - (x < y);
}

static const struct cgentry *find(const struct cgentry *items, int n, uint64_t id)
{
	struct cgentry key = {.id = id};
	return n ? bsearch(&key, items, (size_t)n, sizeof *items, cmp_entry) : NULL;
}

int cgindex_refresh(struct cgindex *ci, void (*added)(uint64_t id, void *arg),
		    void (*removed)(uint64_t id, void *arg), void *arg)
{
	char path[PATH_MAX] = "";
	ci->nnext = 0;
	walk(ci, path, sizeof path, 0);
	if (ci->nnext)
		qsort(ci->next, (size_t)ci->nnext, sizeof *ci->next, cmp_entry);
	for (int i = 0; added && i < ci->nnext; i++)
		if (!find(ci->items, ci->n, ci->next[i].id))
			added(ci->next[i].id, arg);
	for (int i = 0; removed && i < ci->n; i++)
		if (!find(ci->next, ci->nnext, ci->items[i].id))
			removed(ci->items[i].id, arg);
	/* The two arrays swap roles: no allocation on a quiet node. */
	pthread_mutex_lock(&ci->lock);
	struct cgentry *old = ci->items;
	int oldcap = ci->capitems;
	ci->items = ci->next, ci->capitems = ci->capnext;
	ci->n = ci->nnext;
	pthread_mutex_unlock(&ci->lock);
	ci->next = old, ci->capnext = oldcap;
	ci->nnext = 0;
	return ci->n;
}

int cgindex_lookup(struct cgindex *ci, uint64_t id, struct cgroup_pod *out)
{
	pthread_mutex_lock(&ci->lock);
	const struct cgentry *e = find(ci->items, ci->n, id);
	if (e)
		*out = e->pod;
	pthread_mutex_unlock(&ci->lock);
	return e ? 0 : -ENOENT;
}
