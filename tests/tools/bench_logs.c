/* bench_logs: the agent's tail-and-ship cost on its own. Writes --lines
 * CRI lines of about --bytes bytes into a /var/log/pods-shaped tree, runs
 * the tailer into a spool (no network: what the agent does before the
 * sender), and prints lines/s and MiB/s per CPU second, next to the time
 * `cat file > /dev/null` takes on the same file (the physical ceiling).
 *
 *   bench_logs --dir /tmp/x --lines 2000000 [--bytes 150] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "emit.h"
#include "files.h"
#include "logtail.h"
#include "spool.h"

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* N lines of `bytes` bytes each (with the CRI header and newline). */
static size_t write_file(const char *path, long n, int bytes)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	const char *hdr = "2026-11-22T03:00:00.123456789Z stdout F ";
	int body = bytes - (int)strlen(hdr) - 1;
	char line[4096];
	for (long i = 0; i < n; i++) {
		int k = snprintf(line, sizeof line, "%siteration %ld/1000000 | lm loss: 2.%03ld | ", hdr,
				 i, i % 1000);
		while (k < (int)strlen(hdr) + body && k < (int)sizeof line - 2) {
			line[k] = (char)('a' + (i + k) % 26);
			k++;
		}
		line[k++] = '\n';
		fwrite(line, 1, (size_t)k, f);
	}
	size_t size = (size_t)ftell(f);
	fclose(f);
	return size;
}

static double cat_seconds(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "cat '%s' > /dev/null", path);
	int64_t t0 = clock_mono_ns();
	if (system(cmd) != 0)
		return -1;
	return (double)(clock_mono_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp/lens-bench-logs";
	long lines = 2000000;
	int bytes = 150;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
		else if (!strcmp(argv[i], "--lines")) lines = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--bytes")) bytes = atoi(argv[i + 1]);
	}
	char pods[4096], cdir[4200], path[4300], spooldir[4200], state[4200];
	snprintf(pods, sizeof pods, "%s/pods", dir);
	snprintf(cdir, sizeof cdir, "%s/ml_trainer-0_0a1b2c3d-e4f5-4789-abcd-ef0123456789/main", pods);
	snprintf(path, sizeof path, "%s/0.log", cdir);
	snprintf(spooldir, sizeof spooldir, "%s/spool", dir);
	snprintf(state, sizeof state, "%s/logs.state", dir);
	files_mkdir_p(cdir, 0755);
	size_t size = write_file(path, lines, bytes);
	double cat = cat_seconds(path); /* warm: the tailer reads from the page cache too */
	cat = cat_seconds(path);
	struct prom_registry *reg = prom_registry_new();
	struct spool *sp;
	char err[256];
	struct spool_config sc = {spooldir, 1LL << 34, 4 << 20};
	if (spool_open(&sc, reg, &sp, err, sizeof err)) {
		fprintf(stderr, "bench_logs: %s\n", err);
		return 1;
	}
	struct emitter em = {sp, NULL, "bench-node", "0a1b2c3d-e4f5-4789-abcd-ef0123456789"};
	struct logtail_config lc = {pods, state, 65536, 1 << 20, NS_PER_SEC, 2 * NS_PER_SEC};
	struct logtail *lt;
	double c0 = cpu_now();
	int64_t t0 = clock_mono_ns();
	if (logtail_start(&lc, &em, sp, reg, &lt, err, sizeof err)) {
		fprintf(stderr, "bench_logs: %s\n", err);
		return 1;
	}
	while (logtail_lines(lt) < (uint64_t)lines) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	logtail_stop(lt); /* the last batch goes into the spool too */
	double wall = (double)(clock_mono_ns() - t0) / 1e9, cpu = cpu_now() - c0;
	spool_close(sp);
	prom_registry_free(reg);
	double mib = (double)size / (1 << 20);
	printf("logs, tail and ship to the spool: %ld lines of %d bytes (%.0f MiB) in %.2f s wall, "
	       "%.2f s CPU: %.0f lines/s per core (target 1,000,000: %.2fx), %.0f MiB/s per core; "
	       "cat of the same file: %.3f s, %.0f MiB/s; tailer / cat: %.2fx the time\n",
	       lines, bytes, mib, wall, cpu, lines / cpu, lines / cpu / 1e6, mib / cpu, cat,
	       mib / cat, wall / cat);
	return 0;
}
