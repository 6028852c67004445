/* analysis: the log line hook; for now the latency it sees. */
#include "analysis.h"

#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "trainlog.h"

struct analysis {
	struct prom_metric *m_latency, *m_lines, *m_iterations, *m_rejected;
};

static const double latency_bounds[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900};

struct analysis *analysis_new(struct prom_registry *reg)
{
	struct analysis *a = xcalloc(1, sizeof *a);
	a->m_latency = prom_get(prom_family_new(
		reg, PROM_HISTOGRAM, "lens_aggregator_log_latency_seconds",
		"Time from a log line being written to it reaching the analysis.", NULL,
		latency_bounds, sizeof latency_bounds / sizeof latency_bounds[0]));
	a->m_lines = prom_get(prom_counter(reg, "lens_aggregator_log_lines_analysed_total",
					   "Log lines that reached the analysis.", NULL));
	a->m_iterations = prom_get(prom_counter(reg, "lens_aggregator_training_iteration_lines_total",
						"Training iteration lines recognised in logs.", NULL));
	a->m_rejected = prom_get(prom_counter(reg, "lens_aggregator_training_lines_rejected_total",
					      "Training iteration lines with a negative or impossible "
					      "value (not used).", NULL));
	return a;
}

void analysis_free(struct analysis *a)
{
	free(a);
}

void analysis_lines(struct analysis *a, const struct log_record *recs, size_t n)
{
	int64_t now = clock_now_ns();
	for (size_t i = 0; i < n; i++) {
		double late = (double)(now - recs[i].logged_ns) / (double)NS_PER_SEC;
		prom_observe(a->m_latency, late > 0 ? late : 0);
		/* The training parser sees every line; storing its metrics per
		 * workload (training_performance) is issue 7's next step. */
		struct trainlog_line l;
		int r = trainlog_parse(recs[i].line, recs[i].len, &l);
		if (r > 0)
			prom_inc(a->m_iterations);
		else if (r < 0)
			prom_inc(a->m_rejected);
	}
	prom_add(a->m_lines, (double)n);
}
