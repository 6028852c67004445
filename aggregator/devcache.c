/* devcache: a chained hash table of JSON samples under one mutex. Updates
 * come in batches from ingest writers; reads from API handlers. */
#include "devcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "devnames.h"
#include "hash.h"

struct entry {
	struct entry *next;
	char *key;
	int64_t sampled_ns;
	json_t *sample;
};

struct devcache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets, count;
};

static uint64_t hash(const char *s)
{
	return hash_str(HASH_INIT, s);
}

struct devcache *devcache_new(void)
{
	struct devcache *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	c->nbuckets = 1024;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	return c;
}

void devcache_free(struct devcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i];
		while (e) {
			struct entry *next = e->next;
			json_decref(e->sample);
			free(e->key);
			free(e);
			e = next;
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
}

static void grow(struct devcache *c)
{
	size_t n = c->nbuckets * 2;
	struct entry **b = xcalloc(n, sizeof *b);
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i];
		while (e) {
			struct entry *next = e->next;
			size_t k = hash(e->key) % n;
			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

static struct entry **slot(struct devcache *c, const char *key)
{
	struct entry **pp = &c->buckets[hash(key) % c->nbuckets];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* Replaces the entry for key when sampled_ns is newer; steals sample. */
static void put(struct devcache *c, const char *key, int64_t sampled_ns, json_t *sample)
{
	struct entry **pp = slot(c, key);
	if (!*pp) {
		if (c->count + 1 > c->nbuckets * 2) {
			grow(c);
			pp = slot(c, key);
		}
		*pp = xcalloc(1, sizeof **pp);
		(*pp)->key = xstrdup(key);
		c->count++;
	} else if ((*pp)->sampled_ns > sampled_ns) {
		json_decref(sample);
		return;
	}
	json_decref((*pp)->sample);
	(*pp)->sample = sample;
	(*pp)->sampled_ns = sampled_ns;
}

static json_t *strings(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *gpu_json(const Lens__V1__GpuSample *g, const char *at)
{
	json_t *values = json_object(), *ecc = json_object();
	for (size_t i = 0; i < g->n_metric && i < g->n_value; i++) {
		unsigned m = g->metric[i];
		const char *name = devnames_gpu_metric(m);
		if (name) {
			json_object_set_new(values, name, json_real(g->value[i]));
		} else if (m >= DEVNAMES_GPU_SCALARS && m < DEVNAMES_GPU_METRICS) {
			unsigned blk = (m - DEVNAMES_GPU_SCALARS) / 2;
			const char *bname = devnames_ecc_block(blk);
			json_t *b = json_object_get(ecc, bname);
			if (!b)
				json_object_set_new(ecc, bname, b = json_object());
			json_object_set_new(b, (m - DEVNAMES_GPU_SCALARS) % 2 ? "uncorrectable"
									       : "correctable",
					    json_real(g->value[i]));
		}
	}
	json_object_set_new(values, "ecc", ecc);
	return json_pack("{s:s,s:o,s:o}", "sampled_at", at, "values", values, "health",
			 strings(g->health, g->n_health));
}

static json_t *port_json(const Lens__V1__IbPortSample *p, const char *at)
{
	json_t *counters = json_object();
	for (size_t i = 0; i < p->n_counter && i < p->n_value; i++) {
		const char *name = devnames_ib_counter(p->counter[i]);
		if (name)
			json_object_set_new(counters, name, json_integer((json_int_t)p->value[i]));
	}
	return json_pack("{s:s,s:i,s:i,s:o,s:o}", "sampled_at", at, "state", p->state,
			 "phys_state", p->phys_state, "counters", counters, "health",
			 strings(p->health, p->n_health));
}

static void update_one(struct devcache *c, const Envelope *e)
{
	const Lens__V1__DeviceSamples *ds = e->device_samples;
	char at[40];
	struct buf key = BUF_INIT;
	clock_format_rfc3339(ds->sampled_unix_ns, 3, at, sizeof at);
	for (size_t i = 0; i < ds->n_gpus; i++) {
		buf_reset(&key);
		buf_printf(&key, "%s|gpu|%s", e->node_name, ds->gpus[i]->bdf);
		put(c, key.p, ds->sampled_unix_ns, gpu_json(ds->gpus[i], at));
	}
	for (size_t i = 0; i < ds->n_ib_ports; i++) {
		buf_reset(&key);
		buf_printf(&key, "%s|ib|%s/%u", e->node_name, ds->ib_ports[i]->hca,
			   ds->ib_ports[i]->port);
		put(c, key.p, ds->sampled_unix_ns, port_json(ds->ib_ports[i], at));
	}
	buf_free(&key);
}

void devcache_update(struct devcache *c, Envelope *const *envs, int n)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < n; i++)
		update_one(c, envs[i]);
	pthread_mutex_unlock(&c->lock);
}

json_t *devcache_get(struct devcache *c, const char *node, const char *kind, const char *id)
{
	struct buf key = BUF_INIT;
	buf_printf(&key, "%s|%s|%s", node, kind, id);
	pthread_mutex_lock(&c->lock);
	struct entry *e = *slot(c, key.p);
	json_t *v = e ? json_incref(e->sample) : NULL;
	pthread_mutex_unlock(&c->lock);
	buf_free(&key);
	return v;
}

size_t devcache_size(struct devcache *c)
{
	pthread_mutex_lock(&c->lock);
	size_t n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
