// SPDX-License-Identifier: GPL-2.0
/* oom.bpf.c: OOM kills. The current task is the one that was allocating,
 * not the victim, in both hooks: oom:mark_victim carries the victim task
 * (Linux 6.8 and later), oom_kill_process() has it as oc->chosen with the
 * OOM's memcg and constraint. The agent attaches the tracepoint where the
 * kernel has it, else the kprobe. */
#include "kevents_common.bpf.h"

/* The victim's memory cgroup: its inode and limit (pages). */
static __always_inline void victim_memcg(struct task_struct *victim, struct kev_oom *o)
{
	struct css_set *cs = BPF_CORE_READ(victim, cgroups);
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	if (!cs || id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return;
	bpf_probe_read_kernel(&css, sizeof css, &cs->subsys[id]);
	if (!css)
		return;
	o->memcg_ino = BPF_CORE_READ(css, cgroup, kn, id);
	/* css is the first member of struct mem_cgroup. */
	o->totalpages = BPF_CORE_READ((struct mem_cgroup *)css, memory.max);
}

static __always_inline void victim(struct task_struct *t, struct kev_oom *o)
{
	o->victim_pid = BPF_CORE_READ(t, pid);
	o->victim_tgid = BPF_CORE_READ(t, tgid);
	o->victim_cgroup = kev_task_cgroup(t);
	o->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	BPF_CORE_READ_STR_INTO(&o->victim_comm, t, comm);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(kev_oom_victim, struct task_struct *task, unsigned int uid)
{
	struct kevent *e = kev_reserve(KEV_OOM_KILL);
	if (!e)
		return 0;
	victim(task, &e->oom);
	e->oom.constraint = -1; /* the tracepoint does not say */
	victim_memcg(task, &e->oom);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(kev_oom, struct oom_control *oc, const char *message)
{
	struct task_struct *t = BPF_CORE_READ(oc, chosen);
	if (!t)
		return 0;
	struct kevent *e = kev_reserve(KEV_OOM_KILL);
	if (!e)
		return 0;
	victim(t, &e->oom);
	victim_memcg(t, &e->oom);
	e->oom.totalpages = BPF_CORE_READ(oc, totalpages);
	e->oom.constraint = BPF_CORE_READ(oc, constraint);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
