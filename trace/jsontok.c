/* jsontok: recursive descent without recursion: nested values are
 * skipped by counting brackets outside strings. */
#include "jsontok.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

static void blanks(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
		c->p++;
}

int jcur_enter(struct jcur *c)
{
	blanks(c);
	if (c->p >= c->end || *c->p != '{')
		return -1;
	c->p++;
	return 0;
}

static int hexval(char h)
{
	return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
					      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
}

/* \uXXXX as UTF-8 at out; returns the bytes written (surrogates as U+FFFD). */
static size_t utf8(unsigned cp, char *out)
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* The string at c->p (its opening quote), unescaped in place: the result
 * never grows, so it fits where the text was. Most strings have no
 * escape and are only terminated. */
static int string(struct jcur *c, char **s, size_t *len)
{
	char *r = ++c->p, *w;
	while (r < c->end && *r != '"' && *r != '\\')
		r++;
	w = r;
	while (r < c->end && *r != '"') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		if (++r >= c->end)
			return -1;
		char e = *r++;
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *k = strchr(from, e);
		if (k && e) {
			*w++ = to[k - from];
		} else if (e == 'u' && c->end - r >= 4) {
			int h[4] = {hexval(r[0]), hexval(r[1]), hexval(r[2]), hexval(r[3])};
			if (h[0] < 0 || h[1] < 0 || h[2] < 0 || h[3] < 0)
				return -1;
			w += utf8((unsigned)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]), w);
			r += 4;
		} else {
			return -1;
		}
	}
	if (r >= c->end)
		return -1;
	*w = '\0';
	*s = c->p;
	*len = (size_t)(w - c->p);
	c->p = r + 1;
	return 0;
}

/* Skips an object or array: brackets counted outside strings. */
static int skip_nested(struct jcur *c)
{
	int depth = 0;
	do {
		if (c->p >= c->end)
			return -1;
		char ch = *c->p++;
		if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			depth--;
		} else if (ch == '"') {
			while (c->p < c->end && *c->p != '"')
				c->p += *c->p == '\\' ? 2 : 1;
			if (c->p++ >= c->end)
				return -1;
		}
	} while (depth > 0);
	return 0;
}

static const bool numchar[256] = {['+'] = 1, ['-'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1,
				  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
				  ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1};

bool jtok_number(const char *s, size_t n, double *out, bool *integral, int64_t *i)
{
	if (n == 0 || !jsonx_number_syntax(s, n))
		return false;
	/* Integers, the common case, without strtod. */
	size_t k = s[0] == '-', d = k;
	uint64_t v = 0;
	while (d < n && s[d] >= '0' && s[d] <= '9' && d - k < 18)
		v = v * 10 + (uint64_t)(s[d++] - '0');
	if (d == n) {
		*integral = true;
		*i = k ? -(int64_t)v : (int64_t)v;
		*out = (double)*i;
		return true;
	}
	char tmp[64];
	if (n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	*integral = false;
	return isfinite(*out);
}

static int number(struct jcur *c, struct jval *v)
{
	char *start = c->p;
	while (c->p < c->end && numchar[(unsigned char)*c->p])
		c->p++;
	v->type = JT_NUMBER;
	v->s = start;
	v->len = (size_t)(c->p - start);
	return jtok_number(start, v->len, &v->num, &v->integral, &v->i) ? 0 : -1;
}

static int literal(struct jcur *c, const char *word, enum jtype t, struct jval *v)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return -1;
	c->p += n;
	v->type = t;
	return 0;
}

int jcur_value(struct jcur *c, struct jval *v)
{
	blanks(c);
	memset(v, 0, sizeof *v);
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '"':
		v->type = JT_STRING;
		return string(c, &v->s, &v->len);
	case '{':
	case '[': {
		v->type = *c->p == '{' ? JT_OBJECT : JT_ARRAY;
		v->s = c->p;
		int rc = skip_nested(c);
		v->len = (size_t)(c->p - v->s);
		return rc;
	}
	case 't':
		return literal(c, "true", JT_TRUE, v);
	case 'f':
		return literal(c, "false", JT_FALSE, v);
	case 'n':
		return literal(c, "null", JT_NULL, v);
	default:
		return number(c, v);
	}
}

int jcur_key(struct jcur *c, char **key, size_t *klen)
{
	blanks(c);
	if (c->p < c->end && *c->p == ',') {
		c->p++;
		blanks(c);
	}
	if (c->p >= c->end)
		return -1;
	if (*c->p == '}') {
		c->p++;
		return 0;
	}
	if (*c->p != '"' || string(c, key, klen))
		return -1;
	blanks(c);
	if (c->p >= c->end || *c->p != ':')
		return -1;
	c->p++;
	return 1;
}

struct jcur jcur_sub(const struct jval *v)
{
	struct jcur c = {v->s, v->s + v->len};
	return c;
}
