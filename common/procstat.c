/* procstat: process metrics from /proc/<pid>/stat and /proc/<pid>/fd. */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

/* Fields of /proc/<pid>/stat after the ")" that ends comm; field 3 is
 * the first one. Returns 0 or -1. */
static int stat_fields(pid_t pid, unsigned long long *utime, unsigned long long *stime,
		       unsigned long long *start, unsigned long long *vsize, long long *rss)
{
	char path[64], *text;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (files_read(path, 4096, &text, NULL))
		return -1;
	char *p = strrchr(text, ')');
	int n = p ? sscanf(p + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
			   "%*d %*d %*d %llu %llu %lld",
			   utime, stime, start, vsize, rss)
		  : 0;
	free(text);
	return n == 5 ? 0 : -1;
}

double procstat_cpu_seconds(pid_t pid)
{
	unsigned long long u, s, st, vs;
	long long rss;
	if (stat_fields(pid, &u, &s, &st, &vs, &rss))
		return 0;
	return (double)(u + s) / (double)sysconf(_SC_CLK_TCK);
}

double procstat_rss_bytes(pid_t pid)
{
	unsigned long long u, s, st, vs;
	long long rss;
	if (stat_fields(pid, &u, &s, &st, &vs, &rss))
		return 0;
	return (double)rss * (double)sysconf(_SC_PAGESIZE);
}

static double cpu_fn(void *arg)
{
	(void)arg;
	return procstat_cpu_seconds(getpid());
}

static double rss_fn(void *arg)
{
	(void)arg;
	return procstat_rss_bytes(getpid());
}

static double vsize_fn(void *arg)
{
	(void)arg;
	unsigned long long u, s, st, vs;
	long long rss;
	return stat_fields(getpid(), &u, &s, &st, &vs, &rss) ? 0 : (double)vs;
}

static double fds_fn(void *arg)
{
	(void)arg;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 2 ? n - 3 : 0; /* ".", ".." and the fd of d itself */
}

static double start_fn(void *arg)
{
	(void)arg;
	unsigned long long u, s, st, vs;
	long long rss;
	if (stat_fields(getpid(), &u, &s, &st, &vs, &rss))
		return 0;
	char *text;
	double btime = 0;
	if (files_read("/proc/stat", 1 << 20, &text, NULL) == 0) {
		char *b = strstr(text, "\nbtime ");
		btime = b ? strtod(b + 7, NULL) : 0;
		free(text);
	}
	return btime + (double)st / (double)sysconf(_SC_CLK_TCK);
}

void procstat_register(struct prom_registry *r)
{
	prom_fn(r, PROM_COUNTER, "process_cpu_seconds_total",
		"Total user and system CPU time spent in seconds.", cpu_fn, NULL);
	prom_fn(r, PROM_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.",
		rss_fn, NULL);
	prom_fn(r, PROM_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
		vsize_fn, NULL);
	prom_fn(r, PROM_GAUGE, "process_open_fds", "Number of open file descriptors.", fds_fn,
		NULL);
	prom_fn(r, PROM_GAUGE, "process_start_time_seconds",
		"Start time of the process since unix epoch in seconds.", start_fn, NULL);
}
