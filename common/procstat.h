/* procstat: the standard process_* metrics (CPU seconds, resident and
 * virtual memory, open fds, start time) of the calling process, read from
 * /proc/self at scrape time, and the same CPU figure for benchmarks. */
#ifndef LENS_PROCSTAT_H
#define LENS_PROCSTAT_H

#include <sys/types.h>

#include "prom.h"

void procstat_register(struct prom_registry *r);
/* user + system CPU seconds of a process (0 on error). */
double procstat_cpu_seconds(pid_t pid);
/* Resident set size in bytes (0 on error). */
double procstat_rss_bytes(pid_t pid);

#endif
