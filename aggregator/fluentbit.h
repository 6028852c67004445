/* fluentbit: the JSON that fluent-bit's http output sends (format json: an
 * array of records; json_lines: one per line), as log records:
 *   {"date": 1716552000.123 | "2024-05-24T12:00:00.123Z", "stream": "stdout",
 *    "logtag": "F", "log" | "message": "...",
 *    "kubernetes": {"pod_name", "namespace_name", "pod_id", "host",
 *                   "container_name", "labels"}}
 * so clusters that already run fluent-bit can feed Lens. A record that
 * lacks what a line needs is refused with a reason; the others stand. */
#ifndef LENS_FLUENTBIT_H
#define LENS_FLUENTBIT_H

#include <jansson.h>
#include <stddef.h>

#include "analysis.h"

struct fluentbit_batch {
	json_t *doc;              /* owns the strings the records point into */
	struct log_record *recs;
	size_t n, rejected;
	json_t *errors;           /* the first few reasons: ["record 3: no message", ...] */
};

/* Returns 0 (some records may be refused: see rejected), or -EINVAL when
 * the body is neither a JSON array nor JSON lines (err says why). */
int fluentbit_parse(const char *body, size_t len, struct fluentbit_batch *b, char *err,
		    size_t errlen);
void fluentbit_free(struct fluentbit_batch *b);

#endif
