/* workload: which workloads a pod belongs to, from its owner references
 * and well-known labels (rules in docs/pods.md). The agent sees only the
 * pod, so an owner's own owner (ReplicaSet -> Deployment, Job -> CronJob)
 * is recognised by the naming convention the controllers follow, and such
 * a workload, like one named only by a label, gets a name-derived key
 * ("name:<namespace>/<kind>/<name>") in place of a UID. Real UIDs are
 * UUIDs, so the two never collide. */
#ifndef LENS_WORKLOAD_H
#define LENS_WORKLOAD_H

#include <jansson.h>

/* The workloads of one normalized pod (kubelet.h), as a JSON array of
 * {"uid", "kind", "name", "namespace", "api_version", "via"}; top owners
 * first, then label-named ones, without duplicates. */
json_t *workload_resolve(const json_t *pod);

#endif
