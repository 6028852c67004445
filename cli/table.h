/* table: kubectl-style column output: upper-case headers, columns padded
 * to their widest cell and three spaces apart, "<none>" for empty cells. */
#ifndef LENS_TABLE_H
#define LENS_TABLE_H

#include <jansson.h>
#include <stdio.h>

struct table;

/* headers may be NULL: rows only (what follows a table already printed). */
struct table *table_new(int ncols, const char *const *headers);
/* Adds a row of ncols cells (copied; NULL or "" prints as <none>). */
void table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *out);
/* The same, every line indented (tables nested in `describe` output). */
void table_print_indented(const struct table *t, FILE *out, int indent);
void table_free(struct table *t);
/* One table of items, a row each as row makes it, printed to stdout. */
void table_print_items(const json_t *items, int ncols, const char *const *headers,
		       void (*row)(struct table *t, const json_t *item));
/* A cell: how long ago an RFC 3339 time was, kubectl-style (5m, 3h12m);
 * empty when it is not a time. Returns buf. */
const char *table_age(const char *rfc3339, char *buf, size_t cap);
/* A cell from a JSON member: a number printed with fmt, a string as it
 * is, anything else empty. Returns buf. */
const char *table_num(const json_t *o, const char *key, const char *fmt, char *buf, size_t cap);

#endif
