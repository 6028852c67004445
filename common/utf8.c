/* utf8: a validating walk; one replacement per bad byte. */
#include "utf8.h"

#include <stdint.h>

/* The length of the valid sequence at p (1-4), or 0. */
static size_t sequence(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t cp;
	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c < 0xe0)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c < 0xf0)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c < 0xf5)
		n = 4, cp = c & 0x07;
	else
		return 0; /* NUL, a continuation byte, or never valid */
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void utf8_sanitize(const void *data, size_t len, struct buf *out)
{
	const uint8_t *p = data, *end = p + len, *run = p;
	buf_reserve(out, len + 1);
	while (p < end) {
		size_t n = sequence(p, (size_t)(end - p));
		if (n) {
			p += n;
			continue;
		}
		buf_append(out, run, (size_t)(p - run));
		buf_append(out, "\xef\xbf\xbd", 3);
		run = ++p;
	}
	buf_append(out, run, (size_t)(p - run));
	if (!out->p)
		buf_append(out, "", 0);
}
