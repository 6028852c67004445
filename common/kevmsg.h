/* kevmsg: a kernel event between its JSON form (agent/kevdecode.h plus
 * the attribution fields) and its wire form, KernelEvent; both ways, like
 * podmsg for pod maps. */
#ifndef LENS_KEVMSG_H
#define LENS_KEVMSG_H

#include <jansson.h>

#include "envelope.h"

/* Strings are copied: free with kevmsg_free. */
Lens__V1__KernelEvent *kevmsg_to_proto(const json_t *ev);
void kevmsg_free(Lens__V1__KernelEvent *m);
/* The JSON form (details parsed back into an object). */
json_t *kevmsg_to_json(const Lens__V1__KernelEvent *m, const char *node);

#endif
