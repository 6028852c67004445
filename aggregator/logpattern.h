/* logpattern: users' own iteration-line layouts, PCRE2 regexes whose named
 * groups name the fields ("(?<iteration>\d+) .* loss=(?<lm_loss>\S+)"),
 * JIT-compiled. The analysis tries them on lines the built-in parser does
 * not recognise, so built-in layouts never pay for them. A set is
 * immutable once built and shared by reference: reloading (from the
 * training_log_patterns table) swaps in a new set while lines are being
 * matched against the old one. */
#ifndef LENS_LOGPATTERN_H
#define LENS_LOGPATTERN_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct logpattern_set;

struct logpattern_set *logpattern_set_new(void);
/* Compiles and adds a pattern; it must have a group named "iteration".
 * Returns 0, or -EINVAL with why (and where) in err. */
int logpattern_set_add(struct logpattern_set *s, const char *name, const char *pattern,
		       char *err, size_t errlen);
size_t logpattern_set_size(const struct logpattern_set *s);
struct logpattern_set *logpattern_set_ref(struct logpattern_set *s);
void logpattern_set_unref(struct logpattern_set *s); /* NULL is fine */

/* The first pattern matching the line: returns 1 with the iteration, the
 * fields (a new object: numbers, NaN as "NaN") and the pattern's name; 0
 * when none matched; -1 when one matched with a negative value or no
 * iteration (*why says which field). */
int logpattern_match(const struct logpattern_set *s, const char *line, size_t len,
		     int64_t *iteration, json_t **fields, const char **name, const char **why);

/* The enabled patterns of the training_log_patterns table. A pattern that
 * no longer compiles is skipped and logged. Returns 0 or -EIO. */
int logpattern_load(PGconn *c, struct logpattern_set **out, char *err, size_t errlen);

#endif
