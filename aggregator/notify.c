/* notify: the planning pass, the lease, the delivery. */
#include "notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "notifyfmt.h"
#include "ticker.h"

#define NOTIFY_PLAN_LOCK_KEY "7418246117"
#define CLAIM_BATCH "20"

struct notify {
	struct notify_config cfg;
	struct db_pool *pool;
	struct ticker *ticker;
	struct prom_family *f_sent;
	struct prom_metric *m_queued, *m_errors;
};

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data, (void)arg;
	return size * n;
}

struct upload {
	const struct buf *b;
	size_t off;
};

static size_t upload(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = u->b->len - u->off < size * n ? u->b->len - u->off : size * n;
	memcpy(out, u->b->p + u->off, k);
	u->off += k;
	return k;
}

/* SMTP: envelope from the config, STARTTLS when the server offers it (or
 * required by "starttls": "required"), verified against the system's CAs
 * or "ca_file", credentials when given. */
static struct curl_slist *smtp_setup(CURL *h, const json_t *config, struct upload *up)
{
	struct curl_slist *rcpt = NULL;
	const json_t *to;
	size_t i;
	json_array_foreach(json_object_get(config, "to"), i, to)
		rcpt = curl_slist_append(rcpt, json_string_value(to));
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, jsonx_str(config, "from"));
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_USE_SSL, strcmp(jsonx_str(config, "starttls"), "required") == 0
						     ? (long)CURLUSESSL_ALL
						     : (long)CURLUSESSL_TRY);
	if (*jsonx_str(config, "ca_file")) /* a private CA, or the server's own certificate */
		curl_easy_setopt(h, CURLOPT_CAINFO, jsonx_str(config, "ca_file"));
	if (*jsonx_str(config, "username")) {
		curl_easy_setopt(h, CURLOPT_USERNAME, jsonx_str(config, "username"));
		curl_easy_setopt(h, CURLOPT_PASSWORD, jsonx_str(config, "password"));
	}
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload);
	curl_easy_setopt(h, CURLOPT_READDATA, up);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	return rcpt;
}

int notify_deliver(struct notify *n, const json_t *channel, const json_t *payload, char *err,
		   size_t errlen)
{
	const char *type = jsonx_str(channel, "type");
	bool mail = strcmp(type, "email") == 0;
	struct buf body = BUF_INIT;
	char *full = NULL;
	if (notifyfmt_request(channel, payload, &full, &body)) {
		snprintf(err, errlen, "unknown channel type %s", type);
		return -EIO;
	}
	CURL *h = curl_easy_init();
	struct curl_slist *headers = NULL, *rcpt = NULL;
	struct upload up = {&body, 0};
	curl_easy_setopt(h, CURLOPT_URL, full);
	if (mail) {
		rcpt = smtp_setup(h, json_object_get(channel, "config"), &up);
	} else {
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.p);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(n->cfg.timeout_ns / NS_PER_MS));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	/* HTTP wants 2xx; SMTP's last answer (to the data) is 250. */
	int rc = cc != CURLE_OK || (!mail && (status < 200 || status > 299)) ? -EIO : 0;
	if (cc != CURLE_OK)
		snprintf(err, errlen, "%s: %s", full, curl_easy_strerror(cc));
	else if (rc)
		snprintf(err, errlen, "%s answered HTTP %ld", full, status);
	prom_inc(prom_get(n->f_sent, type, rc ? "error" : "sent"));
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	free(full);
	buf_free(&body);
	return rc;
}

/* The outcome of one delivery, in the notification log. */
static void done(struct notify *n, PGconn *c, const char *id, const char *type, int rc,
		 const char *why)
{
	char backoff[32], max[16], err[256];
	snprintf(backoff, sizeof backoff, "%lld", (long long)(n->cfg.backoff_ns / 1000));
	snprintf(max, sizeof max, "%d", n->cfg.max_attempts);
	const char *p[] = {id, rc ? "false" : "true", rc ? why : "", backoff, max};
	PGresult *r = db_exec(c,
			      "SELECT lens_notify_done($1::bigint, $2::boolean, $3,"
			      " $4::bigint * interval '1 microsecond', $5::int)",
			      5, p, err, sizeof err, NULL);
	const char *status = r && PQntuples(r) ? PQgetvalue(r, 0, 0) : "?";
	if (rc)
		log_warn("notification not delivered", "id=%s type=%s status=%s err=%s", id, type, status,
			 log_q(why));
	else
		log_info("notification sent", "id=%s type=%s", id, type);
	PQclear(r);
}

static int deliver_due(struct notify *n, PGconn *c)
{
	char err[256], lease[32];
	/* Long enough for a delivery and its timeout; a replica that died
	 * holding one frees it when this passes. */
	snprintf(lease, sizeof lease, "%lld", (long long)(3 * n->cfg.timeout_ns / 1000));
	const char *p[] = {lease};
	PGresult *r = db_exec(c,
			      "SELECT id, type, url, config, payload FROM lens_notify_claim(" CLAIM_BATCH
			      ", $1::bigint * interval '1 microsecond')",
			      1, p, err, sizeof err, NULL);
	if (!r)
		return -EIO;
	int sent = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *payload = json_loads(PQgetvalue(r, i, 4), 0, NULL);
		json_t *config = json_loads(PQgetvalue(r, i, 3), 0, NULL);
		json_t *channel = json_pack("{s:s,s:s,s:o}", "type", PQgetvalue(r, i, 1), "url",
					    PQgetvalue(r, i, 2), "config",
					    config ? config : json_object());
		char why[512] = "";
		int rc = payload ? notify_deliver(n, channel, payload, why, sizeof why) : -EIO;
		json_decref(channel);
		done(n, c, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), rc, why);
		sent += rc == 0;
		json_decref(payload);
	}
	PQclear(r);
	return sent;
}

int notify_pass(struct notify *n)
{
	char err[256];
	PGconn *c = db_acquire(n->pool, err, sizeof err);
	if (!c) {
		prom_inc(n->m_errors);
		return -EIO;
	}
	/* Without routes there is nothing to plan: no pass over the open alerts. */
	PGresult *r = db_exec(c,
			      "SELECT CASE WHEN EXISTS (SELECT 1 FROM alert_routes) AND"
			      " pg_try_advisory_xact_lock(" NOTIFY_PLAN_LOCK_KEY ")"
			      " THEN lens_notify_plan() ELSE 0 END",
			      0, NULL, err, sizeof err, NULL);
	if (r)
		prom_add(n->m_queued, atof(PQgetvalue(r, 0, 0)));
	else
		log_warn("notification planning failed", "err=%s", log_q(err));
	PQclear(r);
	int sent = deliver_due(n, c);
	if (!r || sent < 0)
		prom_inc(n->m_errors);
	db_release(n->pool, c);
	return sent;
}

static void tick(void *arg)
{
	notify_pass(arg);
}

int notify_start(const struct notify_config *cfg, struct db_pool *pool, struct prom_registry *reg,
		 struct notify **out, char *err, size_t errlen)
{
	struct notify *n = xcalloc(1, sizeof *n);
	n->cfg = *cfg;
	n->pool = pool;
	n->f_sent = prom_counter(reg, "lens_aggregator_notifications_total",
				 "Alert notification deliveries, by channel type and outcome.",
				 "type,outcome");
	n->m_queued = prom_get(prom_counter(reg, "lens_aggregator_notifications_queued_total",
					    "Notifications queued by the planning pass.", NULL));
	n->m_errors = prom_get(prom_counter(reg, "lens_aggregator_notify_pass_errors_total",
					    "Notification passes that failed (database).", NULL));
	if (ticker_start(cfg->interval_ns, tick, n, &n->ticker)) {
		snprintf(err, errlen, "cannot start the notification thread");
		free(n);
		return -EAGAIN;
	}
	*out = n;
	return 0;
}

void notify_stop(struct notify *n)
{
	if (!n)
		return;
	ticker_stop(n->ticker);
	free(n);
}
