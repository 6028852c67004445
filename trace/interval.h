/* interval: the arithmetic of GPU busy time on sets of [start, end]
 * intervals in µs: merge (touching and zero-length intervals included,
 * as TraceLens does), total length, and the difference of two merged
 * sets. */
#ifndef LENS_INTERVAL_H
#define LENS_INTERVAL_H

#include <stddef.h>

struct ival {
	double s, e;
};

struct ivals {
	struct ival *v;
	size_t n, cap;
};

void ivals_add(struct ivals *a, double s, double e);
void ivals_free(struct ivals *a);
/* Sorts by start and merges while next.start <= cur.end, in place. */
void ivals_merge(struct ivals *a);
/* Σ(end − start) of a merged set, summed in order. */
double ivals_length(const struct ivals *a);
/* The parts of merged b not covered by merged a, as a new merged set. */
struct ivals ivals_minus(const struct ivals *b, const struct ivals *a);

#endif
