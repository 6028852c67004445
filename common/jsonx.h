/* jsonx: the one jansson accessor Lens needs everywhere (a string member
 * as text, "" when it is absent or not a string, so callers print and
 * compare without a NULL check at every use), and JSON text written
 * straight into a buffer where building jansson objects would cost more
 * than the work itself (the training analysis's hot path). */
#ifndef LENS_JSONX_H
#define LENS_JSONX_H

#include <jansson.h>
#include <stdbool.h>

#include "buf.h"

const char *jsonx_str(const json_t *o, const char *key);

/* How Lens writes JSON text: compact, ASCII, and reals to 15 significant
 * digits, so that a double prints as the decimal it was read from (0.4,
 * not 0.40000000000000002), in answers and in what is stored. */
#define JSONX_DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15))

/* s as a quoted JSON string (NULL as ""); control characters, quotes and
 * backslashes escaped, other bytes as they are (callers pass UTF-8). */
void jsonx_write_str(struct buf *b, const char *s);
/* Whether s[0..n) is a number in JSON's syntax exactly:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? ("+1", ".5", "5.", "01",
 * "0x10", "nan" are not, though strtod reads them). */
bool jsonx_number_syntax(const char *s, size_t n);
/* A number as JSON: integers exactly, others to 15 significant digits
 * (the decimal they were written as); NaN and infinities as "NaN". */
void jsonx_write_num(struct buf *b, double v);

#endif
