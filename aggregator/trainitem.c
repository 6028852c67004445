/* trainitem: constructors of the batch items. */
#include "trainitem.h"

json_t *trainitem_new(const char *kind, const char *pod_uid, const char *source, int64_t t_us)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "k", kind, "p", pod_uid ? pod_uid : "", "src", source,
			 "t", (json_int_t)t_us);
}

void trainitem_set_pod(json_t *item, const char *namespace_, const char *pod)
{
	json_object_set_new(item, "ns", json_string(namespace_ ? namespace_ : ""));
	json_object_set_new(item, "pod", json_string(pod ? pod : ""));
}

json_t *trainitem_framework(const struct framework_det *d, const char *pod_uid,
			    const char *source, int64_t t_us)
{
	json_t *it = trainitem_new("framework", pod_uid, source, t_us);
	json_object_set_new(it, "wrapper", json_string(d->wrapper));
	json_object_set_new(it, "base", json_string(d->base));
	json_object_set_new(it, "conf", json_real(d->confidence));
	json_object_set_new(it, "method", json_string(d->method));
	return it;
}
