/* wandb: the payloads an in-pod WandB hook sends (the system Lens replaces
 * defined them: ../docs/training.md), turned into training store items
 * (training.h). Metrics are grouped by step, one report per step, with
 * the run id and step kept as metadata; values that are not numbers are
 * skipped and counted (NaN and infinities, which JSON can only carry as
 * strings, are kept as "NaN"). Pure: the caller resolves the workloads
 * and stores the items. */
#ifndef LENS_WANDB_H
#define LENS_WANDB_H

#include <jansson.h>
#include <stdint.h>

/* Who a request is about; a /wandb/batch part inherits what it lacks. */
struct wandb_who {
	const char *workload_uid, *pod_uid, *pod_name, *namespace_, *run_id;
};

struct wandb_counts {
	long metrics;       /* values stored */
	long steps;         /* reports (one per step) */
	long non_numeric;   /* values skipped: not a number */
	long bad_metric;    /* entries skipped: no name, or no valid step */
	int detected;       /* a detection report named a framework */
};

void wandb_who_of(const json_t *req, const struct wandb_who *parent, struct wandb_who *out);

/* The items of a /wandb/metrics, /wandb/logs or /wandb/detection request
 * for the workloads (a JSON array of UIDs), appended to items. now_us
 * stands in for missing timestamps. Returns 0, or -EINVAL with err when
 * the request is not the expected shape. */
int wandb_metrics(const json_t *req, const struct wandb_who *who, json_t *workloads,
		  int64_t now_us, json_t *items, struct wandb_counts *n, char *err, size_t errlen);
int wandb_logs(const json_t *req, const struct wandb_who *who, json_t *workloads, int64_t now_us,
	       json_t *items, struct wandb_counts *n, char *err, size_t errlen);
int wandb_detection(const json_t *req, const struct wandb_who *who, json_t *workloads,
		    int64_t now_us, json_t *items, struct wandb_counts *n, char *err, size_t errlen);

#endif
