/* selectors: what a rule is about (docs/alerts.md): [{"key", "op",
 * "value" | "values"}], all of which must pass. Keys: workload (the pod's
 * workloads' UIDs and names), namespace, pod, node, device; ops: eq, ne,
 * in, notin, exists, regex (PCRE2, searched). Log rules select on the
 * line's pod, metric rules on the sample's node and device. */
#ifndef LENS_SELECTORS_H
#define LENS_SELECTORS_H

#include <jansson.h>
#include <stdbool.h>

/* What a line or sample is about. */
struct rule_subject {
	const char *node, *namespace_, *pod, *pod_uid, *device;
	const json_t *workloads; /* UIDs and names (array), or NULL */
};

enum selector_key {
	SELECT_WORKLOAD = 1,
	SELECT_NAMESPACE = 2,
	SELECT_POD = 4,
	SELECT_NODE = 8,
	SELECT_DEVICE = 16,
};

/* Checks a list (NULL: none) against the keys allowed (a mask) and
 * returns it normalised ({key, op, values}), or NULL with err. */
json_t *selectors_parse(const json_t *list, unsigned keys, char *err, size_t errlen);

struct selectors;

/* From a normalised list; NULL with err when a regex does not compile. */
struct selectors *selectors_new(const json_t *list, char *err, size_t errlen);
void selectors_free(struct selectors *s);
bool selectors_pass(const struct selectors *s, const struct rule_subject *who);

#endif
