// SPDX-License-Identifier: GPL-2.0
/* proc.bpf.c: exits and execs of processes in pod cgroups. The exit
 * tracepoint has no exit code: task->exit_code is read through BTF. Only
 * thread-group leaders are reported (one event per process, not per
 * thread). */
#include "kevents_common.bpf.h"

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kev_exit, struct task_struct *task)
{
	__u32 pid = BPF_CORE_READ(task, pid), tgid = BPF_CORE_READ(task, tgid);
	if (pid != tgid || !kev_in_pod(kev_task_cgroup(task)))
		return 0;
	struct kevent *e = kev_reserve(KEV_EXIT);
	if (!e)
		return 0;
	e->exit.exit_code = BPF_CORE_READ(task, exit_code);
	e->exit.threads_left = BPF_CORE_READ(task, signal, nr_threads);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int kev_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	if (!kev_in_pod(bpf_get_current_cgroup_id()))
		return 0;
	struct kevent *e = kev_reserve(KEV_EXEC);
	if (!e)
		return 0;
	unsigned off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->exec.filename, sizeof e->exec.filename, (void *)ctx + off);
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	unsigned long start = BPF_CORE_READ(t, mm, arg_start), end = BPF_CORE_READ(t, mm, arg_end);
	__u32 len = end > start ? end - start : 0;
	if (len > KEV_ARGS_LEN - 1)
		len = KEV_ARGS_LEN - 1;
	e->exec.args_len = 0;
	if (bpf_probe_read_user(e->exec.args, len & (KEV_ARGS_LEN - 1), (void *)start) == 0)
		e->exec.args_len = len & (KEV_ARGS_LEN - 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A pod's or container's cgroup is in the pod set from its creation, so
 * the exec that starts a container is not missed while the agent's next
 * walk of the hierarchy is still to come. The kubelet's layouts all have
 * "kubepods" in the path. */
#define MKDIR_PATH 256

static __always_inline bool kubepods_path(const char *p)
{
	for (int i = 0; i + 8 <= MKDIR_PATH; i++) {
		if (!p[i])
			return false;
		if (p[i] == 'k' && p[i + 1] == 'u' && p[i + 2] == 'b' && p[i + 3] == 'e' &&
		    p[i + 4] == 'p' && p[i + 5] == 'o' && p[i + 6] == 'd' && p[i + 7] == 's')
			return true;
	}
	return false;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[MKDIR_PATH + 8]);
} mkdir_path SEC(".maps");

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(kev_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	__u32 zero = 0;
	char *buf = bpf_map_lookup_elem(&mkdir_path, &zero);
	if (!buf)
		return 0;
	__builtin_memset(buf, 0, MKDIR_PATH + 8);
	if (bpf_probe_read_kernel_str(buf, MKDIR_PATH, path) <= 0 || !kubepods_path(buf))
		return 0;
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	__u8 one = 1;
	bpf_map_update_elem(&pod_cgroups, &id, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(kev_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_delete_elem(&pod_cgroups, &id);
	return 0;
}
