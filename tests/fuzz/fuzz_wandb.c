/* libFuzzer target: the JSON the training intake takes from outside: the
 * bodies an in-pod WandB hook posts (any pod can post them) into store
 * items, and an exec event's argv (any pod process's command line). */
#include <stddef.h>
#include <stdint.h>

#include "framework.h"
#include "wandb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req = json_loadb((const char *)data, size, 0, NULL);
	if (!req)
		return 0;
	struct wandb_who who;
	struct wandb_counts n = {0};
	char err[256];
	json_t *items = json_array(), *ws = json_pack("[s]", "w");
	wandb_who_of(req, NULL, &who);
	wandb_metrics(req, &who, ws, 1, items, &n, err, sizeof err);
	wandb_logs(req, &who, ws, 1, items, &n, err, sizeof err);
	wandb_detection(req, &who, ws, 1, items, &n, err, sizeof err);
	struct framework_det d;
	framework_from_argv(json_object_get(req, "argv"), &d);
	framework_from_argv(req, &d);
	json_decref(items);
	json_decref(ws);
	json_decref(req);
	return 0;
}
