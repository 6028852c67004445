/* libFuzzer target: what the pod mapping reads from outside the agent:
 * the kubelet's pod list (then the workload rules on each pod), OCI
 * config.json files, the pod-resources answer (then the merge), and DRM
 * fdinfo text. The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet.h"
#include "oci.h"
#include "podview.h"
#include "procscan.h"
#include "workload.h"

static const char devices[] =
	"[{\"kind\":\"gpu\",\"id\":\"0000:81:00.0\"},{\"kind\":\"ib\",\"id\":\"mlx5_0\"}]";

static void pod_list(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, 0, NULL), *p;
	int skipped;
	json_t *pods = kubelet_parse_pod_list(doc, &skipped);
	size_t i;
	json_array_foreach(pods, i, p)
		json_decref(workload_resolve(p));
	json_decref(pods);
	json_decref(doc);
}

static void podres(const uint8_t *data, size_t size)
{
	V1__ListPodResourcesResponse *r = v1__list_pod_resources_response__unpack(NULL, size, data);
	if (!r)
		return;
	json_t *devs = json_loads(devices, 0, NULL);
	json_t *pods = json_loads("[{\"uid\":\"u\",\"name\":\"p\",\"namespace\":\"n\","
				  "\"phase\":\"Running\",\"containers\":[{\"name\":\"c\","
				  "\"running\":true}],\"source\":\"kubelet\"}]", 0, NULL);
	struct podview_inputs in = {.pods = pods, .podres = r, .podres_state = PODRES_OK,
				    .devices = devs};
	json_decref(podview_build(&in, NULL));
	json_decref(pods);
	json_decref(devs);
	v1__list_pod_resources_response__free_unpacked(r, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct oci_container c;
	struct drm_fdinfo fi;
	char *text;
	switch (data[0] % 4) {
	case 0:
		pod_list(data + 1, size - 1);
		break;
	case 1:
		oci_parse_spec((const char *)data + 1, size - 1, "/nonexistent", &c);
		break;
	case 2:
		podres(data + 1, size - 1);
		break;
	default:
		text = malloc(size);
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		procscan_parse_drm_fdinfo(text, &fi);
		free(text);
	}
	return 0;
}
