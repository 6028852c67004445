/* devhealth: the built-in device-health alerts (docs/alerts.md). A device
 * sample whose health conditions hold (the agent's: a GPU's uncorrectable
 * ECC errors rising or temperature at its limit, an InfiniBand port down
 * or its link-downed counter rising) raises, or keeps up, an alert on the
 * device, tied to the pod that holds it (by UID, from the pod cache). An
 * alert not kept up for hold_ns resolves: the condition cleared. */
#ifndef LENS_DEVHEALTH_H
#define LENS_DEVHEALTH_H

#include <stdint.h>

#include "envelope.h"

struct alerts;
struct podcache;

/* When a sample was taken, as the alerts on it say: the agent's time, or
 * now when that is missing or not believable (an agent's clock far ahead
 * must not make an alert end after the end of time). */
int64_t devhealth_sample_time(const Lens__V1__DeviceSamples *ds);
/* The alerts of n DeviceSamples envelopes, queued (alerts_queue). */
void devhealth_samples(struct alerts *al, struct podcache *pods, Envelope *const *envs, int n,
		       int64_t hold_ns);

#endif
