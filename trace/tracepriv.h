/* tracepriv: what the trace analyzer's files share: the events kept from
 * a trace (compactly: GPU events, host events, flows) and the results the
 * passes compute. Not a public interface: trace.h is. */
#ifndef LENS_TRACEPRIV_H
#define LENS_TRACEPRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "i64map.h"
#include "interval.h"

enum tcat {
	TC_OTHER,
	TC_KERNEL,
	TC_MEMCPY,
	TC_MEMSET,
	TC_RUNTIME,   /* cuda_runtime (HIP runtime events use it too) */
	TC_DRIVER,    /* cuda_driver */
	TC_CPU_OP,
	TC_AC2G,      /* the flow that links a launch to its GPU event */
	TC_OLDFLOW,   /* async_cpu_to_gpu: older Kineto's name for it */
};

/* How a GPU event counts in the timeline (ANALYSIS.md §4). */
enum gclass { GC_COMP, GC_COMM, GC_MEMCPY };

/* NCCL/RCCL metadata of a communication kernel; NULL strings when absent. */
struct coll_meta {
	char *name, *pg_name, *pg_ranks, *dtype, *in_split, *out_split;
	int64_t group_size, in_nelems, out_nelems; /* -1 when absent */
};

struct gpu_ev {
	double ts, end;
	int64_t pid, tid, stream;
	int64_t corr, ext;
	uint32_t name, uid;
	int32_t parent;     /* the host event (runtime) that launched it, or -1 */
	int32_t next;       /* the next GPU event with the same linking key */
	int32_t coll;       /* index in colls, or -1 */
	uint8_t cat, cls;
	bool has_corr, has_ext, has_stream, memset;
};

struct host_ev {
	double ts, end;
	int64_t pid, tid;
	int64_t corr, ext;
	uint32_t name, uid;
	int32_t parent;     /* in the host call-stack tree, or -1 */
	int32_t launcher;   /* index in the launcher table, or -1 */
	uint8_t cat;
	bool has_corr, has_ext, in_tree;
};

struct trace {
	/* names, interned */
	char **names;
	uint32_t nnames, capnames;
	struct i64map name_ids;
	/* events kept */
	struct gpu_ev *gpu;
	uint32_t ngpu, capgpu;
	struct host_ev *host;
	uint32_t nhost, caphost;
	struct coll_meta *colls;
	uint32_t ncolls, capcolls;
	struct i64map flow_s, flow_f; /* flow id -> 1; flow id -> (pid, tid) slot */
	int64_t *fpid, *ftid;
	uint32_t nflowf, capflowf;
	/* what the intake saw */
	uint64_t events, bad_events, ac2g, oldflows;
	uint64_t max_kept;            /* GPU + host events kept before stopping */
	bool over_budget;
	bool key_decided, key_corr;   /* the linking key: correlation or External id */
	int64_t rank;                 /* distributedInfo.rank, or -1 */
	/* linking results */
	const char *link_method, *link_note;
	uint64_t linked;
};

const char *trace_name(const struct trace *t, uint32_t id);
/* The linking key's value of an event; false when it has none. */
bool trace_key(const struct trace *t, bool has_corr, int64_t corr, bool has_ext, int64_t ext,
	       int64_t *out);

/* The tables (traceops.c, tracecoll.c), added to out. */
void traceops_report(struct trace *t, json_t *out);
void tracecoll_report(struct trace *t, json_t *out);
/* Per GPU event, the merged length (µs) of its overlaps with other linked
 * GPU events, TraceLens's sweep (overlap.c); free() it. */
double *trace_overlaps(const struct trace *t);
/* Whether a kernel name is communication (nccl, rccl, cross_device_reduce). */
bool trace_is_comm(const char *name);

#endif
