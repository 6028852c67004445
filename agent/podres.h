/* podres: the kubelet's pod-resources API (List), the authoritative
 * answer to "which devices did the device plugins allocate to which
 * container", idle or not. The kubelet rate-limits the API (100 QPS,
 * burst 10); callers poll it at most once a second. */
#ifndef LENS_PODRES_H
#define LENS_PODRES_H

#include <stdint.h>

#include "podresources.pb-c.h"

#define PODRES_DEFAULT_SOCKET "/var/lib/kubelet/pod-resources/kubelet.sock"

/* Calls List. Returns 0 with *out (free with podres_free), or a negative
 * errno with err set: -ENOENT when the socket is not there (not mounted
 * into the agent's pod, or no kubelet), others when the call failed. */
int podres_list(const char *socket_path, int64_t timeout_ns, V1__ListPodResourcesResponse **out,
		char *err, size_t errlen);
void podres_free(V1__ListPodResourcesResponse *r);

#endif
