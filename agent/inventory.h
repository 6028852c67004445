/* inventory: the JSON view of a node's GPUs and HCAs with one sample each,
 * as `lens-agent inventory` prints it (the first thing an operator runs on
 * a new node) and as the tests compare it with the devices they faked. */
#ifndef LENS_INVENTORY_H
#define LENS_INVENTORY_H

#include <jansson.h>

#include "gpu.h"
#include "ib.h"

json_t *inventory_gpu_json(const struct gpu_info *g, const struct gpu_sample *s);
json_t *inventory_hca_json(const struct ib_hca *h);

/* Opens the backend, lists and samples every GPU, scans the HCAs.
 * Returns the document, or NULL with a message in err when the backend
 * cannot be used. Devices that fail to sample are listed without values. */
json_t *inventory_collect(const struct gpu_backend_ops *ops, const char *root, char *err,
			  size_t errlen);

#endif
