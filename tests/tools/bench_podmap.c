/* bench_podmap: the cost of the pod mapping's two periodic reads on a busy
 * node. Forks --procs processes that each hold --fds open files (pipes,
 * regular files, /dev/null: what real processes hold; none is a GPU, so
 * every fd is looked at and dropped), optionally inside --cgroup (a
 * pod-shaped cgroup.procs to join), then times full process scans; with
 * --podres-socket it times pod-resources List calls.
 *
 *   bench_podmap --procs 2000 --fds 25 [--cgroup DIR] [--podres-socket S]
 *                [--iterations 5] [--calls 200] */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "podres.h"
#include "procscan.h"

static int nprocs = 2000, nfds = 25, iterations = 3, calls = 200;
static const char *cgroup, *podres_socket;

/* A child: join the cgroup, open the files, tell the parent, wait. */
static void child(int ready_fd)
{
	if (cgroup) {
		char path[4096];
		snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
		int fd = open(path, O_WRONLY);
		if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0)
			_exit(1);
		close(fd);
	}
	int p[2];
	for (int i = 0; i < nfds; i++) {
		if (i % 5 == 0)
			open("/dev/null", O_RDONLY);
		else if (i % 5 == 1 && pipe(p) == 0)
			i++;
		else
			open("/proc/self/stat", O_RDONLY);
	}
	if (write(ready_fd, "x", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

static void count_proc(const struct proc_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median wall and CPU ms of the passes selected by want_full. */
struct timing {
	double wall[64], cpu[64];
	int n;
};

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n ? v[n / 2] : 0;
}

static void print_timing(const char *what, struct timing *t)
{
	double cpu = median(t->cpu, t->n);
	printf("process scan, %s: procs=%d fds_per_proc=%d in_pod_cgroup=%s wall_ms=%.1f "
	       "cpu_ms=%.1f cpu_share_at_1s_interval=%.2f%%\n",
	       what, nprocs, nfds, cgroup ? "yes" : "no", median(t->wall, t->n), cpu, cpu / 10);
}

/* Passes of one scanner: the full passes (the first, then every
 * PROCSCAN_FULL_EVERY-th) and the steady ones in between. */
static void bench_scan(int flags, const char *what)
{
	struct procscan *ps = procscan_new("", "", flags);
	struct timing full = {0}, steady = {0};
	int found = 0;
	for (int i = 0; i < iterations * PROCSCAN_FULL_EVERY; i++) {
		double c0 = cpu_seconds();
		int64_t t0 = clock_mono_ns();
		procscan_scan(ps, count_proc, &found);
		struct timing *t = i % PROCSCAN_FULL_EVERY == 0 ? &full : &steady;
		if (t->n < 64) {
			t->wall[t->n] = (double)(clock_mono_ns() - t0) / 1e6;
			t->cpu[t->n++] = (cpu_seconds() - c0) * 1e3;
		}
	}
	procscan_free(ps);
	char label[128];
	snprintf(label, sizeof label, "%s, full pass", what);
	print_timing(label, &full);
	snprintf(label, sizeof label, "%s, steady pass (fd counts unchanged)", what);
	print_timing(label, &steady);
}

static void bench_podres(void)
{
	char err[512];
	int64_t t0 = clock_mono_ns();
	double c0 = cpu_seconds();
	size_t pods = 0;
	for (int i = 0; i < calls; i++) {
		V1__ListPodResourcesResponse *r;
		if (podres_list(podres_socket, 2 * NS_PER_SEC, &r, err, sizeof err)) {
			fprintf(stderr, "bench_podmap: %s\n", err);
			exit(1);
		}
		pods = r->n_pod_resources;
		podres_free(r);
	}
	printf("pod-resources List: entries=%zu calls=%d wall_ms_per_call=%.3f cpu_ms_per_call=%.3f\n",
	       pods, calls, (double)(clock_mono_ns() - t0) / 1e6 / calls,
	       (cpu_seconds() - c0) * 1e3 / calls);
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--procs")) nprocs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--fds")) nfds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--cgroup")) cgroup = argv[i + 1];
		else if (!strcmp(argv[i], "--podres-socket")) podres_socket = argv[i + 1];
		else if (!strcmp(argv[i], "--iterations")) iterations = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--calls")) calls = atoi(argv[i + 1]);
	}
	if (iterations < 1 || iterations > 64)
		iterations = 5;
	pid_t *kids = calloc((size_t)nprocs, sizeof *kids);
	int ready[2];
	if (!kids || pipe(ready))
		return 1;
	for (int i = 0; i < nprocs; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			child(ready[1]);
		if (kids[i] < 0) {
			perror("fork");
			nprocs = i;
			break;
		}
	}
	char c;
	for (int i = 0; i < nprocs; i++)
		if (read(ready[0], &c, 1) != 1)
			return 1;
	if (nprocs) {
		bench_scan(0, "every process");
		bench_scan(PROCSCAN_PODS_ONLY, "pods only (the agent)");
	}
	for (int i = 0; i < nprocs; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < nprocs; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	if (podres_socket)
		bench_podres();
	return 0;
}
