/* table: collect rows, measure, print. */
#include "table.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct table {
	int ncols, nrows, cap;
	char **cells; /* row-major, nrows * ncols; row 0 is the header, if any */
};

static void add_row(struct table *t, const char *const *cells)
{
	if (t->nrows + 1 >= t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, sizeof(char *) * (size_t)(t->cap * t->ncols));
	}
	for (int c = 0; c < t->ncols; c++) {
		const char *v = cells[c] && *cells[c] ? cells[c] : "<none>";
		t->cells[t->nrows * t->ncols + c] = xstrdup(v);
	}
	t->nrows++;
}

struct table *table_new(int ncols, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	if (headers)
		add_row(t, headers);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	add_row(t, cells);
}

void table_print(const struct table *t, FILE *out)
{
	table_print_indented(t, out, 0);
}

void table_print_indented(const struct table *t, FILE *out, int indent)
{
	size_t width[64] = {0};
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols && c < 64; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);
			if (n > width[c])
				width[c] = n;
		}
	for (int r = 0; r < t->nrows; r++) {
		fprintf(out, "%*s", indent, "");
		for (int c = 0; c < t->ncols; c++) {
			const char *v = t->cells[r * t->ncols + c];
			if (c == t->ncols - 1)
				fprintf(out, "%s\n", v);
			else
				fprintf(out, "%-*s   ", (int)width[c], v);
		}
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *table_num(const json_t *o, const char *key, const char *fmt, char *buf, size_t cap)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_number(v))
		snprintf(buf, cap, fmt, json_number_value(v));
	else
		snprintf(buf, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
	return buf;
}

void table_print_items(const json_t *items, int ncols, const char *const *headers,
		       void (*row)(struct table *t, const json_t *item))
{
	struct table *t = table_new(ncols, headers);
	const json_t *item;
	size_t i;
	json_array_foreach(items, i, item)
		row(t, item);
	table_print(t, stdout);
	table_free(t);
}

const char *table_age(const char *rfc3339, char *buf, size_t cap)
{
	int64_t t;
	buf[0] = '\0';
	if (clock_parse_rfc3339(rfc3339, &t) == 0)
		clock_format_age(clock_now_ns() - t, buf, cap);
	return buf;
}
