/* client: lensctl's HTTP client for the Lens REST API (libcurl). Turns
 * every failure into one sentence a person can act on: server unreachable,
 * timed out, an API error's code and message, or a malformed answer. */
#ifndef LENS_CLIENT_H
#define LENS_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

struct client {
	const char *server; /* http://host:port */
	const char *token;  /* bearer token, or NULL */
	long timeout_ms;
};

/* GETs path (with its query) and parses the JSON answer. Returns 0, or -1
 * with a message in err. */
int client_get(const struct client *c, const char *path, json_t **out, char *err,
	       size_t errlen);
/* method (GET, POST, DELETE) with send as the JSON body (or NULL), and
 * the JSON answer; as client_get otherwise. */
int client_request(const struct client *c, const char *method, const char *path,
		   const json_t *send, json_t **out, char *err, size_t errlen);
/* GETs every page of a paged list ({"items": [...], "total": N}) and
 * returns the items as one array. */
int client_get_all(const struct client *c, const char *path, json_t **items, char *err,
		   size_t errlen);

/* GETs one page of a list and returns its items. */
int client_get_items(const struct client *c, const char *path, json_t **items, char *err,
		     size_t errlen);
/* Appends "?key=value" or "&key=value" to a path, the value percent-encoded;
 * nothing when value is NULL or empty. */
void client_param(struct buf *path, const char *key, const char *value);

#endif
