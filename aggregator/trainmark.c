/* trainmark: keyword search on the raw line; no regexes. */
#include "trainmark.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *find(const char *s, size_t len, const char *what)
{
	return memmem(s, len, what, strlen(what));
}

/* The number after "iteration" at p, skipping Megatron's padding. */
static int iteration_at(const char *p, const char *end, int64_t *out)
{
	p += 9;
	while (p < end && *p == ' ')
		p++;
	if (p >= end || !isdigit((unsigned char)*p))
		return -1;
	*out = 0;
	for (; p < end && isdigit((unsigned char)*p) && *out < INT64_MAX / 10; p++)
		*out = *out * 10 + (*p - '0');
	return 0;
}

/* The word after key ("to ", "from "): a path up to the next blank. */
static void path_after(const char *s, const char *end, const char *key, char *out, size_t cap)
{
	const char *p = find(s, (size_t)(end - s), key);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	size_t n = 0;
	while (p + n < end && !isspace((unsigned char)p[n]) && n < cap - 1)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* "took 1234 ms", "took 12.5s", "took 3.2 seconds". */
static double took(const char *s, const char *end)
{
	const char *p = find(s, (size_t)(end - s), "took ");
	if (!p)
		return -1;
	char num[32];
	size_t n = 0;
	for (p += 5; p < end && n < sizeof num - 1 && (isdigit((unsigned char)*p) || *p == '.'); p++)
		num[n++] = *p;
	num[n] = '\0';
	if (!n)
		return -1;
	double v = strtod(num, NULL);
	while (p < end && *p == ' ')
		p++;
	return end - p >= 2 && p[0] == 'm' && p[1] == 's' ? v : v * 1000;
}

int trainmark_parse(const char *line, size_t len, struct trainmark *out)
{
	const char *end = line + len, *ck, *it;
	const char *exiting = find(line, len, "exiting program at iteration");
	if (exiting) {
		out->kind = TM_END;
		out->took_ms = -1;
		out->path[0] = '\0';
		return iteration_at(exiting + 19, end, &out->iteration) == 0;
	}
	if (!(ck = find(line, len, "checkpoint")))
		return 0;
	size_t before = (size_t)(ck - line);
	if (find(line, before, "successfully saved"))
		out->kind = TM_SAVE_END;
	else if (find(line, before, "saving"))
		out->kind = TM_SAVE_START;
	else if (find(line, before, "successfully loaded"))
		out->kind = TM_LOAD_END;
	else if (find(line, before, "loading"))
		out->kind = TM_LOAD_START;
	else
		return 0;
	if (!(it = find(ck, (size_t)(end - ck), " iteration")) ||
	    iteration_at(it + 1, end, &out->iteration))
		return 0;
	path_after(ck, end, out->kind <= TM_SAVE_END ? " to " : " from ", out->path,
		   sizeof out->path);
	out->took_ms = took(ck, end);
	return 1;
}

const char *trainmark_kind_name(enum trainmark_kind k)
{
	static const char *const n[] = {"save_start", "save_end", "load_start", "load_end", "end"};
	return k <= TM_END ? n[k] : "unknown";
}
