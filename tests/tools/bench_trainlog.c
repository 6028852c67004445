/* bench_trainlog: training-log parser throughput on a realistic mix, one
 * iteration line per 20 other lines (warnings, data loader chatter, NCCL
 * and RCCL messages, a few that mention iterations without being one),
 * then the whole analysis pass the aggregator runs on every stored line
 * (parser, checkpoint marks, framework markers in each pod's first lines,
 * queueing what it finds for the store; no database).
 *
 *   bench_trainlog [--lines 2000000] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "analysis.h"
#include "trainlog.h"
#include "training.h"

static const char *const others[] = {
	"[20251121 12:10:29][rank-31/32][INFO ] [--------data_samplers.py:88] : building dataset index, 120000 samples",
	"[rank3]: NCCL INFO Channel 00/32 : 3[3] -> 4[4] via P2P/IPC",
	"[20251121 12:10:29][rank-0/32][WARNING] torch.distributed: the process group is not yet initialised",
	"[default0]:/opt/conda/lib/python3.10/site-packages/torch/utils/data/dataloader.py:558: UserWarning: workers",
	"[rank5]: RCCL INFO comm 0x55d0 rank 5 nranks 32 cudaDev 5 busId 81000 - Init COMPLETE",
	"[20251121 12:10:30][rank-31/32][INFO ] [--------trainer.py:2501] : iteration time 2701.3 ms (not an iteration line)",
	"(min, max) time across ranks (ms):",
	"    forward-backward ...............................: (2654.21, 2660.54)",
	"    optimizer ......................................: (31.20, 31.55)",
	"[20251121 12:10:31][rank-31/32][INFO ] [--------checkpointing.py:410] : saving checkpoint at iteration   12000 to /ckpt in torch_dist format",
};
static const char iteration[] =
	"[20251121 12:10:29][rank-31/32][INFO ] [--------trainer.py:2488] :  iteration    12125/   36000 | consumed samples:      3104000 | elapsed time per iteration (ms): 2701.3/2712.7 | rocm mem usage/free/total/usage_ratio: 227.35GB/28.63GB/255.98GB/88.81% | throughput per GPU (TFLOP/s/GPU): 210.5/217.3 | tokens per GPU (tokens/s/GPU): 12130.4/12525.5 | learning rate: 1.587349E-04 | global batch size:   256 | lm loss: 2.352391E+00 | loss scale: 1.0 | grad norm: 0.132 | num zeros: 0.0 | number of skipped iterations:   0 | number of nan iterations:   0 |";

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* The analysis over the same mix, as records of 64 pods, in batches of
 * 1,000 lines of one container each, as the agents' log batches come. */
static double analysis_pass(long lines, size_t nothers, const size_t *lens, size_t itlen)
{
	struct prom_registry *reg = prom_registry_new();
	struct training_config tc = {.max_queue = 1 << 20};
	struct training *t = training_new(&tc, NULL, reg);
	struct analysis *a = analysis_new(reg, t, 2000);
	char uids[64][40];
	for (int p = 0; p < 64; p++)
		snprintf(uids[p], sizeof uids[p], "7b8c9d0e-1f2a-4b3c-8d4e-%012d", p);
	struct log_record recs[1000];
	double c0 = cpu_now();
	for (long i = 0; i < lines;) {
		size_t n = 0;
		const char *uid = uids[(i / 1000) % 64];
		for (; n < 1000 && i < lines; n++, i++) {
			int other = i % 21 != 0;
			recs[n] = (struct log_record){"node", "ml", "trainer", uid, "main", "stdout",
						      (int64_t)i * 1000000, other ? others[i % nothers] : iteration,
						      other ? lens[i % nothers] : itlen};
		}
		analysis_lines(a, recs, n);
	}
	double cpu = cpu_now() - c0;
	analysis_free(a);
	training_free(t);
	prom_registry_free(reg);
	return cpu;
}

int main(int argc, char **argv)
{
	long lines = argc > 2 && !strcmp(argv[1], "--lines") ? atol(argv[2]) : 2000000;
	size_t nothers = sizeof others / sizeof others[0], lens[16], itlen = strlen(iteration);
	for (size_t i = 0; i < nothers; i++)
		lens[i] = strlen(others[i]);
	long found = 0;
	double c0 = cpu_now();
	for (long i = 0; i < lines; i++) {
		struct trainlog_line l;
		int r = i % 21 == 0 ? trainlog_parse(iteration, itlen, &l)
				    : trainlog_parse(others[i % nothers], lens[i % nothers], &l);
		found += r > 0;
	}
	double cpu = cpu_now() - c0;
	printf("training-log parser: %ld mixed lines (1 iteration line in 21), %ld iteration lines "
	       "found, %.2f s CPU: %.0f lines/s per core (target 2,000,000: %.2fx)\n",
	       lines, found, cpu, lines / cpu, lines / cpu / 2e6);
	double acpu = analysis_pass(lines, nothers, lens, itlen);
	printf("training analysis pass (parser, checkpoint marks, framework markers in each of 64 "
	       "pods' first 2,000 lines, queueing for the store): %.2f s CPU: %.0f lines/s per core "
	       "(target 2,000,000: %.2fx)\n",
	       acpu, lines / acpu, lines / acpu / 2e6);
	return found == (lines + 20) / 21 ? 0 : 1;
}
