/* podres: List over grpc, unpacked with protobuf-c. */
#include "podres.h"

#include <errno.h>
#include <stdio.h>

#include "grpc.h"

int podres_list(const char *socket_path, int64_t timeout_ns, V1__ListPodResourcesResponse **out,
		char *err, size_t errlen)
{
	V1__ListPodResourcesRequest req = V1__LIST_POD_RESOURCES_REQUEST__INIT;
	uint8_t packed[8];
	size_t n = v1__list_pod_resources_request__pack(&req, packed);
	struct buf resp = BUF_INIT;
	int rc = grpc_unary_call(socket_path, "/v1.PodResourcesLister/List", packed, n, timeout_ns,
				 &resp, err, errlen);
	if (rc) {
		buf_free(&resp);
		return rc;
	}
	*out = v1__list_pod_resources_response__unpack(NULL, resp.len, (const uint8_t *)resp.p);
	buf_free(&resp);
	if (!*out) {
		snprintf(err, errlen, "malformed ListPodResourcesResponse");
		return -EPROTO;
	}
	return 0;
}

void podres_free(V1__ListPodResourcesResponse *r)
{
	if (r)
		v1__list_pod_resources_response__free_unpacked(r, NULL);
}
