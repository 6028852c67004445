/* inventory: GPUs and HCAs as JSON. */
#include "inventory.h"

#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

#define MAX_GPUS 64
#define MAX_HCAS 64

static json_t *sample_json(const struct gpu_sample *s)
{
	json_t *o = json_object();
	for (int m = 0; m < GPU_ECC_FIRST; m++)
		if (gpu_sample_has(s, m))
			json_object_set_new(o, gpu_metric_key(m), json_real(s->v[m]));
	json_t *ecc = json_object();
	for (int b = 0; b < GPU_ECC_BLOCKS; b++) {
		if (!gpu_sample_has(s, GPU_ECC_CE(b)) && !gpu_sample_has(s, GPU_ECC_UE(b)))
			continue;
		json_t *blk = json_object();
		if (gpu_sample_has(s, GPU_ECC_CE(b)))
			json_object_set_new(blk, "correctable", json_real(s->v[GPU_ECC_CE(b)]));
		if (gpu_sample_has(s, GPU_ECC_UE(b)))
			json_object_set_new(blk, "uncorrectable", json_real(s->v[GPU_ECC_UE(b)]));
		json_object_set_new(ecc, gpu_ecc_block_name(b), blk);
	}
	json_object_set_new(o, "ecc", ecc);
	return o;
}

json_t *inventory_gpu_json(const struct gpu_info *g, const struct gpu_sample *s)
{
	char vendor[8], device[8];
	snprintf(vendor, sizeof vendor, "0x%04x", g->vendor_id);
	snprintf(device, sizeof device, "0x%04x", g->device_id);
	json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "index", g->index,
			      "bdf", g->bdf, "unique_id", g->unique_id, "serial", g->serial,
			      "product", g->product, "vbios", g->vbios, "driver_version",
			      g->driver_version, "vendor_id", vendor, "device_id", device,
			      "vram_total_bytes", (json_int_t)g->vram_total_bytes, "has_hwmon",
			      g->has_hwmon);
	json_object_set_new(o, "render_minor",
			    g->render_minor >= 0 ? json_integer(g->render_minor) : json_null());
	json_object_set_new(o, "sample", s ? sample_json(s) : json_null());
	return o;
}

static json_t *port_json(const struct ib_port *p)
{
	json_t *counters = json_object();
	for (int c = 0; c < IB_COUNTER_COUNT; c++)
		if (p->present & (1ULL << c))
			json_object_set_new(counters, ib_counter_key(c),
					    json_integer((json_int_t)p->counters[c]));
	return json_pack("{s:i,s:s,s:i,s:s,s:i,s:f,s:s,s:s*,s:o}", "port", p->number, "state",
			 p->state_name, "state_code", p->state, "phys_state",
			 p->phys_state_name, "phys_state_code", p->phys_state, "rate_gbps",
			 p->rate_gbps, "link_layer", p->link_layer, "netdev",
			 p->netdev[0] ? p->netdev : NULL, "counters", counters);
}

json_t *inventory_hca_json(const struct ib_hca *h)
{
	json_t *ports = json_array();
	for (int i = 0; i < h->nports; i++)
		json_array_append_new(ports, port_json(&h->ports[i]));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "name", h->name, "bdf", h->bdf,
			 "node_guid", h->node_guid, "fw_ver", h->fw_ver, "hca_type",
			 h->hca_type, "board_id", h->board_id, "ports", ports);
}

json_t *inventory_collect(const struct gpu_backend_ops *ops, const char *root, char *err,
			  size_t errlen)
{
	struct gpu_backend *b;
	if (ops->open(root, &b, err, errlen))
		return NULL;
	struct gpu_info *info = xcalloc(MAX_GPUS, sizeof *info);
	struct ib_hca *hca = xcalloc(MAX_HCAS, sizeof *hca);
	json_t *gpus = json_array(), *hcas = json_array();
	int n = ops->list(b, info, MAX_GPUS);
	for (int i = 0; i < n; i++) {
		struct gpu_sample s;
		int ok = ops->sample(b, &info[i], &s) == 0;
		json_array_append_new(gpus, inventory_gpu_json(&info[i], ok ? &s : NULL));
	}
	ops->close(b);
	int nh = ib_scan(root, hca, MAX_HCAS);
	for (int i = 0; i < nh; i++)
		json_array_append_new(hcas, inventory_hca_json(&hca[i]));
	free(info);
	free(hca);
	return json_pack("{s:s,s:o,s:o}", "gpu_backend", ops->name, "gpus", gpus, "hcas", hcas);
}
