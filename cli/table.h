/* table: kubectl-style column output: upper-case headers, columns padded
 * to their widest cell and three spaces apart, "<none>" for empty cells. */
#ifndef LENS_TABLE_H
#define LENS_TABLE_H

#include <stdio.h>

struct table;

struct table *table_new(int ncols, const char *const *headers);
/* Adds a row of ncols cells (copied; NULL or "" prints as <none>). */
void table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
