/* workload: owner references first, then labels. */
#include "workload.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"

/* Labels that name the workload a pod belongs to, whoever created it. */
static const char *const workload_labels[] = {
	"training.kubeflow.org/job-name",
	"volcano.sh/job-name",
	"ray.io/cluster",
	"jobset.sigs.k8s.io/jobset-name",
	"leaderworkerset.sigs.k8s.io/name",
	"app.kubernetes.io/instance",
	"job-name",
};

static bool already(const json_t *list, const char *uid, const char *name)
{
	json_t *w;
	size_t i;
	json_array_foreach(list, i, w) {
		if ((*uid && strcmp(jsonx_str(w, "uid"), uid) == 0) || strcmp(jsonx_str(w, "name"), name) == 0)
			return true;
	}
	return false;
}

static void add(json_t *list, const char *uid, const char *kind, const char *name,
		const char *ns, const char *api, const char *via)
{
	char key[600];
	if (!*uid) {
		snprintf(key, sizeof key, "name:%s/%s/%s", ns, kind, name);
		uid = key;
	}
	if (!*name || already(list, uid, name))
		return;
	json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "uid", uid, "kind", kind,
					      "name", name, "namespace", ns, "api_version", api,
					      "via", via));
}

/* "<prefix>-<suffix>" where suffix is what the controller appended:
 * returns the prefix length, or 0 when name does not end that way. */
static size_t prefix_before(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	if (s == 0 || n <= s + 1 || name[n - s - 1] != '-' || strcmp(name + n - s, suffix) != 0)
		return 0;
	return n - s - 1;
}

/* A CronJob names its Jobs <cronjob>-<scheduled time in minutes>. */
static size_t cronjob_prefix(const char *job)
{
	const char *dash = strrchr(job, '-');
	if (!dash || strlen(dash + 1) < 8)
		return 0;
	for (const char *p = dash + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return (size_t)(dash - job);
}

static void from_owner(json_t *list, const json_t *pod, const json_t *o)
{
	const char *ns = jsonx_str(pod, "namespace"), *kind = jsonx_str(o, "kind"), *name = jsonx_str(o, "name");
	const char *api = jsonx_str(o, "api_version");
	char top[256];
	size_t n = 0;
	if (strcmp(kind, "Node") == 0)
		return; /* a static pod's mirror: no workload */
	if (strcmp(kind, "ReplicaSet") == 0)
		n = prefix_before(name, jsonx_str(json_object_get(pod, "labels"), "pod-template-hash"));
	else if (strcmp(kind, "Job") == 0 && strcmp(api, "batch/v1") == 0)
		n = cronjob_prefix(name);
	if (n && n < sizeof top) {
		snprintf(top, sizeof top, "%.*s", (int)n, name);
		add(list, "", kind[0] == 'R' ? "Deployment" : "CronJob", top, ns, "apps/v1",
		    "owner-name");
	}
	add(list, jsonx_str(o, "uid"), kind, name, ns, api, "owner");
}

json_t *workload_resolve(const json_t *pod)
{
	json_t *list = json_array(), *o;
	size_t i;
	/* The controller first: it is the one that manages the pod. */
	json_array_foreach(json_object_get(pod, "owners"), i, o)
		if (json_is_true(json_object_get(o, "controller")))
			from_owner(list, pod, o);
	json_array_foreach(json_object_get(pod, "owners"), i, o)
		if (!json_is_true(json_object_get(o, "controller")))
			from_owner(list, pod, o);
	const json_t *labels = json_object_get(pod, "labels");
	for (size_t k = 0; k < sizeof workload_labels / sizeof workload_labels[0]; k++) {
		const char *v = jsonx_str(labels, workload_labels[k]);
		char kind[80];
		snprintf(kind, sizeof kind, "label:%s", workload_labels[k]);
		if (*v)
			add(list, "", kind, v, jsonx_str(pod, "namespace"), "", "label");
	}
	return list;
}
