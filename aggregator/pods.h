/* pods: the pod, workload and device-assignment tables (migration
 * 004_pods) and the API views that query them: pods, workloads, one
 * workload with its pods, nodes and devices, and a device's history. */
#ifndef LENS_PODS_H
#define LENS_PODS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "envelope.h"
#include "pgarray.h"

/* The statement that applies n PodDeviceMap envelopes (see ingest). */
void pods_stmt_maps(Envelope *const *envs, int n, struct pgarray_stmt *st);

struct pods_filter {
	const char *node, *namespace_, *workload; /* NULL: any; workload by name or uid */
	bool all;                                 /* include pods that are gone */
	long long offset, limit;
};

/* Each function returns 0 with *out, -ENOENT (workload_get: no such
 * workload), or -EIO with err set. */
int pods_list(PGconn *c, const struct pods_filter *f, json_t **out, char *err, size_t errlen);
int pods_workloads(PGconn *c, const struct pods_filter *f, json_t **out, char *err,
		   size_t errlen);
/* By UID, or by name when no UID matches (the CLI's `describe workload NAME`). */
int pods_workload_get(PGconn *c, const char *uid_or_name, json_t **out, char *err,
		      size_t errlen);
/* Assignment intervals of one device overlapping [from, to] (RFC 3339 or NULL). */
int pods_device_history(PGconn *c, const char *node, const char *device, const char *from,
			const char *to, json_t **out, char *err, size_t errlen);

#endif
