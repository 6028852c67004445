// SPDX-License-Identifier: GPL-2.0
/* signal.bpf.c: fatal and kill signals (SIGKILL, SIGTERM, SIGSEGV,
 * SIGBUS, SIGABRT, SIGILL, SIGFPE) sent to or by a process in a pod, with
 * sender (the current task) and target. */
#include "kevents_common.bpf.h"

#define WATCHED ((1u << 9) | (1u << 15) | (1u << 11) | (1u << 7) | (1u << 6) | (1u << 4) | (1u << 8))

SEC("tp_btf/signal_generate")
int BPF_PROG(kev_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	if (sig <= 0 || sig >= 32 || !(WATCHED & (1u << sig)))
		return 0;
	__u64 target_cg = kev_task_cgroup(task);
	if (!kev_in_pod(target_cg) && !kev_in_pod(bpf_get_current_cgroup_id()))
		return 0;
	struct kevent *e = kev_reserve(KEV_SIGNAL);
	if (!e)
		return 0;
	e->signal.sig = sig;
	e->signal.result = result;
	e->signal.target_pid = BPF_CORE_READ(task, pid);
	e->signal.target_tgid = BPF_CORE_READ(task, tgid);
	e->signal.target_cgroup = target_cg;
	BPF_CORE_READ_STR_INTO(&e->signal.target_comm, task, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
