/* libFuzzer target: the alert bodies anyone who can reach the API may
 * post (Alertmanager's webhook and v2 API, log, trace and generic webhook
 * alerts) into the one alert shape, silence bodies, and alert rules:
 * checked, compiled (Hyperscan and PCRE2) and run on the input itself as
 * a log line. */
#include <stddef.h>
#include <stdint.h>

#include "alertintake.h"
#include "ruleset.h"
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
	json_t *rule = ruleset_parse(body, err, sizeof err);
	if (rule) {
		json_t *rules = json_pack("[o]", rule);
		struct ruleset *set = ruleset_build(rules, err, sizeof err);
		unsigned ids[RULESET_MAX_HITS];
		struct rule_subject who = {"n", "ns", "p", "u", "", NULL};
		int n = ruleset_scan(set, (const char *)data, size, ids);
		for (int i = 0; i < n; i++)
			ruleset_selects(set, ids[i], &who);
		ruleset_unref(set);
		json_decref(rules);
	}
	json_decref(body);
	return 0;
}
