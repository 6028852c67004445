/* nngurl: dialers and listeners with optional TLS. */
#include "nngurl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nng/supplemental/tls/tls.h>

#include "buf.h"

static int is_tls(const char *url)
{
	return strncmp(url, "tls+tcp://", 10) == 0;
}

static int check_scheme(const char *url, char *err, size_t errlen)
{
	static const char *const ok[] = {"tcp://", "ipc://", "tls+tcp://", "inproc://"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strncmp(url, ok[i], strlen(ok[i])) == 0)
			return 0;
	snprintf(err, errlen, "unsupported URL \"%s\": use tcp://, ipc:// or tls+tcp://", url);
	return -EINVAL;
}

static int make_tls(nng_tls_mode mode, const struct nngurl_tls *tls, const char *url,
		    nng_tls_config **out, char *err, size_t errlen)
{
	if (mode == NNG_TLS_MODE_SERVER && !(tls && tls->cert_key_file)) {
		snprintf(err, errlen, "%s: a tls+tcp listener needs a certificate "
			 "(--tls-cert-key-file)", url);
		return -EINVAL;
	}
	nng_tls_config *cfg;
	int rv = nng_tls_config_alloc(&cfg, mode);
	if (rv) {
		snprintf(err, errlen, "%s: TLS is not available in this nng build: %s", url,
			 nng_strerror(rv));
		return -ENOTSUP;
	}
	/* Without a CA the link is encrypted but the peer is not verified. */
	bool verify = tls && tls->ca_file;
	if (verify)
		rv = nng_tls_config_ca_file(cfg, tls->ca_file);
	if (!rv)
		rv = nng_tls_config_auth_mode(cfg, verify ? NNG_TLS_AUTH_MODE_REQUIRED
							  : NNG_TLS_AUTH_MODE_NONE);
	if (!rv && tls && tls->cert_key_file)
		rv = nng_tls_config_cert_key_file(cfg, tls->cert_key_file, NULL);
	if (!rv && tls && tls->server_name)
		rv = nng_tls_config_server_name(cfg, tls->server_name);
	if (rv) {
		snprintf(err, errlen, "%s: bad TLS setup: %s (check the CA and certificate files)",
			 url, nng_strerror(rv));
		nng_tls_config_free(cfg);
		return -EINVAL;
	}
	*out = cfg;
	return 0;
}

int nngurl_dial(nng_socket sock, const char *url, const struct nngurl_tls *tls, char *err,
		size_t errlen)
{
	nng_dialer d;
	nng_tls_config *tcfg = NULL;
	int rc = check_scheme(url, err, errlen);
	if (rc)
		return rc;
	int rv = nng_dialer_create(&d, sock, url);
	if (rv) {
		snprintf(err, errlen, "cannot dial %s: %s", url, nng_strerror(rv));
		return -EINVAL;
	}
	if (is_tls(url)) {
		if ((rc = make_tls(NNG_TLS_MODE_CLIENT, tls, url, &tcfg, err, errlen))) {
			nng_dialer_close(d);
			return rc;
		}
		rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tcfg);
		nng_tls_config_free(tcfg); /* the dialer holds its own reference */
	}
	/* Non-blocking: the agent starts, and spools, with no aggregator up. */
	if (!rv)
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	if (rv) {
		snprintf(err, errlen, "cannot dial %s: %s", url, nng_strerror(rv));
		return -EINVAL;
	}
	return 0;
}

int nngurl_listen(nng_socket sock, const char *url, const struct nngurl_tls *tls, char *err,
		  size_t errlen)
{
	nng_listener l;
	nng_tls_config *tcfg = NULL;
	int rc = check_scheme(url, err, errlen);
	if (rc)
		return rc;
	int rv = nng_listener_create(&l, sock, url);
	if (!rv && is_tls(url)) {
		if ((rc = make_tls(NNG_TLS_MODE_SERVER, tls, url, &tcfg, err, errlen))) {
			nng_listener_close(l);
			return rc;
		}
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tcfg);
		nng_tls_config_free(tcfg);
	}
	if (!rv)
		rv = nng_listener_start(l, 0);
	if (rv) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
		return rv == NNG_EADDRINUSE ? -EADDRINUSE : -EINVAL;
	}
	return 0;
}

int nngurl_each(const char *urls, int (*fn)(const char *url, void *arg), void *arg)
{
	char *copy = xstrdup(urls), *save = NULL;
	int rc = 0, n = 0;
	for (char *u = strtok_r(copy, ", ", &save); u && !rc; u = strtok_r(NULL, ", ", &save)) {
		rc = fn(u, arg);
		n++;
	}
	free(copy);
	return rc ? rc : (n ? 0 : -EINVAL);
}
