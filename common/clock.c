/* clock: time sources, RFC 3339, durations and ages. */
#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_now_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

int64_t clock_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

char *clock_format_rfc3339(int64_t unix_ns, int digits, char *out, size_t len)
{
	int64_t sec = unix_ns / NS_PER_SEC;
	int64_t frac = unix_ns % NS_PER_SEC;
	if (frac < 0) {
		frac += NS_PER_SEC;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (digits > 0 && n < len) {
		static const int64_t div[] = {1, 100000000, 10000000, 1000000, 100000,
					      10000, 1000, 100, 10, 1};
		if (digits > 9)
			digits = 9;
		n += (size_t)snprintf(out + n, len - n, ".%0*lld", digits,
				      (long long)(frac / div[digits]));
	}
	if (n < len)
		snprintf(out + n, len - n, "Z");
	return out;
}

static int parse_digits(const char **p, int count, int *out)
{
	int v = 0;
	for (int i = 0; i < count; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -EINVAL;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

static int parse_offset(const char *p, int64_t *offset_s)
{
	if (*p == 'Z' || *p == 'z') {
		*offset_s = 0;
		return p[1] ? -EINVAL : 0;
	}
	if (*p != '+' && *p != '-')
		return -EINVAL;
	int sign = *p == '-' ? -1 : 1, hh, mm;
	p++;
	if (parse_digits(&p, 2, &hh) || *p++ != ':' || parse_digits(&p, 2, &mm) || *p)
		return -EINVAL;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return 0;
}

int clock_parse_rfc3339(const char *s, int64_t *unix_ns)
{
	struct tm tm = {0};
	const char *p = s;
	int y, mo, d, h, mi, sec;
	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
	    parse_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi) || *p++ != ':' ||
	    parse_digits(&p, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		int64_t scale = NS_PER_SEC / 10;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	int64_t offset_s;
	if (parse_offset(p, &offset_s))
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	int64_t t = (int64_t)timegm(&tm) - offset_s;
	/* Nanoseconds in 64 bits cover the years 1678 to 2261. */
	if (t <= INT64_MIN / NS_PER_SEC || t >= INT64_MAX / NS_PER_SEC)
		return -ERANGE;
	*unix_ns = t * NS_PER_SEC + frac;
	return 0;
}

char *clock_format_age(int64_t ns, char *out, size_t len)
{
	int64_t s = ns / NS_PER_SEC;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 600)
		snprintf(out, len, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 3 * 3600)
		snprintf(out, len, "%lldm", (long long)(s / 60));
	else if (s < 8 * 3600)
		snprintf(out, len, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s < 2 * 86400)
		snprintf(out, len, "%lldh", (long long)(s / 3600));
	else if (s < 365 * 86400LL)
		snprintf(out, len, "%lldd", (long long)(s / 86400));
	else
		snprintf(out, len, "%lldy", (long long)(s / (365 * 86400LL)));
	return out;
}

int clock_parse_duration(const char *s, int64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {{"", NS_PER_SEC}, {"ns", 1}, {"us", 1000}, {"ms", NS_PER_MS},
		     {"s", NS_PER_SEC}, {"m", 60 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC},
		     {"d", 86400 * NS_PER_SEC}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double r = v * (double)units[i].ns;
			if (r > 9.2e18)
				return -ERANGE;
			*ns = (int64_t)r;
			return 0;
		}
	}
	return -EINVAL;
}

void clock_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

struct timespec clock_deadline(int64_t from_now_ns)
{
	int64_t until = clock_mono_ns() + from_now_ns;
	return (struct timespec){until / NS_PER_SEC, until % NS_PER_SEC};
}
