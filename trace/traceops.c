/* traceops: the host call-stack tree, kernel launchers, and the op
 * summaries by name and by category (ANALYSIS.md §3.2 and §5). Only
 * non-communication kernels count in these tables, and a launcher's time
 * is the union of its kernels' intervals, not the sum of their
 * durations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "interval.h"
#include "tracepriv.h"

/* TraceLens's op-name to category table, generated from
 * op_category_registry.csv at build time, sorted by name (C locale) for
 * bsearch: {"aten::mm", "GEMM"}, ... */
static const struct opcat {
	const char *name, *category;
} registry[] = {
#include "opcat_table.h"
};
#define NREGISTRY (sizeof registry / sizeof registry[0])

static int opcat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct opcat *)a)->name, ((const struct opcat *)b)->name);
}

/* ---- The host tree ------------------------------------------------------ */

static int host_order(const void *a, const void *b, void *arg)
{
	const struct trace *t = arg;
	const struct host_ev *x = &t->host[*(const uint32_t *)a];
	const struct host_ev *y = &t->host[*(const uint32_t *)b];
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* One stack per (pid, tid), events in start order; an event that bleeds
 * past its would-be parent's end by a microsecond or more stays out. */
static void build_tree(struct trace *t)
{
	uint32_t *order = xmalloc((t->nhost + 1) * sizeof *order), *stack = NULL;
	size_t depth = 0;
	for (uint32_t i = 0; i < t->nhost; i++)
		order[i] = i;
	qsort_r(order, t->nhost, sizeof *order, host_order, t);
	stack = xmalloc((t->nhost + 1) * sizeof *stack);
	for (uint32_t k = 0; k < t->nhost; k++) {
		struct host_ev *e = &t->host[order[k]];
		const struct host_ev *prev = k ? &t->host[order[k - 1]] : NULL;
		if (!prev || prev->pid != e->pid || prev->tid != e->tid)
			depth = 0;
		while (depth && e->ts >= t->host[stack[depth - 1]].end)
			depth--;
		if (depth && e->end > t->host[stack[depth - 1]].end) {
			if (t->host[stack[depth - 1]].end - e->ts < 1.0 && depth >= 2)
				depth--;
			else
				continue;
		}
		e->parent = depth ? (int32_t)stack[depth - 1] : -1;
		e->in_tree = true;
		stack[depth++] = order[k];
	}
	free(stack);
	free(order);
}

/* ---- Launchers ---------------------------------------------------------- */

struct launcher {
	uint32_t host;
	struct ivals direct, subtree;
	uint32_t kernels;
	double overlap;       /* Σ of its direct kernels' overlap lengths, µs */
	int32_t first;        /* its first direct kernel by ts */
	const char *category;
};

struct launchers {
	struct launcher *v;
	uint32_t n, cap;
};

/* The launcher of a kernel launched by r: the nearest cpu_op above r
 * other than "execute", else r itself. */
static uint32_t launcher_of(const struct trace *t, uint32_t r)
{
	for (int32_t p = t->host[r].parent; p >= 0; p = t->host[p].parent) {
		if (t->host[p].cat != TC_CPU_OP)
			break;
		if (strcmp(trace_name(t, t->host[p].name), "execute") != 0)
			return (uint32_t)p;
	}
	return r;
}

static struct launcher *launcher_at(struct trace *t, struct launchers *ls, uint32_t h)
{
	if (t->host[h].launcher < 0) {
		if (ls->n == ls->cap) {
			ls->cap = ls->cap ? 2 * ls->cap : 256;
			ls->v = xrealloc(ls->v, ls->cap * sizeof *ls->v);
		}
		ls->v[ls->n] = (struct launcher){h, {0}, {0}, 0, 0, -1, NULL};
		t->host[h].launcher = (int32_t)ls->n++;
	}
	return &ls->v[t->host[h].launcher];
}

static void find_launchers(struct trace *t, struct launchers *ls, const double *overlap)
{
	for (uint32_t i = 0; i < t->ngpu; i++) {
		const struct gpu_ev *g = &t->gpu[i];
		if (g->parent < 0 || g->cls == GC_COMM)
			continue;
		struct launcher *l = launcher_at(t, ls, launcher_of(t, (uint32_t)g->parent));
		ivals_add(&l->direct, g->ts, g->end);
		l->overlap += overlap[i];
		l->kernels++;
		if (l->first < 0 || g->ts < t->gpu[l->first].ts)
			l->first = (int32_t)i;
	}
	/* Every linked GPU event counts in the subtree of each launcher above
	 * its launch, communication and copies included. */
	for (uint32_t i = 0; i < t->ngpu; i++) {
		const struct gpu_ev *g = &t->gpu[i];
		for (int32_t h = g->parent; h >= 0; h = t->host[h].parent)
			if (t->host[h].launcher >= 0)
				ivals_add(&ls->v[t->host[h].launcher].subtree, g->ts, g->end);
	}
}

/* ---- Categories (ANALYSIS.md §5.2) ------------------------------------- */

static const char *category(const struct trace *t, const struct launcher *l)
{
	const char *name = trace_name(t, t->host[l->host].name);
	struct opcat key = {name, NULL};
	const struct opcat *hit = bsearch(&key, registry, NREGISTRY, sizeof *registry, opcat_cmp);
	if (hit)
		return hit->category;
	if (strncmp(name, "triton", 6) == 0)
		return "triton";
	if (strncmp(name, "record_param_comms", 18) == 0)
		return "record_param_comms";
	const char *k = l->first >= 0 ? trace_name(t, t->gpu[l->first].name) : "";
	if (strncmp(k, "void at::native", 15) == 0) {
		static const char *const kinds[] = {"elementwise", "reduce", "multi_tensor_apply"};
		for (size_t i = 0; i < 3; i++)
			if (strstr(k, kinds[i]))
				return kinds[i];
	}
	return "other";
}

/* ---- Summaries ------------------------------------------------------------ */

struct group {
	const char *key;
	double direct_us, subtree_us;
	uint64_t count;
	json_t *categories; /* object used as a set */
};

static int by_direct(const void *a, const void *b)
{
	double x = ((const struct group *)a)->direct_us, y = ((const struct group *)b)->direct_us;
	return x > y ? -1 : x < y;
}

static int by_launcher_direct(const void *a, const void *b)
{
	double x = ivals_length(&((const struct launcher *)a)->direct);
	double y = ivals_length(&((const struct launcher *)b)->direct);
	return x > y ? -1 : x < y;
}

/* Groups launchers by name (by_category false) or category. */
static json_t *summary(const struct trace *t, const struct launchers *ls, bool by_category)
{
	struct group *g = xcalloc(ls->n + 1, sizeof *g);
	size_t n = 0;
	json_t *index = json_object();
	double total = 0;
	for (uint32_t i = 0; i < ls->n; i++) {
		const struct launcher *l = &ls->v[i];
		const char *key = by_category ? l->category : trace_name(t, t->host[l->host].name);
		json_t *at = json_object_get(index, key);
		size_t k = at ? (size_t)json_integer_value(at) : n++;
		if (!at) {
			json_object_set_new(index, key, json_integer((json_int_t)k));
			g[k] = (struct group){key, 0, 0, 0, json_object()};
		}
		double d = ivals_length(&l->direct);
		g[k].direct_us += d;
		g[k].subtree_us += ivals_length(&l->subtree);
		g[k].count++;
		json_object_set_new(g[k].categories, l->category, json_true());
		total += d;
	}
	qsort(g, n, sizeof *g, by_direct);
	json_t *rows = json_array();
	double cum = 0;
	for (size_t k = 0; k < n; k++) {
		double pct = total > 0 ? g[k].direct_us / total * 100 : 0;
		cum += pct;
		json_t *r = json_pack("{s:s,s:I,s:f,s:f,s:f}", by_category ? "op_category" : "name",
				      g[k].key, "count", (json_int_t)g[k].count,
				      "total_direct_kernel_time_ms", g[k].direct_us / 1000, "percent",
				      pct, "cumulative_percent", cum);
		if (!by_category) {
			json_t *cats = json_array();
			const char *c;
			json_t *v;
			json_object_foreach(g[k].categories, c, v)
				json_array_append_new(cats, json_string(c));
			json_object_set_new(r, "total_subtree_kernel_time_ms",
					    json_real(g[k].subtree_us / 1000));
			json_object_set_new(r, "categories", cats);
		}
		json_array_append_new(rows, r);
		json_decref(g[k].categories);
	}
	json_decref(index);
	free(g);
	return rows;
}

#define TOP_LAUNCHERS 100

/* TraceLens's overlap_pct: a fraction (not a percent) to 2 decimals,
 * null when nothing overlaps. */
static json_t *overlap_pct(double overlap, double direct)
{
	if (overlap <= 0 || direct <= 0)
		return json_null();
	return json_real(round(overlap / direct * 100) / 100);
}

/* The launchers with the most direct kernel time. */
static json_t *top_launchers(const struct trace *t, struct launchers *ls)
{
	if (ls->n)
		qsort(ls->v, ls->n, sizeof *ls->v, by_launcher_direct);
	json_t *rows = json_array();
	for (uint32_t i = 0; i < ls->n && i < TOP_LAUNCHERS; i++) {
		const struct launcher *l = &ls->v[i];
		double direct = ivals_length(&l->direct);
		json_array_append_new(
			rows, json_pack("{s:s,s:s,s:I,s:f,s:f,s:I,s:o}", "name",
					trace_name(t, t->host[l->host].name), "op_category", l->category,
					"uid", (json_int_t)t->host[l->host].uid,
					"total_direct_kernel_time_ms", direct / 1000,
					"total_subtree_kernel_time_ms", ivals_length(&l->subtree) / 1000,
					"direct_kernel_count", (json_int_t)l->kernels, "overlap_pct",
					overlap_pct(l->overlap, direct)));
	}
	return rows;
}

void traceops_report(struct trace *t, json_t *out)
{
	struct launchers ls = {0};
	build_tree(t);
	double *overlap = trace_overlaps(t);
	find_launchers(t, &ls, overlap);
	free(overlap);
	for (uint32_t i = 0; i < ls.n; i++) {
		ivals_merge(&ls.v[i].direct);
		ivals_merge(&ls.v[i].subtree);
		ls.v[i].category = category(t, &ls.v[i]);
	}
	json_object_set_new(out, "ops_summary_by_category", summary(t, &ls, true));
	json_object_set_new(out, "ops_summary", summary(t, &ls, false));
	json_object_set_new(out, "kernel_launchers_count", json_integer(ls.n));
	json_object_set_new(out, "kernel_launchers", top_launchers(t, &ls));
	for (uint32_t i = 0; i < ls.n; i++) {
		ivals_free(&ls.v[i].direct);
		ivals_free(&ls.v[i].subtree);
	}
	free(ls.v);
}
