/* alertquery: reading alerts (migration 009, docs/alerts.md): the
 * filtered, paged list, one alert, its correlations, and statistics. */
#ifndef LENS_ALERTQUERY_H
#define LENS_ALERTQUERY_H

#include <jansson.h>
#include <libpq-fe.h>

struct alerts_filter {
	const char *source, *severity, *status; /* comma-separated lists */
	const char *name;
	const char *workload, *pod;             /* name or UID */
	const char *node, *cluster;
	const char *from, *to;                  /* RFC 3339, on starts_at */
	long long offset, limit;
};

/* Newest first. 0 or -EIO. */
int alertquery_list(PGconn *c, const struct alerts_filter *f, json_t **out, char *err,
		    size_t errlen);
/* 0, -ENOENT or -EIO. */
int alertquery_get(PGconn *c, const char *id, json_t **out, char *err, size_t errlen);
/* The alerts related to one, strongest first, each with "score" and
 * "reason". 0, -ENOENT or -EIO. */
int alertquery_correlations(PGconn *c, const char *id, json_t **out, char *err, size_t errlen);

struct alerts_stats_query {
	const char *group_by;                   /* hour, day, name, severity, source, status */
	const char *from, *to;                  /* RFC 3339; default the last 24 hours */
	const char *name, *source, *workload, *cluster;
};

/* Counts per group: total, by status and by severity. -EINVAL for an
 * unknown group_by; -EIO. */
int alertquery_statistics(PGconn *c, const struct alerts_stats_query *q, json_t **out, char *err,
			  size_t errlen);

#endif
