/* interval: sort, sweep, two-pointer difference. */
#include "interval.h"

#include <stdlib.h>

#include "buf.h"

void ivals_add(struct ivals *a, double s, double e)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 8;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->n++] = (struct ival){s, e};
}

void ivals_free(struct ivals *a)
{
	free(a->v);
	*a = (struct ivals){0};
}

static int by_start(const void *x, const void *y)
{
	const struct ival *a = x, *b = y;
	return a->s < b->s ? -1 : a->s > b->s ? 1 : a->e < b->e ? -1 : a->e > b->e;
}

void ivals_merge(struct ivals *a)
{
	if (a->n < 2)
		return;
	qsort(a->v, a->n, sizeof *a->v, by_start);
	size_t w = 0;
	for (size_t i = 1; i < a->n; i++) {
		if (a->v[i].s <= a->v[w].e) {
			if (a->v[i].e > a->v[w].e)
				a->v[w].e = a->v[i].e;
		} else {
			a->v[++w] = a->v[i];
		}
	}
	a->n = w + 1;
}

double ivals_length(const struct ivals *a)
{
	double t = 0;
	for (size_t i = 0; i < a->n; i++)
		t += a->v[i].e - a->v[i].s;
	return t;
}

struct ivals ivals_minus(const struct ivals *b, const struct ivals *a)
{
	struct ivals out = {0};
	size_t j = 0;
	for (size_t i = 0; i < b->n; i++) {
		double s = b->v[i].s, e = b->v[i].e;
		while (j < a->n && a->v[j].e <= s)
			j++;
		for (size_t k = j; k < a->n && a->v[k].s < e; k++) {
			if (a->v[k].s > s)
				ivals_add(&out, s, a->v[k].s);
			if (a->v[k].e > s)
				s = a->v[k].e;
			if (s >= e)
				break;
		}
		if (s < e)
			ivals_add(&out, s, e);
	}
	return out;
}
