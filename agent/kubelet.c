/* kubelet: /pods over libcurl, normalized with jansson. */
#include "kubelet.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "files.h"

#define KUBELET_MAX_BODY (64u << 20)

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

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
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:b}", "kind", str(o, "kind"),
						     "name", str(o, "name"), "uid", str(o, "uid"),
						     "api_version", str(o, "apiVersion"), "controller",
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
		const char *name = str(c, "name"), *id = "";
		bool running = false;
		json_array_foreach(json_object_get(status, "containerStatuses"), k, st) {
			if (strcmp(str(st, "name"), name) != 0)
				continue;
			id = strip_scheme(str(st, "containerID"));
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
	if (!*str(meta, "uid"))
		return NULL;
	json_t *labels = json_object_get(meta, "labels");
	labels = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	const char *phase = str(json_object_get(pod, "status"), "phase");
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "uid", str(meta, "uid"), "name",
			 str(meta, "name"), "namespace", str(meta, "namespace"), "phase",
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

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	if (b->len + size * n > KUBELET_MAX_BODY)
		return 0; /* aborts the transfer */
	buf_append(b, data, size * n);
	return size * n;
}

/* The GET itself: 0 with the body, or -EIO/-EPROTO with err set. */
static int get_pods(const struct kubelet_config *cfg, struct buf *body, char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	if (!h)
		return snprintf(err, errlen, "cannot initialise libcurl"), -ENOMEM;
	struct buf url = BUF_INIT, auth = BUF_INIT;
	struct curl_slist *headers = NULL;
	char *token = NULL;
	buf_printf(&url, "%s/pods", cfg->url);
	if (cfg->token_file && *cfg->token_file &&
	    files_read(cfg->token_file, 1 << 16, &token, NULL) == 0) {
		token[strcspn(token, "\r\n")] = '\0';
		buf_printf(&auth, "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, auth.p);
	}
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_ns / 1000000));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (cfg->ca_file && *cfg->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	int rc = 0;
	if (cc != CURLE_OK)
		snprintf(err, errlen, "GET %s: %s", url.p, curl_easy_strerror(cc)), rc = -EIO;
	else if (status != 200)
		snprintf(err, errlen, "GET %s: HTTP %ld", url.p, status), rc = -EPROTO;
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	free(token);
	buf_free(&url);
	buf_free(&auth);
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
