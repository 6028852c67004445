/* bench_ingest: end-to-end delivery benchmark. Simulates N agents in one
 * process, each with its own spool, sender and nng socket: fills every
 * spool with M heartbeat envelopes, then starts all senders at once and
 * measures until every envelope is acknowledged (stored and committed by
 * the aggregator). With --aggregator-pid it also reports the aggregator's
 * CPU time per 100k envelopes.
 *
 *   bench_ingest --url tcp://127.0.0.1:9470 --agents 64 --per-agent 2000
 *                --dir /tmp/bench [--inflight 8] [--aggregator-pid PID] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "emit.h"
#include "log.h"
#include "procstat.h"
#include "sender.h"
#include "spool.h"

struct sim_agent {
	char node[32], boot[40], dir[256];
	struct prom_registry *reg;
	struct spool *spool;
	struct sender *sender;
};

static void random_uuid(char *out)
{
	unsigned char b[16];
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(b, 1, sizeof b, f) != sizeof b)
		abort();
	fclose(f);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		b[13], b[14], b[15]);
}

static int fill(struct sim_agent *a, const char *base, int i, long per_agent)
{
	char err[256];
	snprintf(a->node, sizeof a->node, "bench-%03d", i);
	snprintf(a->dir, sizeof a->dir, "%s/%s", base, a->node);
	random_uuid(a->boot);
	a->reg = prom_registry_new();
	struct spool_config sc = {a->dir, 1LL << 30, 4 << 20};
	if (spool_open(&sc, a->reg, &a->spool, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	struct emitter em = {a->spool, NULL, a->node, a->boot};
	for (long k = 0; k < per_agent; k++) {
		Lens__V1__Heartbeat hb = LENS__V1__HEARTBEAT__INIT;
		Envelope e = LENS__V1__ENVELOPE__INIT;
		hb.agent_uptime_s = k;
		e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
		e.heartbeat = &hb;
		if (emit_envelope(&em, LENS__V1__STREAM__STREAM_CONTROL, &e))
			return -1;
	}
	return 0;
}

static uint64_t pending(struct sim_agent *agents, int n)
{
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		struct spool_stats st;
		spool_get_stats(agents[i].spool, &st);
		total += st.records;
	}
	return total;
}

int main(int argc, char **argv)
{
	const char *url = "tcp://127.0.0.1:9470", *dir = "/tmp/lens-bench";
	int nagents = 1, inflight = 8;
	long per_agent = 10000;
	pid_t agg = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--url"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--agents"))
			nagents = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--per-agent"))
			per_agent = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--inflight"))
			inflight = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--aggregator-pid"))
			agg = atoi(argv[i + 1]);
	}
	log_init("bench", LOG_ERROR);
	struct sim_agent *agents = calloc((size_t)nagents, sizeof *agents);
	for (int i = 0; i < nagents; i++)
		if (fill(&agents[i], dir, i, per_agent))
			return 1;
	uint64_t total = (uint64_t)nagents * (uint64_t)per_agent;
	double cpu0 = agg ? procstat_cpu_seconds(agg) : 0;
	int64_t t0 = clock_mono_ns();
	char err[256];
	for (int i = 0; i < nagents; i++) {
		struct sender_config c = {url, inflight, 30 * NS_PER_SEC, 100 * NS_PER_MS,
					  NS_PER_SEC, NULL, NULL, NULL};
		if (sender_start(&c, agents[i].spool, agents[i].reg, &agents[i].sender, err,
				 sizeof err)) {
			fprintf(stderr, "bench: %s\n", err);
			return 1;
		}
	}
	while (pending(agents, nagents) > 0) {
		if (clock_mono_ns() - t0 > 600 * NS_PER_SEC) {
			fprintf(stderr, "bench: gave up after 600 s\n");
			return 1;
		}
		struct timespec ts = {0, 5 * NS_PER_MS};
		nanosleep(&ts, NULL);
	}
	double secs = (double)(clock_mono_ns() - t0) / NS_PER_SEC;
	double cpu = agg ? procstat_cpu_seconds(agg) - cpu0 : 0;
	printf("agents=%d envelopes=%llu seconds=%.3f envelopes_per_second=%.0f", nagents,
	       (unsigned long long)total, secs, (double)total / secs);
	if (agg)
		printf(" aggregator_cpu_seconds=%.3f aggregator_cpu_seconds_per_100k=%.3f", cpu,
		       cpu / ((double)total / 100000.0));
	printf("\n");
	for (int i = 0; i < nagents; i++) {
		sender_stop(agents[i].sender);
		spool_close(agents[i].spool);
		prom_registry_free(agents[i].reg);
	}
	free(agents);
	return 0;
}
