/* wandb: shape checks, grouping by step, value rules. */
#include "wandb.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "framework.h"
#include "jsonx.h"
#include "trainitem.h"

static const char *member(const json_t *req, const char *key, const char *inherited)
{
	const char *v = jsonx_str(req, key);
	return *v ? v : inherited ? inherited : "";
}

void wandb_who_of(const json_t *req, const struct wandb_who *parent, struct wandb_who *out)
{
	struct wandb_who none = {0};
	if (!parent)
		parent = &none;
	out->workload_uid = member(req, "workload_uid", parent->workload_uid);
	out->pod_uid = member(req, "pod_uid", parent->pod_uid);
	out->pod_name = member(req, "pod_name", parent->pod_name);
	out->namespace_ = member(req, "namespace", parent->namespace_);
	out->run_id = member(req, "run_id", parent->run_id);
}

/* A metric value: a number, or NaN/Infinity as text; NULL to skip. */
static json_t *value_of(const json_t *v)
{
	if (json_is_number(v)) {
		double d = json_number_value(v);
		return isfinite(d) ? json_incref((json_t *)v) : json_string("NaN");
	}
	const char *s = json_string_value(v);
	const char *nans[] = {"NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"};
	for (size_t i = 0; s && i < sizeof nans / sizeof nans[0]; i++)
		if (strcmp(s, nans[i]) == 0)
			return json_string("NaN");
	return NULL;
}

/* A timestamp in seconds (float) as microseconds, or fallback. */
static int64_t time_us(const json_t *ts, int64_t fallback)
{
	double s = json_number_value(ts);
	return json_is_number(ts) && s > 0 && s < 1e11 ? (int64_t)(s * 1e6) : fallback;
}

/* The report of step in items, made on first use; steps maps step -> index. */
static json_t *step_item(json_t *items, json_t *steps, json_int_t step, const struct wandb_who *who,
			 json_t *workloads, struct wandb_counts *n)
{
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)step);
	json_t *idx = json_object_get(steps, key);
	if (idx)
		return json_array_get(items, (size_t)json_integer_value(idx));
	json_t *it = trainitem_new("report", who->pod_uid, "wandb", 0);
	json_object_set(it, "w", workloads);
	trainitem_set_pod(it, who->namespace_, who->pod_name);
	json_object_set_new(it, "i", json_integer(step));
	json_object_set_new(it, "run", json_string(who->run_id));
	json_object_set_new(it, "perf", json_pack("{s:s,s:s,s:I}", "source", "wandb", "run_id",
						  who->run_id, "step", step));
	json_object_set_new(steps, key, json_integer((json_int_t)json_array_size(items)));
	json_array_append_new(items, it);
	n->steps++;
	return it;
}

/* One value into its step's report; the report's time is its latest. */
static void add(json_t *it, const char *name, json_t *v, int64_t t_us, struct wandb_counts *n)
{
	json_object_set_new(json_object_get(it, "perf"), name, v);
	if (t_us > json_integer_value(json_object_get(it, "t")))
		json_object_set_new(it, "t", json_integer(t_us));
	n->metrics++;
}

static bool valid_step(const json_t *s)
{
	return json_is_integer(s) && json_integer_value(s) >= 0;
}

int wandb_metrics(const json_t *req, const struct wandb_who *who, json_t *workloads,
		  int64_t now_us, json_t *items, struct wandb_counts *n, char *err, size_t errlen)
{
	const json_t *list = json_object_get(req, "metrics");
	if (!json_is_array(list)) {
		snprintf(err, errlen, "\"metrics\" must be an array of {name, value, step, timestamp}");
		return -EINVAL;
	}
	json_t *steps = json_object(), *m;
	int64_t req_t = time_us(json_object_get(req, "timestamp"), now_us);
	size_t i;
	json_array_foreach(list, i, m) {
		const char *name = jsonx_str(m, "name");
		json_t *step = json_object_get(m, "step"), *v;
		if (!*name || !valid_step(step)) {
			n->bad_metric++;
			continue;
		}
		if (!(v = value_of(json_object_get(m, "value")))) {
			n->non_numeric++;
			continue;
		}
		json_t *it = step_item(items, steps, json_integer_value(step), who, workloads, n);
		add(it, name, v, time_us(json_object_get(m, "timestamp"), req_t), n);
	}
	json_decref(steps);
	return 0;
}

/* One wandb.log() call: {"step", "timestamp", "data": {name: value}}. */
static void log_entry(const json_t *e, const struct wandb_who *who, json_t *workloads,
		      int64_t now_us, json_t *items, json_t *steps, struct wandb_counts *n)
{
	const json_t *data = json_object_get(e, "data");
	json_t *step = json_object_get(e, "step");
	if (!valid_step(step))
		step = json_object_get(data, "_step");
	if (!json_is_object(data) || !valid_step(step)) {
		n->bad_metric++;
		return;
	}
	json_t *it = step_item(items, steps, json_integer_value(step), who, workloads, n), *v;
	int64_t t = time_us(json_object_get(e, "timestamp"), now_us);
	const char *name;
	json_object_foreach((json_t *)data, name, v) {
		json_t *val;
		if (name[0] == '_') /* WandB's own (_step, _runtime, _timestamp) */
			continue;
		if ((val = value_of(v)))
			add(it, name, val, t, n);
		else
			n->non_numeric++;
	}
	/* A report with no value keeps its time from the entry. */
	if (!json_integer_value(json_object_get(it, "t")))
		json_object_set_new(it, "t", json_integer(t));
}

int wandb_logs(const json_t *req, const struct wandb_who *who, json_t *workloads, int64_t now_us,
	       json_t *items, struct wandb_counts *n, char *err, size_t errlen)
{
	const json_t *list = json_object_get(req, "logs");
	bool single = !list && json_is_object(json_object_get(req, "data"));
	if (!single && !json_is_array(list)) {
		snprintf(err, errlen, "\"logs\" must be an array of {step, timestamp, data}, or the "
				      "request one such entry");
		return -EINVAL;
	}
	json_t *steps = json_object(), *e;
	size_t i;
	if (single)
		log_entry(req, who, workloads, now_us, items, steps, n);
	json_array_foreach(list, i, e)
		log_entry(e, who, workloads, now_us, items, steps, n);
	json_decref(steps);
	return 0;
}

int wandb_detection(const json_t *req, const struct wandb_who *who, json_t *workloads,
		    int64_t now_us, json_t *items, struct wandb_counts *n, char *err, size_t errlen)
{
	struct framework_det d;
	if (!json_is_object(json_object_get(req, "evidence")) &&
	    !json_is_object(json_object_get(req, "hints"))) {
		snprintf(err, errlen, "a detection report needs \"evidence\" or \"hints\" objects");
		return -EINVAL;
	}
	if (!framework_from_wandb(req, &d))
		return 0;
	json_t *it = trainitem_framework(&d, who->pod_uid, "wandb",
					 time_us(json_object_get(req, "timestamp"), now_us));
	json_object_set(it, "w", workloads);
	trainitem_set_pod(it, who->namespace_, who->pod_name);
	json_t *hints = json_object_get(req, "hints");
	json_object_set_new(it, "d", json_pack("{s:s,s:s,s:O}", "marker", d.evidence, "run_id",
					       who->run_id, "hints", hints ? hints : json_null()));
	json_array_append_new(items, it);
	n->detected = 1;
	return 0;
}
