/* prom: a Prometheus registry for a program's own metrics and the text
 * exposition format (version 0.0.4). Families are declared at start;
 * children (one per label-value set) are created on first use and then
 * updated lock-free, so hot paths cost one atomic add. */
#ifndef LENS_PROM_H
#define LENS_PROM_H

#include <stdint.h>

#include "buf.h"

#define PROM_MAX_LABELS 4

struct prom_registry;
struct prom_family;
struct prom_metric;

enum prom_kind { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

struct prom_registry *prom_registry_new(void);
void prom_registry_free(struct prom_registry *r);

/* labels: comma-separated label names ("type,status") or NULL. For
 * histograms, bounds holds nbounds ascending upper bounds (le). */
struct prom_family *prom_family_new(struct prom_registry *r, enum prom_kind kind, const char *name,
				    const char *help, const char *labels, const double *bounds,
				    int nbounds);
#define prom_counter(r, name, help, labels) \
	prom_family_new(r, PROM_COUNTER, name, help, labels, 0, 0)
#define prom_gauge(r, name, help, labels) prom_family_new(r, PROM_GAUGE, name, help, labels, 0, 0)

/* An unlabelled counter or gauge computed at scrape time, for values
 * another module owns. */
void prom_fn(struct prom_registry *r, enum prom_kind kind, const char *name, const char *help,
	     double (*fn)(void *arg), void *arg);

/* The child for these label values (as many as the family has labels). */
struct prom_metric *prom_get(struct prom_family *f, ...);

void prom_add(struct prom_metric *m, double v);
void prom_inc(struct prom_metric *m);
void prom_set(struct prom_metric *m, double v);
void prom_observe(struct prom_metric *m, double v);
double prom_value(const struct prom_metric *m);
uint64_t prom_hist_count(const struct prom_metric *m);

/* Shortcuts for a family's child by label values. */
#define prom_inc_l(f, ...) prom_inc(prom_get(f, __VA_ARGS__))
#define prom_add_l(f, v, ...) prom_add(prom_get(f, __VA_ARGS__), v)

void prom_render(struct prom_registry *r, struct buf *out);

/* Families whose series come and go with the devices (GPUs, HCAs) are
 * written at scrape time by a collector from its own snapshot, so no stale
 * series outlive their device. A collector must not block. */
void prom_collector(struct prom_registry *r, void (*fn)(struct buf *out, void *arg), void *arg);
void prom_write_header(struct buf *out, const char *name, const char *help, enum prom_kind kind);
/* Appends key="value" (escaped) to a label list being built in labels. */
void prom_label(struct buf *labels, const char *key, const char *value);
/* name{labels} value; labels may be NULL or empty. */
void prom_write_sample(struct buf *out, const char *name, const struct buf *labels, double v);

#endif
