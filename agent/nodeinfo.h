/* nodeinfo: who this node is (name, boot id) and what it is (kernel, OS,
 * CPU, memory), read from uname, /proc and os-release. */
#ifndef LENS_NODEINFO_H
#define LENS_NODEINFO_H

#include "envelope.h"

struct nodeinfo {
	char node_name[256];
	char boot_id[40];
	char hostname[256];
	char kernel_release[160];
	char kernel_version[280];
	char os_image[256];
	char arch[80];
	char cpu_model[256];
	unsigned cpu_count;
	unsigned long long memory_bytes;
	long long boot_unix_s;
};

/* name_override: --node-name, else NODE_NAME, else the hostname.
 * host_root: where the host's / is mounted ("/" outside a container).
 * Returns 0 or a negative errno with a message in err. */
int nodeinfo_collect(struct nodeinfo *ni, const char *name_override, const char *host_root,
		     char *err, size_t errlen);
/* Points the protobuf message's fields at ni's strings. */
void nodeinfo_to_proto(const struct nodeinfo *ni, Lens__V1__NodeInfo *pb);

#endif
