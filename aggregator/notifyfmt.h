/* notifyfmt: one notification (Alertmanager's webhook body, as
 * lens_notification_payload builds it) in the shape each channel type
 * takes: the body itself for a webhook, an Alertmanager's v2 alerts for
 * forwarding, and a message for Slack, DingTalk and WeChat Work. Pure:
 * no I/O. */
#ifndef LENS_NOTIFYFMT_H
#define LENS_NOTIFYFMT_H

#include <jansson.h>
#include <stdbool.h>

#include "buf.h"

/* Whether type is a channel type Lens can send to. */
bool notifyfmt_known(const char *type);
/* The request for a channel of this type at base_url: *url (malloc'd)
 * and the JSON body in body. Returns 0, or -EINVAL for an unknown type. */
int notifyfmt_request(const char *type, const char *base_url, const json_t *payload, char **url,
		      struct buf *body);

#endif
