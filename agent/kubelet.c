/* kubelet: /pods over nng's HTTP client (mbedTLS), normalized with jansson.
 * Not libcurl: in the agent it would bring some twenty shared libraries
 * (OpenSSL, Kerberos, LDAP, ...) and 2.5 MiB of RSS for one GET every ten
 * seconds; nng and its TLS are loaded already for the transport. */
#include "kubelet.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <nng/supplemental/tls/tls.h>

#include "buf.h"
#include "files.h"
#include "jsonx.h"

#define KUBELET_MAX_BODY (64u << 20)

/* "containerd://abc" -> "abc"; an id without scheme stays as it is. */
static const char *strip_scheme(const char *id)
{
	const char *p = strstr(id, "://");
	return p ? p + 3 : id;
}

static json_t *parse_owners(const json_t *meta)
{
	json_t *out = json_array(), *o;
	size_t i;
	json_array_foreach(json_object_get(meta, "ownerReferences"), i, o) {
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:b}", "kind", jsonx_str(o, "kind"),
						     "name", jsonx_str(o, "name"), "uid", jsonx_str(o, "uid"),
						     "api_version", jsonx_str(o, "apiVersion"), "controller",
						     json_is_true(json_object_get(o, "controller"))));
	}
	return out;
}

/* Spec containers, with the runtime id and state from the status. */
static json_t *parse_containers(const json_t *pod)
{
	json_t *out = json_array(), *c, *st;
	const json_t *spec = json_object_get(pod, "spec"), *status = json_object_get(pod, "status");
	size_t i, k;
	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		const char *name = jsonx_str(c, "name"), *id = "";
		bool running = false;
		json_array_foreach(json_object_get(status, "containerStatuses"), k, st) {
			if (strcmp(jsonx_str(st, "name"), name) != 0)
				continue;
			id = strip_scheme(jsonx_str(st, "containerID"));
			running = json_object_get(json_object_get(st, "state"), "running") != NULL;
		}
		json_array_append_new(out, json_pack("{s:s,s:s,s:b}", "name", name, "id", id,
						     "running", running));
	}
	return out;
}

static json_t *parse_pod(const json_t *pod)
{
	const json_t *meta = json_object_get(pod, "metadata");
	if (!*jsonx_str(meta, "uid"))
		return NULL;
	json_t *labels = json_object_get(meta, "labels");
	labels = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	const char *phase = jsonx_str(json_object_get(pod, "status"), "phase");
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "uid", jsonx_str(meta, "uid"), "name",
			 jsonx_str(meta, "name"), "namespace", jsonx_str(meta, "namespace"), "phase",
			 *phase ? phase : "Unknown", "labels", labels, "owners", parse_owners(meta),
			 "containers", parse_containers(pod), "source", "kubelet");
}

json_t *kubelet_parse_pod_list(const json_t *doc, int *skipped)
{
	json_t *out = json_array(), *pod;
	size_t i;
	*skipped = 0;
	json_array_foreach(json_object_get(doc, "items"), i, pod) {
		json_t *p = parse_pod(pod);
		if (p)
			json_array_append_new(out, p);
		else
			(*skipped)++;
	}
	return out;
}

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* TLS for an https kubelet: its CA, or the system's; or no verification
 * where asked (kubelet serving certificates are often self-signed). */
static int kubelet_tls(const struct kubelet_config *cfg, const nng_url *url,
		       nng_http_client *cli, char *err, size_t errlen)
{
	nng_tls_config *tls;
	const char *ca = cfg->ca_file && *cfg->ca_file ? cfg->ca_file : SYSTEM_CA_FILE;
	int rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT);
	if (!rv)
		rv = nng_tls_config_auth_mode(tls, cfg->insecure ? NNG_TLS_AUTH_MODE_NONE
								 : NNG_TLS_AUTH_MODE_REQUIRED);
	if (!rv && !cfg->insecure && (rv = nng_tls_config_ca_file(tls, ca)))
		snprintf(err, errlen, "cannot load the kubelet CA %s: %s", ca, nng_strerror(rv));
	else if (rv)
		snprintf(err, errlen, "TLS setup: %s", nng_strerror(rv));
	if (!rv)
		rv = nng_tls_config_server_name(tls, url->u_hostname);
	if (!rv)
		rv = nng_http_client_set_tls(cli, tls);
	if (rv && !*err)
		snprintf(err, errlen, "TLS setup: %s", nng_strerror(rv));
	if (tls)
		nng_tls_config_free(tls); /* the client holds its own reference */
	return rv ? -EPROTO : 0;
}

/* One GET with a deadline; the body lands in body. */
static int transact(const struct kubelet_config *cfg, nng_url *url, struct buf *body,
		    char *err, size_t errlen)
{
	nng_http_client *cli = NULL;
	nng_http_req *req = NULL;
	nng_http_res *res = NULL;
	nng_aio *aio = NULL;
	char *token = NULL;
	int rv = nng_http_client_alloc(&cli, url);
	if (!rv && strcmp(url->u_scheme, "https") == 0 && kubelet_tls(cfg, url, cli, err, errlen))
		rv = NNG_EINVAL;
	if (!rv && !(rv = nng_http_req_alloc(&req, url)) && cfg->token_file && *cfg->token_file &&
	    files_read(cfg->token_file, 1 << 16, &token, NULL) == 0) {
		struct buf auth = BUF_INIT;
		token[strcspn(token, "\r\n")] = '\0';
		buf_printf(&auth, "Bearer %s", token);
		rv = nng_http_req_add_header(req, "Authorization", auth.p);
		buf_free(&auth);
	}
	if (!rv)
		rv = nng_http_res_alloc(&res);
	if (!rv)
		rv = nng_aio_alloc(&aio, NULL, NULL);
	if (!rv) {
		nng_aio_set_timeout(aio, (nng_duration)(cfg->timeout_ns / 1000000));
		nng_http_client_transact(cli, req, res, aio);
		nng_aio_wait(aio);
		rv = nng_aio_result(aio);
	}
	int rc = 0;
	if (rv && !*err)
		snprintf(err, errlen, "GET %s: %s", url->u_rawurl, nng_strerror(rv)), rc = -EIO;
	else if (rv)
		rc = -EIO;
	else if (nng_http_res_get_status(res) != 200)
		snprintf(err, errlen, "GET %s: HTTP %u", url->u_rawurl, nng_http_res_get_status(res)),
			rc = -EPROTO;
	if (!rc) {
		void *data;
		size_t len;
		nng_http_res_get_data(res, &data, &len);
		if (len > KUBELET_MAX_BODY)
			snprintf(err, errlen, "kubelet /pods answer over %u bytes", KUBELET_MAX_BODY),
				rc = -EMSGSIZE;
		else
			buf_append(body, data, len);
	}
	nng_aio_free(aio);
	nng_http_res_free(res);
	nng_http_req_free(req);
	nng_http_client_free(cli);
	free(token);
	return rc;
}

/* The GET itself: 0 with the body, or a negative errno with err set. */
static int get_pods(const struct kubelet_config *cfg, struct buf *body, char *err, size_t errlen)
{
	struct buf u = BUF_INIT;
	nng_url *url;
	err[0] = '\0'; /* the steps below fill it once, first failure wins */
	buf_printf(&u, "%s/pods", cfg->url);
	int rv = nng_url_parse(&url, u.p), rc;
	if (rv) {
		snprintf(err, errlen, "bad kubelet URL \"%s\": %s", cfg->url, nng_strerror(rv));
		rc = -EINVAL;
	} else {
		rc = transact(cfg, url, body, err, errlen);
		nng_url_free(url);
	}
	buf_free(&u);
	return rc;
}

int kubelet_fetch_pods(const struct kubelet_config *cfg, json_t **pods, int *skipped,
		       char *err, size_t errlen)
{
	struct buf body = BUF_INIT;
	int rc = get_pods(cfg, &body, err, errlen);
	if (rc) {
		buf_free(&body);
		return rc;
	}
	json_error_t je;
	json_t *doc = json_loadb(body.p ? body.p : "", body.len, 0, &je);
	buf_free(&body);
	if (!doc || !json_is_array(json_object_get(doc, "items"))) {
		snprintf(err, errlen, "kubelet /pods is not a PodList: %s", doc ? "no items" : je.text);
		json_decref(doc);
		return -EPROTO;
	}
	*pods = kubelet_parse_pod_list(doc, skipped);
	json_decref(doc);
	return 0;
}

/* Container names: the subdirectories of one pod's log directory. */
static json_t *logdir_containers(const char *dir)
{
	json_t *out = json_array();
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR)
			json_array_append_new(out, json_pack("{s:s,s:s,s:b}", "name", de->d_name,
							     "id", "", "running", false));
	if (d)
		closedir(d);
	return out;
}

json_t *kubelet_pods_from_logdir(const char *dir)
{
	json_t *out = json_array();
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		/* <namespace>_<name>_<uid>: neither namespace nor name has '_'. */
		char ns[256], name[256], uid[64], path[4096];
		if (sscanf(de->d_name, "%255[^_]_%255[^_]_%63s", ns, name, uid) != 3)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:{},s:[],s:o,s:s}", "uid",
						     uid, "name", name, "namespace", ns, "phase",
						     "Unknown", "labels", "owners", "containers",
						     logdir_containers(path), "source", "logdir"));
	}
	if (d)
		closedir(d);
	return out;
}
