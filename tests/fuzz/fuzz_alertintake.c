/* libFuzzer target: the alert bodies anyone who can reach the API may
 * post (Alertmanager's webhook and v2 API, log, trace and generic webhook
 * alerts) into the one alert shape, and silence bodies. */
#include <stddef.h>
#include <stdint.h>

#include "alertintake.h"
#include "silences.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	if (!body)
		return 0;
	int (*const parsers[])(const json_t *, json_t *, char *, size_t) = {
		alertintake_webhook_am, alertintake_am_v2, alertintake_log, alertintake_trace,
		alertintake_webhook};
	char err[256];
	for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
		json_t *out = json_array();
		parsers[i](body, out, err, sizeof err);
		json_decref(out);
	}
	json_decref(silences_parse(body, err, sizeof err));
	json_decref(body);
	return 0;
}
