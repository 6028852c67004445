/* clock: wall and monotonic time in nanoseconds, RFC 3339 formatting and
 * parsing, and the human ages lensctl prints ("5m", "3h12m", "4d"). */
#ifndef LENS_CLOCK_H
#define LENS_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL
#define NS_PER_MS 1000000LL

int64_t clock_now_ns(void);   /* CLOCK_REALTIME */
int64_t clock_mono_ns(void);  /* CLOCK_MONOTONIC */

/* UTC with `digits` fractional digits (0, 3, 6 or 9) and a Z. */
char *clock_format_rfc3339(int64_t unix_ns, int digits, char *out, size_t len);
/* Accepts any number of fractional digits and Z or +hh:mm offsets.
 * Returns 0, -EINVAL, or -ERANGE outside the years 1678 to 2261. */
int clock_parse_rfc3339(const char *s, int64_t *unix_ns);
/* kubectl-style age of a duration: 45s, 5m, 3h12m, 4d, 2y. */
char *clock_format_age(int64_t ns, char *out, size_t len);
/* "500ms", "10s", "2m", "1h", "3d" or a bare number of seconds. */
int clock_parse_duration(const char *s, int64_t *ns);

/* Condition variables that time out on the monotonic clock (a wall-clock
 * jump neither stalls nor rushes a periodic thread), and the absolute
 * deadline such a wait takes. */
void clock_cond_init(pthread_cond_t *c);
struct timespec clock_deadline(int64_t from_now_ns);

#endif
