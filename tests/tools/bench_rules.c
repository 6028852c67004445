/* bench_rules: log lines per second through 500 log alert rules (mixed
 * patterns: literals, alternations, classes, case-insensitive ones,
 * lookarounds) on one core: Lens's one Hyperscan pass with PCRE2
 * confirmation, against trying each rule's PCRE2 pattern one after
 * another.
 *
 *   bench_rules [--rules N] [--lines N] */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "ruleset.h"

static const char *const words[] = {"NCCL", "CUDA", "HIP", "RCCL", "ECC", "PCIe", "Xid",
				    "watchdog", "checkpoint", "loss", "grad", "optimizer",
				    "dataloader", "allreduce", "barrier", "kernel", "memory",
				    "timeout", "segfault", "device", "rank", "iteration"};
#define NWORDS (sizeof words / sizeof words[0])

/* Rule i's pattern: one of five shapes, over different words. */
static void pattern_of(int i, struct buf *p, int *ci)
{
	const char *a = words[(size_t)i % NWORDS], *b = words[(size_t)(i / 3) % NWORDS];
	*ci = i % 4 == 0;
	buf_reset(p);
	switch (i % 5) {
	case 0: buf_printf(p, "%s error %d", a, i); break;
	case 1: buf_printf(p, "(%s|%s) (failed|lost) code=%d", a, b, i); break;
	case 2: buf_printf(p, "%s[ _-]?%s [0-9]{4,} x%d", a, b, i); break;
	case 3: buf_printf(p, "(?<!no )%s fault %d", a, i); break;
	default: buf_printf(p, "^\\[rank-%d\\] .*%s.*%s", i, a, b); break;
	}
}

static char *line_of(long k, char *buf, size_t len)
{
	/* Mostly training chatter; one line in 200 is an error some rule matches. */
	if (k % 200 == 7) { /* rule i = 5j's shape 0 */
		long i = 5 * (k % 100);
		snprintf(buf, len, "[rank-3] %s error %ld happened on device 3",
			 words[(size_t)i % NWORDS], i);
	}
	else
		snprintf(buf, len,
			 "[20251121 12:10:29][rank-%ld/8][INFO ] iteration %8ld/ 1000000 | consumed "
			 "samples: %ld | elapsed time per iteration (ms): 2701.3 | %s %s ok",
			 k % 8, k, k * 256, words[(size_t)k % NWORDS], words[(size_t)(k / 7) % NWORDS]);
	return buf;
}

int main(int argc, char **argv)
{
	int nrules = 500;
	long nlines = 1000000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rules"))
			nrules = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--lines"))
			nlines = atol(argv[i + 1]);
	}
	json_t *rules = json_array();
	pcre2_code **codes = calloc((size_t)nrules, sizeof *codes);
	struct buf p = BUF_INIT;
	char err[256];
	for (int i = 0; i < nrules; i++) {
		int ci, ec;
		PCRE2_SIZE off;
		pattern_of(i, &p, &ci);
		char name[32];
		snprintf(name, sizeof name, "rule-%d", i);
		json_t *body = json_pack("{s:s,s:s,s:b}", "name", name, "pattern", p.p, "ignore_case", ci);
		json_t *norm = ruleset_parse(body, err, sizeof err);
		if (!norm) {
			fprintf(stderr, "bench_rules: %s\n", err);
			return 1;
		}
		json_object_set_new(norm, "id", json_integer(i));
		json_array_append_new(rules, norm);
		json_decref(body);
		codes[i] = pcre2_compile((PCRE2_SPTR)p.p, PCRE2_ZERO_TERMINATED, ci ? PCRE2_CASELESS : 0,
					 &ec, &off, NULL);
		pcre2_jit_compile(codes[i], PCRE2_JIT_COMPLETE);
	}
	int64_t t0 = clock_mono_ns();
	struct ruleset *set = ruleset_build(rules, err, sizeof err);
	int64_t t1 = clock_mono_ns();
	if (!set) {
		fprintf(stderr, "bench_rules: %s\n", err);
		return 1;
	}
	char line[512];
	unsigned ids[RULESET_MAX_HITS];
	long hits = 0, naive_hits = 0;
	int64_t s0 = clock_mono_ns();
	for (long k = 0; k < nlines; k++) {
		line_of(k, line, sizeof line);
		hits += ruleset_scan(set, line, strlen(line), ids);
	}
	int64_t s1 = clock_mono_ns();
	/* One after another: a tenth of the lines is enough to see the rate. */
	long naive_lines = nlines / 10;
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	int64_t n0 = clock_mono_ns();
	for (long k = 0; k < naive_lines; k++) {
		line_of(k, line, sizeof line);
		for (int i = 0; i < nrules; i++)
			naive_hits += pcre2_match(codes[i], (PCRE2_SPTR)line, strlen(line), 0, 0, md,
						  NULL) >= 0;
	}
	int64_t n1 = clock_mono_ns();
	double rate = (double)nlines / ((double)(s1 - s0) / 1e9);
	double naive = (double)naive_lines / ((double)(n1 - n0) / 1e9);
	printf("alert rules: %d log rules (mixed patterns) compiled in %.2f s; %.0f lines/s per core "
	       "in one pass (%ld matches in %ld lines); one regex after another: %.0f lines/s "
	       "(%.1fx slower)\n",
	       nrules, (double)(t1 - t0) / 1e9, rate, hits, nlines, naive, rate / naive);
	pcre2_match_data_free(md);
	for (int i = 0; i < nrules; i++)
		pcre2_code_free(codes[i]);
	free(codes);
	ruleset_unref(set);
	json_decref(rules);
	buf_free(&p);
	return 0;
}
