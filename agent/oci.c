/* oci: config.json per container, cached by (inode, mtime, size). */
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "files.h"

#define OCI_MAX_SPEC (4u << 20)

struct entry {
	struct oci_container c;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	bool container;  /* false: a sandbox or unparsable, kept to skip it next time */
	bool seen;
};

struct oci {
	char **dirs;
	int ndirs;
	char *sysfs_root;
	struct entry *entries;
	int n, cap;
	struct oci_container *out;
	bool available;
};

/* The first annotation of a list that is present. */
static const char *annotation(const json_t *a, const char *containerd, const char *crio)
{
	const char *v = json_string_value(json_object_get(a, containerd));
	return v ? v : json_string_value(json_object_get(a, crio));
}

static void parse_devices(const json_t *spec, const char *sysfs_root, struct oci_container *c)
{
	json_t *d;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(spec, "linux"), "devices"), i, d) {
		json_int_t maj = json_integer_value(json_object_get(d, "major"));
		json_int_t min = json_integer_value(json_object_get(d, "minor"));
		const char *type = json_string_value(json_object_get(d, "type"));
		if (!type || strcmp(type, "c") != 0 || maj <= 0 || min < 0 ||
		    c->ndevices == OCI_MAX_DEVICES)
			continue;
		struct oci_device *od = &c->devices[c->ndevices];
		od->kind = devnode_resolve(sysfs_root, (unsigned)maj, (unsigned)min, od->id,
					   sizeof od->id);
		if (od->kind == DEVNODE_GPU || od->kind == DEVNODE_IB)
			c->ndevices++;
	}
}

int oci_parse_spec(const char *text, size_t len, const char *sysfs_root,
		   struct oci_container *c)
{
	json_t *spec = json_loadb(text, len, 0, NULL);
	const json_t *a = json_object_get(spec, "annotations");
	const char *type = annotation(a, "io.kubernetes.cri.container-type",
				      "io.kubernetes.cri-o.ContainerType");
	const char *uid = annotation(a, "io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid");
	const char *name = annotation(a, "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name");
	const char *ns = annotation(a, "io.kubernetes.cri.sandbox-namespace",
				    "io.kubernetes.pod.namespace");
	const char *ctr = annotation(a, "io.kubernetes.cri.container-name",
				     "io.kubernetes.container.name");
	int rc = -EINVAL;
	if (type && strcmp(type, "sandbox") == 0) {
		rc = 1;
	} else if (uid && name && ns && ctr) {
		snprintf(c->pod_uid, sizeof c->pod_uid, "%s", uid);
		snprintf(c->pod_name, sizeof c->pod_name, "%s", name);
		snprintf(c->pod_namespace, sizeof c->pod_namespace, "%s", ns);
		snprintf(c->name, sizeof c->name, "%s", ctr);
		c->ndevices = 0;
		parse_devices(spec, sysfs_root, c);
		rc = 0;
	}
	json_decref(spec);
	return rc;
}

struct oci *oci_new(const char *dirs, const char *sysfs_root)
{
	struct oci *o = xcalloc(1, sizeof *o);
	char *copy = xstrdup(dirs ? dirs : ""), *save = NULL;
	for (char *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		o->dirs = xrealloc(o->dirs, sizeof(char *) * (size_t)(o->ndirs + 1));
		o->dirs[o->ndirs++] = xstrdup(d);
	}
	free(copy);
	o->sysfs_root = xstrdup(sysfs_root ? sysfs_root : "");
	return o;
}

void oci_free(struct oci *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->ndirs; i++)
		free(o->dirs[i]);
	free(o->dirs);
	free(o->sysfs_root);
	free(o->entries);
	free(o->out);
	free(o);
}

static struct entry *find_entry(struct oci *o, const char *id)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->entries[i].c.id, id) == 0)
			return &o->entries[i];
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->entries = xrealloc(o->entries, sizeof *o->entries * (size_t)o->cap);
	}
	struct entry *e = &o->entries[o->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->c.id, sizeof e->c.id, "%s", id);
	return e;
}

/* One container's spec: parsed again only when the file changed. */
static void visit(struct oci *o, const char *id, const char *path, const struct stat *st,
		  int *errors)
{
	struct entry *e = find_entry(o, id);
	e->seen = true;
	if (e->ino == st->st_ino && e->size == st->st_size &&
	    e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec)
		return;
	e->ino = st->st_ino, e->size = st->st_size, e->mtime = st->st_mtim;
	char *text;
	size_t len;
	e->container = false;
	if (files_read(path, OCI_MAX_SPEC, &text, &len)) {
		(*errors)++;
		return;
	}
	int rc = oci_parse_spec(text, len, o->sysfs_root, &e->c);
	free(text);
	e->container = rc == 0;
	if (rc < 0)
		(*errors)++;
}

static void scan_dir(struct oci *o, const char *dir, int *errors)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (d)
		o->available = true;
	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/config.json", dir, de->d_name);
		if (stat(path, &st) != 0)
			snprintf(path, sizeof path, "%s/%s/userdata/config.json", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			visit(o, de->d_name, path, &st, errors);
	}
	if (d)
		closedir(d);
}

int oci_scan(struct oci *o, const struct oci_container **list, int *errors)
{
	*errors = 0;
	o->available = false;
	for (int i = 0; i < o->n; i++)
		o->entries[i].seen = false;
	for (int i = 0; i < o->ndirs; i++)
		scan_dir(o, o->dirs[i], errors);
	/* Drop containers whose state directory went away; collect the rest. */
	int k = 0, n = 0;
	for (int i = 0; i < o->n; i++)
		if (o->entries[i].seen)
			o->entries[k++] = o->entries[i];
	o->n = k;
	o->out = xrealloc(o->out, sizeof *o->out * (size_t)(k ? k : 1));
	for (int i = 0; i < k; i++)
		if (o->entries[i].container)
			o->out[n++] = o->entries[i].c;
	*list = o->out;
	return n;
}

bool oci_available(const struct oci *o)
{
	return o->available;
}
