/* nngurl: dialing and listening on the URLs Lens accepts (tcp://, ipc://,
 * tls+tcp://), TLS set up from files, with clear errors for what the
 * installed nng cannot do. Shared by the agent (dial) and aggregator
 * (listen). */
#ifndef LENS_NNGURL_H
#define LENS_NNGURL_H

#include <nng/nng.h>
#include <stddef.h>

struct nngurl_tls {
	const char *ca_file;       /* peer verification; NULL: none */
	const char *cert_key_file; /* our certificate and key (PEM, one file) */
	const char *server_name;   /* dial: name to verify; NULL: from the URL */
};

int nngurl_dial(nng_socket sock, const char *url, const struct nngurl_tls *tls, char *err,
		size_t errlen);
int nngurl_listen(nng_socket sock, const char *url, const struct nngurl_tls *tls, char *err,
		  size_t errlen);
/* Calls fn for each comma-separated URL; stops at the first error. */
int nngurl_each(const char *urls, int (*fn)(const char *url, void *arg), void *arg);

#endif
