/* notifyfmt: one notification (Alertmanager's webhook body, as
 * lens_notification_payload builds it) in the shape each channel type
 * takes: the body itself for a webhook, an Alertmanager's v2 alerts for
 * forwarding, a message for Slack, DingTalk and WeChat Work, and a mail
 * (RFC 5322: headers and a text body) for email. Pure: no I/O. */
#ifndef LENS_NOTIFYFMT_H
#define LENS_NOTIFYFMT_H

#include <jansson.h>
#include <stdbool.h>

#include "buf.h"

/* Whether type is a channel type Lens can send to. */
bool notifyfmt_known(const char *type);
/* The request for a channel ({"type", "url", "config"}): *url (malloc'd)
 * and the body (JSON, or the mail for email, whose config names "from"
 * and "to"). Returns 0, or -EINVAL for an unknown type. */
int notifyfmt_request(const json_t *channel, const json_t *payload, char **url, struct buf *body);

#endif
