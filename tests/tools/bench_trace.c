/* bench_trace: the profiler-trace analyzer on each file given: wall time,
 * CPU time and peak RSS of the whole analysis (GPU timelines, streams,
 * launchers, op and collective tables), each file in a fresh process so
 * that the peak is its own, and MB/s of uncompressed JSON. For the
 * synthetic 171 MB file, against the targets (1 s, 100 MB) and the
 * reference tools' figures on a machine like this one.
 *
 *   bench_trace FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: analyse, and tell the parent the JSON size. */
static void child(const char *path, int fd)
{
	json_t *out;
	char err[256];
	double json_mb = 0;
	if (trace_analyze(path, 0, &out, err, sizeof err) >= 0) {
		json_mb = json_number_value(json_object_get(json_object_get(out, "file"), "json_bytes")) / 1e6;
		json_decref(out);
	}
	if (write(fd, &json_mb, sizeof json_mb) != sizeof json_mb)
		_exit(1);
	_exit(json_mb > 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		int fds[2];
		double json_mb = 0, t0 = now();
		if (pipe(fds))
			return 1;
		pid_t pid = fork();
		if (pid == 0)
			child(argv[i], fds[1]);
		struct rusage ru;
		int status;
		wait4(pid, &status, 0, &ru);
		double wall = now() - t0;
		if (read(fds[0], &json_mb, sizeof json_mb) != sizeof json_mb || status != 0)
			failed = 1;
		close(fds[0]);
		close(fds[1]);
		double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			     ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
		double rss = (double)ru.ru_maxrss / 1024;
		const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		printf("trace %-48s %7.1f MB JSON  %6.3f s wall  %6.3f s CPU  peak RSS %6.1f MiB  %6.0f MB/s\n",
		       name, json_mb, wall, cpu, rss, json_mb / wall);
		if (strstr(name, "synthetic"))
			printf("  synthetic x4 (the benchmark file): target < 1 s and < 100 MB: %.2fx of the time, "
			       "%.2fx of the memory; TraceLens took 25 s and 1.6 GB for its GPU timeline alone "
			       "(%.0fx our time), HTA 31 s and 1.0 GB\n",
			       wall / 1.0, rss / 100, 25 / wall);
	}
	return failed;
}
