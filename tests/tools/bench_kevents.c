/* bench_kevents: a fork/exec/exit storm for the kernel-event benchmark.
 * Joins --cgroup (a pod-shaped cgroup.procs) so every child is a pod
 * process, then for --seconds starts /bin/true as fast as it can (or at
 * --rate per second), reaping as it goes. Each child is an exec and an
 * exit event. Prints how many it started.
 *
 *   bench_kevents --cgroup DIR --seconds 5 [--rate 2000] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char **argv)
{
	const char *cgroup = NULL;
	double seconds = 5, rate = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cgroup")) cgroup = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
	}
	if (cgroup) {
		char path[4096];
		snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
		int fd = open(path, O_WRONLY);
		if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	int64_t start = clock_mono_ns(), end = start + (int64_t)(seconds * 1e9);
	long started = 0;
	for (int64_t now = start; now < end; now = clock_mono_ns()) {
		if (rate > 0 && started >= (double)(now - start) / 1e9 * rate) {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
			continue;
		}
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/true", "true", "bench-kevents", (char *)NULL);
			_exit(127);
		}
		if (p > 0)
			started++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	printf("started=%ld seconds=%.2f per_second=%.0f\n", started,
	       (double)(clock_mono_ns() - start) / 1e9,
	       (double)started / ((double)(clock_mono_ns() - start) / 1e9));
	return 0;
}
