/* ticker: a thread that calls a function every interval until stopped.
 * The wait runs on the monotonic clock and stopping interrupts it, so a
 * component's shutdown never waits out an interval. */
#ifndef LENS_TICKER_H
#define LENS_TICKER_H

#include <stdint.h>

struct ticker;

/* The first call comes one interval after the start. Returns 0 or
 * -EAGAIN when no thread could be started. */
int ticker_start(int64_t interval_ns, void (*fn)(void *arg), void *arg, struct ticker **out);
/* Stops the thread, after a call in progress has returned. NULL is fine. */
void ticker_stop(struct ticker *t);

#endif
