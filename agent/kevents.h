/* kevents: the agent's kernel-event collector. Loads the eBPF programs of
 * bpf/ that this kernel supports (each one attached or reported
 * unavailable with the reason), keeps the set of pod cgroups the programs
 * filter on, drains the ring buffer on its own thread, decodes each
 * record (kevdecode), attributes it to node, pod, container and workload
 * through its cgroup id, rate-limits it per type and pod, and hands it to
 * a sink: the stream to the aggregator (kevstream) or stdout in watch
 * mode. Without eBPF the agent runs on and says why, once. */
#ifndef LENS_KEVENTS_H
#define LENS_KEVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prom.h"

struct podmap;

struct kevents_config {
	const char *node;
	bool watch_all;          /* exits, execs and signals of every process, not only pods' */
	size_t ring_bytes;       /* ring buffer size (power of two) */
	double rate_per_pod;     /* events per second, per type and pod (burst: twice that) */
	int64_t refresh_ns;      /* walk of the cgroup hierarchy for the pod set */
	const char *cgroup_root; /* "" finds the cgroup2 mount */
	bool drop_caps;          /* give up CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN after loading */
};

/* Called on the collector's thread with each event (a new reference). */
typedef void (*kevents_sink_fn)(json_t *event, void *arg);

struct kevents;

/* Loads and attaches what this kernel supports, and (cfg->drop_caps)
 * drops the privileges that took: call it before the agent starts other
 * threads, so they never hold them. Records wait in the ring buffer until
 * kevents_run. Returns 0 with *out, or a negative errno with err set when
 * nothing could be loaded (no BPF, no permission, no BTF): the caller runs
 * on without. */
int kevents_open(const struct kevents_config *cfg, struct prom_registry *reg,
		 struct kevents **out, char *err, size_t errlen);
/* Starts draining into sink. */
int kevents_run(struct kevents *k, kevents_sink_fn sink, void *arg);
/* Sets the pod-mapping collector once it runs (names for events; without
 * one, events carry pod UIDs only). */
void kevents_set_podmap(struct kevents *k, struct podmap *pm);
/* Who hears of a pod process opening a profiler trace for writing
 * (tgid, path as the process passed it); without one, such opens are
 * shown like any event. */
typedef void (*kevents_trace_fn)(void *arg, int tgid, const char *path);
void kevents_set_trace_fn(struct kevents *k, kevents_trace_fn fn, void *arg);
void kevents_stop(struct kevents *k);

/* [{"program", "status": "attached" | "unavailable", "reason"}] */
json_t *kevents_programs(struct kevents *k);

/* Mounts tracefs and bpffs where they are missing (what libbpf and the
 * tracepoint checks need). Returns 0 or a negative errno with err. */
int kevents_mount_fs(char *err, size_t errlen);

#endif
