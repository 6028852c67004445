// SPDX-License-Identifier: GPL-2.0
/* oom.bpf.c: OOM kills. In oom_kill_process() the current task is the
 * one that was allocating, not the victim: the victim is oc->chosen, and
 * the memcg (for a container limit) is oc->memcg. */
#include "kevents_common.bpf.h"

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(kev_oom, struct oom_control *oc, const char *message)
{
	struct task_struct *victim = BPF_CORE_READ(oc, chosen);
	if (!victim)
		return 0;
	struct kevent *e = kev_reserve(KEV_OOM_KILL);
	if (!e)
		return 0;
	e->oom.victim_pid = BPF_CORE_READ(victim, pid);
	e->oom.victim_tgid = BPF_CORE_READ(victim, tgid);
	e->oom.victim_cgroup = kev_task_cgroup(victim);
	BPF_CORE_READ_STR_INTO(&e->oom.victim_comm, victim, comm);
	struct mem_cgroup *memcg = BPF_CORE_READ(oc, memcg);
	e->oom.memcg_ino = memcg ? BPF_CORE_READ(memcg, css.cgroup, kn, id) : 0;
	e->oom.totalpages = BPF_CORE_READ(oc, totalpages);
	e->oom.constraint = BPF_CORE_READ(oc, constraint);
	e->oom.oom_score_adj = BPF_CORE_READ(victim, signal, oom_score_adj);
	/* rss_stat moved between kernels; the victim's mm counters are read
	 * where they exist, else left 0. */
	e->oom.rss_pages = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
