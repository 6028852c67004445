/* trainitem: constructors of the batch items. */
#include "trainitem.h"

#include "jsonx.h"

json_t *trainitem_new(const char *kind, const char *pod_uid, const char *source, int64_t t_us)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "k", kind, "p", pod_uid ? pod_uid : "", "src", source,
			 "t", (json_int_t)t_us);
}

void trainitem_write_report(struct buf *b, const char *pod_uid, const char *namespace_,
			    const char *pod, int64_t t_us, int64_t iteration, const char *perf,
			    size_t perf_len)
{
	buf_puts(b, "{\"k\":\"report\",\"src\":\"log\",\"p\":");
	jsonx_write_str(b, pod_uid);
	buf_puts(b, ",\"ns\":");
	jsonx_write_str(b, namespace_);
	buf_puts(b, ",\"pod\":");
	jsonx_write_str(b, pod);
	buf_printf(b, ",\"t\":%lld,\"i\":%lld,\"perf\":", (long long)t_us, (long long)iteration);
	buf_append(b, perf, perf_len);
	buf_putc(b, '}');
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
