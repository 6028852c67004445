/* cgroup: kubelet cgroup layouts to pod UID, QoS class and container. */
#include "cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A pod UID as it appears in a path: with dashes (cgroupfs) or with
 * underscores (systemd escapes '-' in unit names). */
static int parse_uid(const char *s, size_t len, char *out, size_t outlen)
{
	if (len != 36 || outlen < 37)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? (c != '-' && c != '_') : !isxdigit((unsigned char)c))
			return -EINVAL;
		out[i] = dash ? '-' : (char)tolower((unsigned char)c);
	}
	out[36] = '\0';
	return 0;
}

static bool all_hex(const char *s, size_t len)
{
	if (len < 12 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* One path component that holds the pod: "pod<uid>" (cgroupfs) or
 * "kubepods[-<qos>]-pod<uid>.slice" (systemd). */
static int parse_pod_component(const char *c, size_t len, struct cgroup_pod *out)
{
	const char *p = NULL;
	size_t n = 0;
	if (len > 3 && strncmp(c, "pod", 3) == 0) {
		p = c + 3;
		n = len - 3;
	} else if (len > 6 && strncmp(c + len - 6, ".slice", 6) == 0) {
		const char *pod = NULL;
		for (const char *q = c; q + 4 <= c + len; q++)
			if (strncmp(q, "-pod", 4) == 0)
				pod = q;
		if (!pod)
			return -ENOENT;
		p = pod + 4;
		n = (size_t)(c + len - 6 - p);
	} else {
		return -ENOENT;
	}
	return parse_uid(p, n, out->pod_uid, sizeof out->pod_uid);
}

/* The container scope below the pod: "cri-containerd-<id>.scope",
 * "crio-<id>.scope", "crio-conmon-<id>.scope", "docker-<id>.scope", or a
 * bare "<id>" (cgroupfs). */
static void parse_container(const char *c, size_t len, struct cgroup_pod *out)
{
	static const struct {
		const char *prefix, *runtime;
		bool conmon;
	} scopes[] = {{"cri-containerd-", "containerd", false},
		      {"crio-conmon-", "cri-o", true},
		      {"crio-", "cri-o", false},
		      {"docker-", "docker", false}};
	if (len > 6 && strncmp(c + len - 6, ".scope", 6) == 0) {
		for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
			size_t pl = strlen(scopes[i].prefix);
			if (len > pl + 6 && strncmp(c, scopes[i].prefix, pl) == 0 &&
			    all_hex(c + pl, len - pl - 6)) {
				snprintf(out->container_id, sizeof out->container_id, "%.*s",
					 (int)(len - pl - 6), c + pl);
				snprintf(out->runtime, sizeof out->runtime, "%s", scopes[i].runtime);
				out->conmon = scopes[i].conmon;
				return;
			}
		}
		return;
	}
	if (all_hex(c, len))
		snprintf(out->container_id, sizeof out->container_id, "%.*s", (int)len, c);
}

static void parse_qos(const char *c, size_t len, struct cgroup_pod *out)
{
	static const char *const classes[] = {"burstable", "besteffort"};
	for (size_t i = 0; i < 2; i++)
		if (memmem(c, len, classes[i], strlen(classes[i])))
			snprintf(out->qos, sizeof out->qos, "%s", classes[i]);
}

int cgroup_parse_path(const char *path, struct cgroup_pod *out)
{
	memset(out, 0, sizeof *out);
	/* The kubepods root may sit below other cgroups (kind, nested
	 * kubelets): start at its last occurrence. */
	const char *root = NULL;
	for (const char *q = strstr(path, "kubepods"); q; q = strstr(q + 1, "kubepods"))
		if (q == path || q[-1] == '/' || q[-1] == '-')
			root = q;
	if (!root)
		return 0;
	while (root > path && root[-1] != '/')
		root--;
	snprintf(out->qos, sizeof out->qos, "guaranteed");
	const char *c = root;
	bool have_pod = false;
	while (*c) {
		size_t len = strcspn(c, "/");
		if (!have_pod) {
			int rc = parse_pod_component(c, len, out);
			if (rc == 0)
				have_pod = true;
			else if (rc == -EINVAL)
				return -EINVAL;
			parse_qos(c, len, out);
		} else if (!out->container_id[0]) {
			parse_container(c, len, out);
		}
		c += len;
		while (*c == '/')
			c++;
	}
	out->in_pod = have_pod;
	if (!have_pod)
		out->qos[0] = '\0';
	return 0;
}

int cgroup_parse_proc(const char *text, struct cgroup_pod *out)
{
	memset(out, 0, sizeof *out);
	int rc = 0;
	bool from_v2 = false;
	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		/* hierarchy-id:controllers:path */
		const char *c1 = strchr(line, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *end = strchr(line, '\n');
		if (!c2 || (end && c2 > end))
			continue;
		char path[4096];
		size_t n = end ? (size_t)(end - c2 - 1) : strlen(c2 + 1);
		snprintf(path, sizeof path, "%.*s", (int)n, c2 + 1);
		bool v2 = strncmp(line, "0::", 3) == 0;
		struct cgroup_pod p;
		int r = cgroup_parse_path(path, &p);
		/* A line naming a pod beats one that does not; among those, the
		 * unified (v2) hierarchy beats the first v1 one. In hybrid mode
		 * the v2 line is often just "0::/". */
		if (p.in_pod && (!out->in_pod || (v2 && !from_v2))) {
			*out = p;
			rc = r;
			from_v2 = v2;
		} else if (r < 0 && !out->in_pod) {
			rc = r;
		}
	}
	return rc;
}
