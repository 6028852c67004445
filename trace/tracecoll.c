/* tracecoll: the collective summary (ANALYSIS.md §6): communication
 * kernels grouped by their NCCL/RCCL metadata and stream, with duration
 * statistics, message sizes and, for the collectives that have one,
 * algorithm and bus bandwidth. Unlike TraceLens, which drops every group
 * with a missing value, kernels without metadata are kept under
 * "unknown" and counted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "tracepriv.h"

static double dtype_bytes(const char *dtype)
{
	static const struct {
		const char *name;
		double bytes;
	} sizes[] = {{"Float", 4}, {"Int", 4},    {"Long", 8},   {"BFloat16", 2}, {"Bool", 1},
		     {"Byte", 1},  {"Double", 8}, {"Half", 2},   {"Short", 2}};
	for (size_t i = 0; dtype && i < sizeof sizes / sizeof sizes[0]; i++)
		if (strcmp(dtype, sizes[i].name) == 0)
			return sizes[i].bytes;
	return 0;
}

enum ctype { CT_OTHER, CT_ALLREDUCE, CT_REDUCESCATTER, CT_ALLGATHER, CT_ALLTOALL };

/* The collective's type, from its name without case or underscores. */
static enum ctype ctype_of(const char *name)
{
	char n[64];
	size_t k = 0;
	for (const char *p = name ? name : ""; *p && k < sizeof n - 1; p++)
		if (*p != '_')
			n[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	n[k] = '\0';
	if (strstr(n, "allreduce"))
		return CT_ALLREDUCE;
	if (strstr(n, "reducescatter"))
		return CT_REDUCESCATTER;
	if (strstr(n, "allgather"))
		return CT_ALLGATHER;
	if (strstr(n, "alltoall"))
		return CT_ALLTOALL;
	return CT_OTHER;
}

struct cgroup {
	const struct coll_meta *m;
	const char *name; /* the collective's, possibly inferred */
	int64_t stream;
	uint64_t count;
	double sum, sumsq, min, max, algo_sum, bus_sum;
	uint64_t bw_count;
};

/* Bandwidth of one instance (a single rank: its duration is the latency). */
static void bandwidth(struct cgroup *g, double dur_us)
{
	const struct coll_meta *m = g->m;
	enum ctype t = ctype_of(g->name);
	double bytes = dtype_bytes(m->dtype);
	int64_t nelems = t == CT_ALLGATHER ? m->out_nelems : m->in_nelems;
	if (t == CT_OTHER || !bytes || nelems < 0 || dur_us <= 0 || m->group_size < 1)
		return;
	double n = (double)m->group_size, mb = (double)nelems * bytes / 1048576.0;
	double algo = mb / 1024 / (dur_us / 1e6);
	double factor = t == CT_ALLREDUCE ? 2 * (n - 1) / n : (n - 1) / n;
	g->algo_sum += algo;
	g->bus_sum += algo * factor;
	g->bw_count++;
}

static const char *or_unknown(const char *s)
{
	return s ? s : "unknown";
}

static void key_of(const struct cgroup *g, char *key, size_t cap)
{
	const struct coll_meta *m = g->m;
	snprintf(key, cap, "%s|%s|%s|%lld|%s|%lld|%lld|%s|%s|%lld", or_unknown(g->name),
		 or_unknown(m->pg_name), or_unknown(m->pg_ranks), (long long)m->group_size,
		 or_unknown(m->dtype), (long long)m->in_nelems, (long long)m->out_nelems,
		 or_unknown(m->in_split), or_unknown(m->out_split), (long long)g->stream);
}

static json_t *opt_int(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *mb(int64_t nelems, const char *dtype)
{
	double b = dtype_bytes(dtype);
	return nelems >= 0 && b ? json_real((double)nelems * b / 1048576.0) : json_null();
}

static json_t *group_row(const struct cgroup *g)
{
	const struct coll_meta *m = g->m;
	double mean = g->sum / (double)g->count;
	double var = g->count > 1 ? (g->sumsq - g->sum * mean) / (double)(g->count - 1) : NAN;
	return json_pack(
		"{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:I,s:f,s:f,s:o,s:f,s:f,s:o,s:o,s:b}",
		"collective", or_unknown(g->name), "process_group", opt_str(m->pg_name),
		"process_group_ranks", opt_str(m->pg_ranks), "group_size", opt_int(m->group_size),
		"dtype", opt_str(m->dtype), "in_msg_nelems", opt_int(m->in_nelems), "out_msg_nelems",
		opt_int(m->out_nelems), "in_split_size", opt_str(m->in_split), "out_split_size",
		opt_str(m->out_split), "stream", (json_int_t)g->stream, "in_msg_size_mb",
		mb(m->in_nelems, m->dtype), "out_msg_size_mb", mb(m->out_nelems, m->dtype), "count",
		(json_int_t)g->count, "dur_sum_us", g->sum, "dur_mean_us", mean, "dur_std_us",
		isnan(var) ? json_null() : json_real(sqrt(var > 0 ? var : 0)), "dur_min_us", g->min,
		"dur_max_us", g->max, "algo_bw_gbps",
		g->bw_count ? json_real(g->algo_sum / (double)g->bw_count) : json_null(),
		"bus_bw_gbps", g->bw_count ? json_real(g->bus_sum / (double)g->bw_count) : json_null(),
		"metadata", m->name != NULL);
}

static int by_sum(const void *a, const void *b)
{
	double x = ((const struct cgroup *)a)->sum, y = ((const struct cgroup *)b)->sum;
	return x > y ? -1 : x < y;
}

void tracecoll_report(struct trace *t, json_t *out)
{
	struct cgroup *g = xcalloc(t->ncolls + 1, sizeof *g);
	size_t n = 0;
	uint64_t without = 0;
	json_t *index = json_object();
	for (uint32_t i = 0; i < t->ngpu; i++) {
		const struct gpu_ev *e = &t->gpu[i];
		if (e->coll < 0 || (!e->has_corr && !e->has_ext))
			continue;
		const struct coll_meta *m = &t->colls[e->coll];
		struct cgroup probe = {m, m->name, e->has_stream ? e->stream : e->tid};
		if (!probe.name && strcasestr(trace_name(t, e->name), "cross_device_reduce"))
			probe.name = "allreduce";
		without += m->name == NULL;
		char key[1024];
		key_of(&probe, key, sizeof key);
		json_t *at = json_object_get(index, key);
		size_t k = at ? (size_t)json_integer_value(at) : n++;
		if (!at) {
			json_object_set_new(index, key, json_integer((json_int_t)k));
			g[k] = probe;
			g[k].min = INFINITY;
		}
		double dur = e->end - e->ts;
		g[k].count++;
		g[k].sum += dur;
		g[k].sumsq += dur * dur;
		g[k].min = dur < g[k].min ? dur : g[k].min;
		g[k].max = dur > g[k].max ? dur : g[k].max;
		bandwidth(&g[k], dur);
	}
	qsort(g, n, sizeof *g, by_sum);
	json_t *rows = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append_new(rows, group_row(&g[k]));
	json_object_set_new(out, "collectives", rows);
	json_object_set_new(out, "collective_kernels_without_metadata", json_integer((json_int_t)without));
	json_decref(index);
	free(g);
}
