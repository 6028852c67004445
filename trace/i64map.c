/* i64map: linear probing at most half full, keys mixed first. */
#include "i64map.h"

#include <stdlib.h>

#include "buf.h"

static size_t slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static void grow(struct i64map *m)
{
	struct i64map old = *m;
	m->cap = old.cap ? old.cap * 2 : 1024;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->vals = xcalloc(m->cap, sizeof *m->vals);
	m->used = xcalloc(m->cap, 1);
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.used[i])
			i64map_put(m, old.keys[i], old.vals[i]);
	i64map_free(&old);
}

void i64map_put(struct i64map *m, uint64_t key, int64_t val)
{
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	size_t i = slot(key, m->cap);
	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	m->n += !m->used[i];
	m->used[i] = 1;
	m->keys[i] = key;
	m->vals[i] = val;
}

bool i64map_get(const struct i64map *m, uint64_t key, int64_t *val)
{
	if (!m->cap)
		return false;
	for (size_t i = slot(key, m->cap); m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return true;
		}
	return false;
}

void i64map_free(struct i64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	*m = (struct i64map){0};
}
