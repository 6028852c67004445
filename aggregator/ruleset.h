/* ruleset: the log alert rules (docs/alerts.md), checked and compiled
 * into one Hyperscan database, so that a line is matched against every
 * rule's patterns in one pass however many rules there are. Patterns are
 * compiled in Hyperscan's prefilter mode (any PCRE2 construct is
 * accepted) and each hit is confirmed with the PCRE2 pattern itself, so
 * what matches is exactly what PCRE2 says. A set is immutable once built
 * and shared by reference; reloading swaps in a new one.
 *
 * A rule: {"name", "severity", "labels", "annotations", "enabled",
 *  "conditions": [{"pattern", "ignore_case"}] (or "pattern" and
 *  "ignore_case" for one), "selector": [{"key": workload|namespace|pod|node,
 *  "op": eq|ne|in|notin|exists|regex, "value" | "values"}],
 *  "threshold": {"count", "window", "by": pod|workload|node|namespace|rule}}.
 * Several conditions make a composite rule: all of them within the window
 * on the same key. */
#ifndef LENS_RULESET_H
#define LENS_RULESET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "selectors.h"

#define RULESET_MAX_CONDITIONS 8

enum rule_by { BY_POD, BY_WORKLOAD, BY_NODE, BY_NAMESPACE, BY_RULE };


struct rule {
	int64_t id;
	char *name;
	const char *severity;
	json_t *labels, *annotations;
	int nconditions;
	char *patterns[RULESET_MAX_CONDITIONS];
	struct selectors *selectors;
	int count;            /* matches within window that fire (1: every one) */
	int64_t window_ns;
	enum rule_by by;
};

/* Checks a rule body and returns it normalised (what is stored), or NULL
 * with err. */
json_t *ruleset_parse(const json_t *body, char *err, size_t errlen);

struct ruleset;

/* Compiles rules (normalised bodies, each with an "id"). Returns the set,
 * or NULL with err naming the rule that does not compile. */
struct ruleset *ruleset_build(const json_t *rules, char *err, size_t errlen);
size_t ruleset_size(const struct ruleset *s);
struct ruleset *ruleset_ref(struct ruleset *s);
void ruleset_unref(struct ruleset *s); /* NULL is fine */

#define RULESET_MAX_HITS 64

/* The (rule, condition) ids whose pattern matches the line, confirmed by
 * PCRE2: at most RULESET_MAX_HITS into ids. Returns how many. */
int ruleset_scan(struct ruleset *s, const char *line, size_t len, unsigned *ids);
/* The rule (and its condition) of an id ruleset_scan gave. */
const struct rule *ruleset_rule(const struct ruleset *s, unsigned id, int *condition);
/* Whether the subject passes the selectors of that id's rule. */
bool ruleset_selects(const struct ruleset *s, unsigned id, const struct rule_subject *who);

#endif
