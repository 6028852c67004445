/* i64map: an open-addressing hash map from 64-bit keys to 64-bit values,
 * for the trace analyzer's indexes (flow ids, correlation ids). */
#ifndef LENS_I64MAP_H
#define LENS_I64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct i64map {
	uint64_t *keys;
	int64_t *vals;
	uint8_t *used;
	size_t cap, n;
};

void i64map_put(struct i64map *m, uint64_t key, int64_t val);
/* True with *val set when key is present. */
bool i64map_get(const struct i64map *m, uint64_t key, int64_t *val);
void i64map_free(struct i64map *m);

#endif
