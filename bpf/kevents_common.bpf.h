/* kevents_common.bpf.h: what every kernel-event program shares: the ring
 * buffer, the lost-record counter, the set of pod cgroups, and the
 * reservation helper. Each program's object declares these maps; the
 * agent loads the first object and points the others at its maps
 * (bpf_map__reuse_fd), so there is one ring buffer and one pod set. */
#ifndef LENS_KEVENTS_COMMON_BPF_H
#define LENS_KEVENTS_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kevent.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* the agent may resize it before loading */
} events SEC(".maps");

/* The ring buffer says nothing when it is full: count it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KEV_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* cgroup v2 ids of pod and container cgroups, kept by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} pod_cgroups SEC(".maps");

/* Set by the agent before loading: report every process, not only pods'. */
const volatile bool watch_all = false;

static __always_inline bool kev_in_pod(__u64 cgroup)
{
	return watch_all || bpf_map_lookup_elem(&pod_cgroups, &cgroup) != NULL;
}

static __always_inline __u64 kev_task_cgroup(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

/* A record with the header filled, or NULL (counted) when the ring is full. */
static __always_inline struct kevent *kev_reserve(__u32 type)
{
	struct kevent *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			(*n)++;
		return NULL;
	}
	__u64 id = bpf_get_current_pid_tgid();
	e->type = type;
	e->cpu = bpf_get_smp_processor_id();
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof e->comm);
	return e;
}

#endif
