/* prom: metric families, children and the text exposition format.
 * Values are doubles kept as bit patterns in atomic 64-bit words; adds use
 * a compare-and-swap loop, which is uncontended in practice. */
#include "prom.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct prom_metric {
	struct prom_metric *next;
	struct prom_family *family;
	char *values[PROM_MAX_LABELS];
	_Atomic uint64_t bits;          /* counter/gauge value, histogram sum */
	_Atomic uint64_t count;         /* histogram observations */
	_Atomic uint64_t *buckets;      /* histogram, per bound (not cumulative) */
};

struct prom_family {
	struct prom_family *next;
	enum prom_kind kind;
	char *name, *help;
	int nlabels;
	char *labels[PROM_MAX_LABELS];
	double *bounds;
	int nbounds;
	double (*fn)(void *);
	void *fn_arg;
	pthread_mutex_t lock; /* guards the children list on insert */
	struct prom_metric *_Atomic children;
};

struct collector {
	struct collector *next;
	void (*fn)(struct buf *out, void *arg);
	void *arg;
};

struct prom_registry {
	pthread_mutex_t lock;
	struct prom_family *first, **tail;
	struct collector *collectors, **ctail;
};

static double from_bits(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

static uint64_t to_bits(double d)
{
	uint64_t b;
	memcpy(&b, &d, sizeof b);
	return b;
}

struct prom_registry *prom_registry_new(void)
{
	struct prom_registry *r = xcalloc(1, sizeof *r);
	pthread_mutex_init(&r->lock, NULL);
	r->tail = &r->first;
	r->ctail = &r->collectors;
	return r;
}

static void free_family(struct prom_family *f)
{
	struct prom_metric *m = atomic_load(&f->children);
	while (m) {
		struct prom_metric *next = m->next;
		for (int i = 0; i < f->nlabels; i++)
			free(m->values[i]);
		free(m->buckets);
		free(m);
		m = next;
	}
	for (int i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	pthread_mutex_destroy(&f->lock);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void prom_registry_free(struct prom_registry *r)
{
	if (!r)
		return;
	struct prom_family *f = r->first;
	while (f) {
		struct prom_family *next = f->next;
		free_family(f);
		f = next;
	}
	while (r->collectors) {
		struct collector *next = r->collectors->next;
		free(r->collectors);
		r->collectors = next;
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void add_family(struct prom_registry *r, struct prom_family *f)
{
	pthread_mutex_lock(&r->lock);
	*r->tail = f;
	r->tail = &f->next;
	pthread_mutex_unlock(&r->lock);
}

static int split_labels(const char *labels, char **out)
{
	int n = 0;
	if (!labels || !*labels)
		return 0;
	const char *p = labels;
	while (*p && n < PROM_MAX_LABELS) {
		size_t len = strcspn(p, ",");
		out[n] = xmalloc(len + 1);
		memcpy(out[n], p, len);
		out[n][len] = '\0';
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	return n;
}

struct prom_family *prom_family_new(struct prom_registry *r, enum prom_kind kind, const char *name,
				    const char *help, const char *labels, const double *bounds,
				    int nbounds)
{
	struct prom_family *f = xcalloc(1, sizeof *f);
	f->kind = kind;
	f->name = xstrdup(name);
	f->help = xstrdup(help);
	f->nlabels = split_labels(labels, f->labels);
	pthread_mutex_init(&f->lock, NULL);
	if (kind == PROM_HISTOGRAM) {
		f->bounds = xmalloc(sizeof(double) * (size_t)nbounds);
		memcpy(f->bounds, bounds, sizeof(double) * (size_t)nbounds);
		f->nbounds = nbounds;
	}
	add_family(r, f);
	return f;
}

void prom_fn(struct prom_registry *r, enum prom_kind kind, const char *name, const char *help,
	     double (*fn)(void *arg), void *arg)
{
	struct prom_family *f = prom_family_new(r, kind, name, help, NULL, NULL, 0);
	f->fn = fn;
	f->fn_arg = arg;
}

static struct prom_metric *find_child(struct prom_family *f, const char **values)
{
	for (struct prom_metric *m = atomic_load(&f->children); m; m = m->next) {
		int i = 0;
		while (i < f->nlabels && strcmp(m->values[i], values[i]) == 0)
			i++;
		if (i == f->nlabels)
			return m;
	}
	return NULL;
}

struct prom_metric *prom_get(struct prom_family *f, ...)
{
	const char *values[PROM_MAX_LABELS];
	va_list ap;
	va_start(ap, f);
	for (int i = 0; i < f->nlabels; i++) {
		values[i] = va_arg(ap, const char *);
		if (!values[i])
			values[i] = "";
	}
	va_end(ap);

	struct prom_metric *m = find_child(f, values);
	if (m)
		return m;
	pthread_mutex_lock(&f->lock);
	m = find_child(f, values);
	if (!m) {
		m = xcalloc(1, sizeof *m);
		m->family = f;
		for (int i = 0; i < f->nlabels; i++)
			m->values[i] = xstrdup(values[i]);
		if (f->kind == PROM_HISTOGRAM)
			m->buckets = xcalloc((size_t)f->nbounds, sizeof *m->buckets);
		m->next = atomic_load(&f->children);
		atomic_store(&f->children, m);
	}
	pthread_mutex_unlock(&f->lock);
	return m;
}

void prom_add(struct prom_metric *m, double v)
{
	uint64_t old = atomic_load(&m->bits);
	while (!atomic_compare_exchange_weak(&m->bits, &old, to_bits(from_bits(old) + v)))
		;
}

void prom_inc(struct prom_metric *m)
{
	prom_add(m, 1.0);
}

void prom_set(struct prom_metric *m, double v)
{
	atomic_store(&m->bits, to_bits(v));
}

double prom_value(const struct prom_metric *m)
{
	return from_bits(atomic_load(&((struct prom_metric *)m)->bits));
}

uint64_t prom_hist_count(const struct prom_metric *m)
{
	return atomic_load(&((struct prom_metric *)m)->count);
}

void prom_observe(struct prom_metric *m, double v)
{
	const struct prom_family *f = m->family;
	int i = 0;
	while (i < f->nbounds && v > f->bounds[i])
		i++;
	if (i < f->nbounds)
		atomic_fetch_add(&m->buckets[i], 1);
	atomic_fetch_add(&m->count, 1);
	prom_add(m, v);
}

static void put_escaped(struct buf *b, const char *s, int quote)
{
	size_t plain = strcspn(s, quote ? "\\\n\"" : "\\\n");
	buf_append(b, s, plain); /* the common case: nothing to escape */
	for (s += plain; *s; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s == '"' && quote)
			buf_puts(b, "\\\"");
		else
			buf_putc(b, *s);
	}
}

static void put_integer(struct buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	uint64_t u = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* The shortest decimal that reads back as v: 0.1, not 0.10000000000000001. */
static const char *shortest(double v, char *out, size_t len)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return out;
}

static void put_value(struct buf *b, double v)
{
	char tmp[40];
	if (isnan(v))
		buf_puts(b, "NaN");
	else if (isinf(v))
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (fabs(v) < 1e15 && v == (double)(int64_t)v)
		put_integer(b, (int64_t)v);
	else
		buf_puts(b, shortest(v, tmp, sizeof tmp));
}

/* name{l1="v1",l2="v2",extra} value */
static void put_sample(struct buf *b, const struct prom_family *f, const char *suffix,
		       const struct prom_metric *m, const char *extra, double v)
{
	struct buf name = BUF_INIT, labels = BUF_INIT;
	buf_printf(&name, "%s%s", f->name, suffix);
	for (int i = 0; i < f->nlabels; i++)
		prom_label(&labels, f->labels[i], m->values[i]);
	if (extra)
		buf_printf(&labels, "%s%s", labels.len ? "," : "", extra);
	prom_write_sample(b, name.p, &labels, v);
	buf_free(&name);
	buf_free(&labels);
}

static void render_histogram(struct buf *b, const struct prom_family *f,
			     const struct prom_metric *m)
{
	uint64_t cum = 0;
	char le[64];
	for (int i = 0; i < f->nbounds; i++) {
		cum += atomic_load(&m->buckets[i]);
		struct buf tmp = BUF_INIT;
		put_value(&tmp, f->bounds[i]);
		snprintf(le, sizeof le, "le=\"%s\"", tmp.p);
		buf_free(&tmp);
		put_sample(b, f, "_bucket", m, le, (double)cum);
	}
	uint64_t count = atomic_load(&((struct prom_metric *)m)->count);
	put_sample(b, f, "_bucket", m, "le=\"+Inf\"", (double)count);
	put_sample(b, f, "_sum", m, NULL, prom_value(m));
	put_sample(b, f, "_count", m, NULL, (double)count);
}

void prom_write_header(struct buf *b, const char *name, const char *help, enum prom_kind kind)
{
	static const char *const kinds[] = {"counter", "gauge", "histogram"};
	buf_printf(b, "# HELP %s ", name);
	put_escaped(b, help, 0);
	buf_printf(b, "\n# TYPE %s %s\n", name, kinds[kind]);
}

void prom_label(struct buf *labels, const char *key, const char *value)
{
	if (labels->len)
		buf_putc(labels, ',');
	buf_puts(labels, key);
	buf_append(labels, "=\"", 2);
	put_escaped(labels, value ? value : "", 1);
	buf_putc(labels, '"');
}

void prom_write_sample(struct buf *b, const char *name, const struct buf *labels, double v)
{
	buf_puts(b, name);
	if (labels && labels->len) {
		buf_putc(b, '{');
		buf_append(b, labels->p, labels->len);
		buf_putc(b, '}');
	}
	buf_putc(b, ' ');
	put_value(b, v);
	buf_putc(b, '\n');
}

void prom_collector(struct prom_registry *r, void (*fn)(struct buf *out, void *arg), void *arg)
{
	struct collector *c = xcalloc(1, sizeof *c);
	c->fn = fn;
	c->arg = arg;
	pthread_mutex_lock(&r->lock);
	*r->ctail = c;
	r->ctail = &c->next;
	pthread_mutex_unlock(&r->lock);
}

static void render_family(struct buf *b, const struct prom_family *f)
{
	prom_write_header(b, f->name, f->help, f->kind);
	if (f->fn) {
		buf_printf(b, "%s ", f->name);
		put_value(b, f->fn(f->fn_arg));
		buf_putc(b, '\n');
		return;
	}
	for (struct prom_metric *m = atomic_load(&((struct prom_family *)f)->children); m;
	     m = m->next) {
		if (f->kind == PROM_HISTOGRAM)
			render_histogram(b, f, m);
		else
			put_sample(b, f, "", m, NULL, prom_value(m));
	}
}

void prom_render(struct prom_registry *r, struct buf *out)
{
	pthread_mutex_lock(&r->lock);
	for (struct prom_family *f = r->first; f; f = f->next)
		render_family(out, f);
	for (struct collector *c = r->collectors; c; c = c->next)
		c->fn(out, c->arg);
	pthread_mutex_unlock(&r->lock);
}
