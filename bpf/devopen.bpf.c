// SPDX-License-Identifier: GPL-2.0
/* devopen.bpf.c: a pod process opening a GPU or HCA device node (/dev/kfd,
 * /dev/dri/..., /dev/infiniband/...). The agent does not store these: each
 * one makes the pod mapping rescan at once instead of at its next tick.
 * Only the path prefix is looked at, so ordinary opens cost a string read. */
#include "kevents_common.bpf.h"

struct openat_args {
	struct trace_entry ent;
	int nr;
	long dfd;
	const char *filename;
	long flags;
	long mode;
};

static __always_inline bool device_path(const char *p)
{
	if (p[0] != '/' || p[1] != 'd' || p[2] != 'e' || p[3] != 'v' || p[4] != '/')
		return false;
	if (p[5] == 'k' && p[6] == 'f' && p[7] == 'd' && p[8] == '\0')
		return true;
	if (p[5] == 'd' && p[6] == 'r' && p[7] == 'i' && p[8] == '/')
		return true;
	return p[5] == 'i' && p[6] == 'n' && p[7] == 'f' && p[8] == 'i' && p[9] == 'n' &&
	       p[10] == 'i' && p[11] == 'b' && p[12] == 'a' && p[13] == 'n' && p[14] == 'd' &&
	       p[15] == '/';
}

SEC("tp/syscalls/sys_enter_openat")
int kev_devopen(struct openat_args *ctx)
{
	char path[KEV_NAME_LEN] = {};
	if (!kev_in_pod(bpf_get_current_cgroup_id()) ||
	    bpf_probe_read_user_str(path, sizeof path, ctx->filename) <= 5 || !device_path(path))
		return 0;
	struct kevent *e = kev_reserve(KEV_DEVICE_OPEN);
	if (!e)
		return 0;
	__builtin_memcpy(e->open.path, path, sizeof path);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
