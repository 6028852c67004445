// SPDX-License-Identifier: GPL-2.0
/* devopen.bpf.c: the opens of pod processes the agent acts on, without
 * storing them: a GPU or HCA device node (/dev/kfd, /dev/dri/...,
 * /dev/infiniband/...) makes the pod mapping rescan at once instead of at
 * its next tick; a PyTorch profiler trace (*.pt.trace.json[.gz]) opened
 * for writing is handed to the profiler collector, wherever it is.
 * Only a path prefix, or a write-open's suffix, is looked at, so ordinary
 * opens cost a string read. */
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

#define TRACE_SUFFIX ".pt.trace.json"
#define TRACE_SUFFIX_GZ ".pt.trace.json.gz"

/* Whether p[0..n) ends with suf (k bytes); indexes masked for the verifier. */
static __always_inline bool ends_with(const char *p, int n, const char *suf, int k)
{
	if (n <= k)
		return false;
	for (int i = 0; i < k; i++)
		if (p[(n - k + i) & (KEV_ARGS_LEN - 1)] != suf[i])
			return false;
	return true;
}

/* O_WRONLY | O_RDWR (asm-generic/fcntl.h). */
#define OPEN_WRITE_FLAGS 3

static __always_inline bool trace_path(const char *p, int len)
{
	return ends_with(p, len - 1, TRACE_SUFFIX, sizeof TRACE_SUFFIX - 1) ||
	       ends_with(p, len - 1, TRACE_SUFFIX_GZ, sizeof TRACE_SUFFIX_GZ - 1);
}

SEC("tp/syscalls/sys_enter_openat")
int kev_devopen(struct openat_args *ctx)
{
	char path[KEV_ARGS_LEN] = {};
	if (!kev_in_pod(bpf_get_current_cgroup_id()))
		return 0;
	int len = bpf_probe_read_user_str(path, sizeof path, ctx->filename);
	if (len <= 5)
		return 0;
	if ((ctx->flags & OPEN_WRITE_FLAGS) && trace_path(path, len)) {
		struct kevent *e = kev_reserve(KEV_TRACE_OPEN);
		if (!e)
			return 0;
		e->trace_open.flags = (__s32)ctx->flags;
		__builtin_memcpy(e->trace_open.path, path, sizeof path);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	if (!device_path(path))
		return 0;
	struct kevent *e = kev_reserve(KEV_DEVICE_OPEN);
	if (!e)
		return 0;
	__builtin_memcpy(e->open.path, path, sizeof e->open.path);
	e->open.path[KEV_NAME_LEN - 1] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}
