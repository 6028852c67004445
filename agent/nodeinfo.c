/* nodeinfo: node identity and description from the kernel and /proc. */
#include "nodeinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "files.h"

/* The value of "key<sep>value" on the first line that starts with key;
 * a sep of ' ' means any run of blanks. */
static int find_field(const char *text, const char *key, char sep, char *out, size_t len)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, klen) != 0)
			continue;
		const char *v = line + klen;
		if (sep == ' ' && *v != ' ' && *v != '\t')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (sep != ' ' && *v++ != sep)
			continue;
		while (*v == ' ' || *v == '\t' || *v == '"')
			v++;
		size_t n = strcspn(v, "\n");
		while (n && (v[n - 1] == '"' || v[n - 1] == ' '))
			n--;
		snprintf(out, len, "%.*s", (int)n, v);
		return 0;
	}
	return -ENOENT;
}

static void read_field(const char *path, const char *key, char sep, char *out, size_t len)
{
	char *text;
	if (files_read(path, 1 << 20, &text, NULL) == 0) {
		find_field(text, key, sep, out, len);
		free(text);
	}
}

static void lowercase(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int nodeinfo_collect(struct nodeinfo *ni, const char *name_override, const char *host_root,
		     char *err, size_t errlen)
{
	memset(ni, 0, sizeof *ni);
	struct utsname u;
	uname(&u);
	snprintf(ni->kernel_release, sizeof ni->kernel_release, "%s", u.release);
	snprintf(ni->kernel_version, sizeof ni->kernel_version, "%s", u.version);
	snprintf(ni->arch, sizeof ni->arch, "%s", u.machine);
	gethostname(ni->hostname, sizeof ni->hostname - 1);

	const char *env = getenv("NODE_NAME");
	const char *name = name_override && *name_override ? name_override
			   : env && *env			   ? env
								   : ni->hostname;
	snprintf(ni->node_name, sizeof ni->node_name, "%s", name);
	if (!name_override || !*name_override)
		lowercase(ni->node_name); /* Kubernetes node names are lowercase */
	if (!envelope_valid_node_name(ni->node_name)) {
		snprintf(err, errlen, "node name \"%s\" is not a valid DNS name; set --node-name",
			 ni->node_name);
		return -EINVAL;
	}
	int rc = files_read_line("/proc/sys/kernel/random/boot_id", ni->boot_id,
				 sizeof ni->boot_id);
	if (rc || !envelope_valid_uuid(ni->boot_id)) {
		snprintf(err, errlen, "cannot read the boot id from /proc/sys/kernel/random/boot_id");
		return rc ? rc : -EINVAL;
	}

	char path[4096];
	snprintf(path, sizeof path, "%s/etc/os-release", host_root ? host_root : "");
	read_field(path, "PRETTY_NAME", '=', ni->os_image, sizeof ni->os_image);
	read_field("/proc/cpuinfo", "model name", ':', ni->cpu_model, sizeof ni->cpu_model);
	char v[64] = "";
	read_field("/proc/meminfo", "MemTotal", ':', v, sizeof v);
	ni->memory_bytes = strtoull(v, NULL, 10) * 1024; /* "16314748 kB" */
	v[0] = '\0';
	read_field("/proc/stat", "btime", ' ', v, sizeof v);
	ni->boot_unix_s = strtoll(v, NULL, 10);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	ni->cpu_count = n > 0 ? (unsigned)n : 0;
	return 0;
}

void nodeinfo_to_proto(const struct nodeinfo *ni, Lens__V1__NodeInfo *pb)
{
	pb->hostname = (char *)ni->hostname;
	pb->kernel_release = (char *)ni->kernel_release;
	pb->kernel_version = (char *)ni->kernel_version;
	pb->os_image = (char *)ni->os_image;
	pb->architecture = (char *)ni->arch;
	pb->cpu_model = (char *)ni->cpu_model;
	pb->cpu_count = ni->cpu_count;
	pb->memory_bytes = ni->memory_bytes;
	pb->boot_unix_s = ni->boot_unix_s;
}
