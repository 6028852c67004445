/* overlap: TraceLens's overlap sweep over the linked GPU events
 * (ANALYSIS.md §4, "side effect"), for the launcher table's overlap_pct:
 * two linked GPU events overlap when they share at least 1 µs, run on
 * different streams (or either has none) and were launched under
 * different nearest cpu_ops. Each event's overlap length is the merged
 * length of its overlaps with all the others. */
#include <stdlib.h>

#include "buf.h"
#include "tracepriv.h"

#define MIN_OVERLAP_US 1.0

/* The nearest cpu_op above the runtime event that launched g, or -1. */
static int32_t nearest_cpu_op(const struct trace *t, const struct gpu_ev *g)
{
	for (int32_t h = t->host[g->parent].parent; h >= 0; h = t->host[h].parent)
		if (t->host[h].cat == TC_CPU_OP)
			return h;
	return -1;
}

static int by_ts(const void *a, const void *b, void *arg)
{
	const struct trace *t = arg;
	double x = t->gpu[*(const uint32_t *)a].ts, y = t->gpu[*(const uint32_t *)b].ts;
	return (x > y) - (x < y);
}

static bool counts(const struct trace *t, const int32_t *op, uint32_t i, uint32_t j)
{
	const struct gpu_ev *a = &t->gpu[i], *b = &t->gpu[j];
	bool same_stream = a->has_stream && b->has_stream && a->stream == b->stream;
	return !same_stream && op[i] != op[j];
}

/* One overlap of one event; sorted by event and merged at the end, so
 * memory grows with the overlaps found, not with the events. */
struct hit {
	uint32_t ev;
	double s, e;
};

struct hits {
	struct hit *v;
	size_t n, cap;
};

static void hit(struct hits *h, uint32_t ev, double s, double e)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	h->v[h->n++] = (struct hit){ev, s, e};
}

static int by_event(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->ev != y->ev)
		return x->ev < y->ev ? -1 : 1;
	return (x->s > y->s) - (x->s < y->s);
}

static void sweep(const struct trace *t, const int32_t *op, const uint32_t *order, uint32_t n,
		  struct hits *h)
{
	uint32_t *active = xmalloc((n ? n : 1) * sizeof *active), nactive = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t j = order[k];
		const struct gpu_ev *b = &t->gpu[j];
		uint32_t kept = 0;
		for (uint32_t a = 0; a < nactive; a++) {
			uint32_t i = active[a];
			/* Later events start later still: one that ends this soon is done. */
			if (t->gpu[i].end < b->ts + MIN_OVERLAP_US)
				continue;
			active[kept++] = i;
			double end = t->gpu[i].end < b->end ? t->gpu[i].end : b->end;
			if (end - b->ts >= MIN_OVERLAP_US && counts(t, op, i, j)) {
				hit(h, i, b->ts, end);
				hit(h, j, b->ts, end);
			}
		}
		nactive = kept;
		active[nactive++] = j;
	}
	free(active);
}

/* Merged length per event: runs of one event's hits, merged as
 * ivals_merge does (touching intervals join). */
static void lengths(struct hits *h, double *len)
{
	if (h->n)
		qsort(h->v, h->n, sizeof *h->v, by_event);
	for (size_t k = 0; k < h->n;) {
		uint32_t ev = h->v[k].ev;
		double s = h->v[k].s, e = h->v[k].e;
		for (k++; k < h->n && h->v[k].ev == ev; k++) {
			if (h->v[k].s <= e) {
				if (h->v[k].e > e)
					e = h->v[k].e;
				continue;
			}
			len[ev] += e - s;
			s = h->v[k].s, e = h->v[k].e;
		}
		len[ev] += e - s;
	}
}

double *trace_overlaps(const struct trace *t)
{
	size_t n1 = t->ngpu ? t->ngpu : 1;
	double *len = xcalloc(n1, sizeof *len);
	int32_t *op = xmalloc(n1 * sizeof *op);
	uint32_t *order = xmalloc(n1 * sizeof *order), n = 0;
	for (uint32_t i = 0; i < t->ngpu; i++)
		if (t->gpu[i].parent >= 0) {
			op[i] = nearest_cpu_op(t, &t->gpu[i]);
			order[n++] = i;
		}
	qsort_r(order, n, sizeof *order, by_ts, (void *)t);
	struct hits h = {0};
	sweep(t, op, order, n, &h);
	lengths(&h, len);
	free(h.v);
	free(order);
	free(op);
	return len;
}
