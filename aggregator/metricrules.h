/* metricrules: metric-threshold alert rules over the agents' device
 * samples (docs/alerts.md): {"name", "type": "metric", "metric" (a GPU
 * metric: temperature_junction_celsius, busy_percent, power_average_watts, ...),
 * "op" (>, >=, <, <=, ==, !=), "value", "for" (e.g. 2m), "selector" (on
 * node and device), "severity", "labels", "annotations"}. A GPU whose
 * samples meet the condition without a break for "for" raises the alert;
 * every sample that still meets it keeps it up; once they stop, it
 * resolves after the hold. */
#ifndef LENS_METRICRULES_H
#define LENS_METRICRULES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

struct alerts;

/* Checks a rule body and returns it normalised, or NULL with err. */
json_t *metricrules_parse(const json_t *body, char *err, size_t errlen);

struct metricrules;

struct metricrules *metricrules_new(void);
void metricrules_free(struct metricrules *m); /* NULL is fine */
/* Replaces the rules (normalised, each with "id"); how long each GPU has
 * met a rule is kept for the rules that stay. 0, or -EINVAL with err (the
 * rules in use stay). */
int metricrules_set(struct metricrules *m, const json_t *rules, char *err, size_t errlen);
size_t metricrules_count(struct metricrules *m);
/* The GPU samples of n DeviceSamples envelopes: their alerts, queued. */
void metricrules_samples(struct metricrules *m, struct alerts *al, Envelope *const *envs, int n,
			 int64_t hold_ns);

#endif
