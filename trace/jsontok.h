/* jsontok: a cursor over one JSON value held in memory, for reading a
 * trace event's members without building a tree: keys and scalar values
 * are returned as spans into the text (strings unescaped in place),
 * nested values are skipped or entered. The trace reader hands it one
 * event object at a time, so the text is small and mutable. */
#ifndef LENS_JSONTOK_H
#define LENS_JSONTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jtype { JT_NONE, JT_STRING, JT_NUMBER, JT_TRUE, JT_FALSE, JT_NULL, JT_OBJECT, JT_ARRAY };

struct jval {
	enum jtype type;
	char *s;        /* string: unescaped, NUL-terminated; object/array: the raw text */
	size_t len;
	double num;     /* number */
	bool integral;  /* number written without fraction or exponent */
	int64_t i;      /* number, when integral */
};

struct jcur {
	char *p, *end;
};

/* Enters the object at c (after leading blanks): 0, or -1 when it is not one. */
int jcur_enter(struct jcur *c);
/* The next member of the object entered: 1 with its key (unescaped,
 * NUL-terminated in place) and c at its value; 0 at the object's end; -1
 * on bad input. */
int jcur_key(struct jcur *c, char **key, size_t *klen);
/* The value at c: scalars read, objects and arrays skipped (v->s is
 * their text, and jcur_sub opens it); 0, or -1 on bad input. */
int jcur_value(struct jcur *c, struct jval *v);
/* A cursor over a nested object value read by jcur_value. */
struct jcur jcur_sub(const struct jval *v);

/* Parses a JSON number the way strtod does, but only JSON's syntax. */
bool jtok_number(const char *s, size_t n, double *out, bool *integral, int64_t *i);

#endif
