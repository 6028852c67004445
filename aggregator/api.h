/* api: the aggregator's REST API and operational endpoints (/healthz,
 * /readyz, /metrics), as a route table for httpd. Handlers validate their
 * parameters, query through the pool and answer JSON; a database outage
 * is a 503 with a JSON error, never a hang or a crash. */
#ifndef LENS_API_H
#define LENS_API_H

#include <stdint.h>

#include "db.h"
#include "devcache.h"
#include "httpd.h"
#include "prom.h"

struct api {
	struct db_pool *pool;
	struct prom_registry *reg;
	int64_t offline_after_ns;
	struct devcache *cache;
};

extern const struct http_route api_routes[];

#endif
