/* sender: the spool -> nng REQ pipeline.
 *
 * One thread fills idle slots (a slot = an nng context and its aio) with
 * records: first those due for a retry, then new ones from the spool. The
 * aio callback drives each slot through send -> receive -> idle and files
 * the answer. The callback never blocks: it only takes the lock, updates
 * state and signals the thread. */
#include "sender.h"

#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "nngurl.h"

#define BACKOFF_MIN_NS (100 * NS_PER_MS)
#define BACKOFF_MAX_NS (5 * NS_PER_SEC)
#define SYNC_EVERY_NS NS_PER_SEC

enum slot_state { SLOT_IDLE, SLOT_SENDING, SLOT_RECEIVING };

struct slot {
	struct sender *s;
	nng_ctx ctx;
	nng_aio *aio;
	enum slot_state state;
	struct spool_rec rec;
	int attempts;
	int64_t sent_ns;
};

/* Records waiting for another try; at most one per slot. */
struct retry {
	struct spool_rec rec;
	int attempts;
	int64_t due_ns;
};

struct sender {
	struct sender_config cfg;
	struct spool *sp;
	nng_socket sock;
	struct slot *slots;
	struct retry *retries;
	int nretries;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool stopping, kicked;
	int64_t backoff_ns;
	struct sender_stats st;
	struct prom_family *f_sent, *f_resent, *f_answers, *f_latency;
	struct prom_metric *m_connects, *m_disconnects, *m_connected, *m_inflight;
};

static const double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					 0.1,   0.25,   0.5,   1,    2.5,   5,    10};

/* Answers ------------------------------------------------------------------ */

static void schedule_retry(struct sender *s, struct slot *sl, const char *why)
{
	s->backoff_ns = s->backoff_ns ? s->backoff_ns * 2 : BACKOFF_MIN_NS;
	if (s->backoff_ns > BACKOFF_MAX_NS)
		s->backoff_ns = BACKOFF_MAX_NS;
	struct retry *r = &s->retries[s->nretries++];
	r->rec = sl->rec;
	r->attempts = sl->attempts;
	r->due_ns = clock_mono_ns() + s->backoff_ns;
	memset(&sl->rec, 0, sizeof sl->rec);
	if (sl->attempts == 1 || sl->attempts % 10 == 0)
		log_debug("envelope not acknowledged; will resend", "stream=%s seq=%llu why=%s "
			  "attempts=%d", envelope_stream_name(r->rec.stream),
			  (unsigned long long)r->rec.seq, log_q(why), sl->attempts);
}

static void finish_record(struct sender *s, struct slot *sl, const char *outcome)
{
	prom_inc_l(s->f_answers, envelope_stream_name(sl->rec.stream), outcome);
	prom_observe(prom_get(s->f_latency),
		     (double)(clock_mono_ns() - sl->sent_ns) / (double)NS_PER_SEC);
	spool_ack(s->sp, &sl->rec);
	spool_rec_free(&sl->rec);
	s->backoff_ns = 0;
}

/* Files the aggregator's answer to the record in sl. */
static void handle_answer(struct sender *s, struct slot *sl, nng_msg *msg)
{
	Ack *ack = lens__v1__ack__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	if (!ack) {
		s->st.retries++;
		schedule_retry(s, sl, "unreadable answer");
		return;
	}
	switch (ack->status) {
	case LENS__V1__ACK__STATUS__STATUS_STORED:
		s->st.acked++;
		finish_record(s, sl, "stored");
		break;
	case LENS__V1__ACK__STATUS__STATUS_DUPLICATE:
		s->st.duplicates++;
		finish_record(s, sl, "duplicate");
		break;
	case LENS__V1__ACK__STATUS__STATUS_REJECTED:
		s->st.rejected++;
		log_error("aggregator rejected an envelope; dropping it", "stream=%s seq=%llu "
			  "reason=%s", envelope_stream_name(sl->rec.stream),
			  (unsigned long long)sl->rec.seq, log_q(ack->reason));
		finish_record(s, sl, "rejected");
		break;
	default:
		s->st.retries++;
		prom_inc_l(s->f_answers, envelope_stream_name(sl->rec.stream), "retry");
		schedule_retry(s, sl, ack->reason && *ack->reason ? ack->reason : "retry");
	}
	lens__v1__ack__free_unpacked(ack, NULL);
}

static void slot_cb(void *arg)
{
	struct slot *sl = arg;
	struct sender *s = sl->s;
	int rv = nng_aio_result(sl->aio);
	pthread_mutex_lock(&s->lock);
	if (sl->state == SLOT_SENDING && rv == 0) {
		sl->state = SLOT_RECEIVING;
		nng_ctx_recv(sl->ctx, sl->aio);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (sl->state == SLOT_SENDING) {
		nng_msg_free(nng_aio_get_msg(sl->aio));
		s->st.retries++;
		schedule_retry(s, sl, nng_strerror(rv));
	} else if (rv) {
		if (rv == NNG_ETIMEDOUT)
			s->st.timeouts++;
		s->st.retries++;
		schedule_retry(s, sl, nng_strerror(rv));
	} else {
		nng_msg *msg = nng_aio_get_msg(sl->aio);
		handle_answer(s, sl, msg);
		nng_msg_free(msg);
	}
	sl->state = SLOT_IDLE;
	s->st.inflight--;
	prom_set(s->m_inflight, s->st.inflight);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Filling slots ------------------------------------------------------------ */

/* A record for an idle slot: a due retry first, then the spool. Returns
 * false when there is nothing to send now; *wait_ns says how long until a
 * retry falls due. */
static bool pick_record(struct sender *s, struct slot *sl, int64_t *wait_ns)
{
	int64_t now = clock_mono_ns();
	for (int i = 0; i < s->nretries; i++) {
		struct retry *r = &s->retries[i];
		if (r->due_ns > now) {
			if (r->due_ns - now < *wait_ns)
				*wait_ns = r->due_ns - now;
			continue;
		}
		sl->rec = r->rec;
		sl->attempts = r->attempts + 1;
		s->retries[i] = s->retries[--s->nretries];
		s->st.resent++;
		prom_inc_l(s->f_resent, envelope_stream_name(sl->rec.stream));
		return true;
	}
	/* While the aggregator pushes back, do not start new records either. */
	if (s->nretries && s->backoff_ns)
		return false;
	if (spool_next(s->sp, &sl->rec) != 0)
		return false;
	sl->attempts = 1;
	s->st.sent++;
	prom_inc_l(s->f_sent, envelope_stream_name(sl->rec.stream));
	return true;
}

/* Starts sending the record in sl; called with the lock released. */
static void start_send(struct sender *s, struct slot *sl)
{
	nng_msg *msg;
	if (nng_msg_alloc(&msg, 0) == 0 && nng_msg_append(msg, sl->rec.data, sl->rec.len) == 0) {
		nng_aio_set_msg(sl->aio, msg);
		nng_ctx_send(sl->ctx, sl->aio);
		return;
	}
	pthread_mutex_lock(&s->lock);
	schedule_retry(s, sl, "out of memory");
	sl->state = SLOT_IDLE;
	s->st.inflight--;
	pthread_mutex_unlock(&s->lock);
}

static int64_t fill_slots(struct sender *s)
{
	int64_t wait_ns = SYNC_EVERY_NS;
	for (int i = 0; i < s->cfg.inflight && !s->stopping; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state != SLOT_IDLE || !pick_record(s, sl, &wait_ns))
			continue;
		sl->state = SLOT_SENDING;
		sl->sent_ns = clock_mono_ns();
		s->st.inflight++;
		prom_set(s->m_inflight, s->st.inflight);
		pthread_mutex_unlock(&s->lock);
		start_send(s, sl);
		pthread_mutex_lock(&s->lock);
	}
	return wait_ns;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	int64_t last_sync = clock_mono_ns();
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		s->kicked = false;
		int64_t wait_ns = fill_slots(s);
		if (clock_mono_ns() - last_sync >= SYNC_EVERY_NS) {
			pthread_mutex_unlock(&s->lock);
			spool_sync(s->sp);
			last_sync = clock_mono_ns();
			pthread_mutex_lock(&s->lock);
		}
		if (s->kicked || s->stopping)
			continue;
		struct timespec ts = clock_deadline(wait_ns);
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void sender_kick(struct sender *s)
{
	pthread_mutex_lock(&s->lock);
	s->kicked = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Connections -------------------------------------------------------------- */

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct sender *s = arg;
	char *url = NULL;
	nng_dialer d = nng_pipe_dialer(p);
	if (nng_dialer_id(d) > 0)
		nng_dialer_get_string(d, NNG_OPT_URL, &url);
	pthread_mutex_lock(&s->lock);
	if (ev == NNG_PIPE_EV_ADD_POST) {
		s->st.connected++;
		prom_inc(s->m_connects);
		log_info("connected to aggregator", "url=%s", log_q(url));
		pthread_cond_signal(&s->cond);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		s->st.connected--;
		prom_inc(s->m_disconnects);
		log_warn("disconnected from aggregator", "url=%s", log_q(url));
	}
	prom_set(s->m_connected, s->st.connected);
	pthread_mutex_unlock(&s->lock);
	nng_strfree(url);
}

struct dial_arg {
	struct sender *s;
	char *err;
	size_t errlen;
};

static int dial_one(const char *url, void *arg)
{
	struct dial_arg *da = arg;
	struct nngurl_tls tls = {da->s->cfg.tls_ca_file, da->s->cfg.tls_cert_key_file,
				 da->s->cfg.tls_server_name};
	return nngurl_dial(da->s->sock, url, &tls, da->err, da->errlen);
}

static void init_metrics(struct sender *s, struct prom_registry *reg)
{
	s->f_sent = prom_counter(reg, "lens_agent_envelopes_sent_total",
				 "Envelopes sent for the first time.", "stream");
	s->f_resent = prom_counter(reg, "lens_agent_envelopes_resent_total",
				   "Envelopes sent again after a timeout, error or RETRY answer.",
				   "stream");
	s->f_answers = prom_counter(
		reg, "lens_agent_envelopes_answered_total",
		"Aggregator answers by outcome (stored, duplicate, rejected, retry).",
		"stream,outcome");
	s->f_latency = prom_family_new(
		reg, PROM_HISTOGRAM, "lens_agent_ack_latency_seconds",
		"Time from sending an envelope to its final acknowledgement.", NULL,
		latency_bounds, (int)(sizeof latency_bounds / sizeof latency_bounds[0]));
	s->m_connects = prom_get(prom_counter(reg, "lens_agent_transport_connects_total",
					      "Connections established to an aggregator.", NULL));
	s->m_disconnects = prom_get(prom_counter(reg, "lens_agent_transport_disconnects_total",
						 "Connections to an aggregator lost.", NULL));
	s->m_connected = prom_get(prom_gauge(reg, "lens_agent_transport_connections",
					     "Aggregator connections up now.", NULL));
	s->m_inflight = prom_get(prom_gauge(reg, "lens_agent_envelopes_inflight",
					    "Envelopes sent and awaiting an answer.", NULL));
}

static int open_socket(struct sender *s, char *err, size_t errlen)
{
	int rv = nng_req0_open(&s->sock);
	if (rv) {
		snprintf(err, errlen, "cannot open nng REQ socket: %s", nng_strerror(rv));
		return -EIO;
	}
	nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT,
			  (nng_duration)(s->cfg.reconnect_min_ns / NS_PER_MS));
	nng_socket_set_ms(s->sock, NNG_OPT_RECONNMAXT,
			  (nng_duration)(s->cfg.reconnect_max_ns / NS_PER_MS));
	/* Resending is ours (with the spool behind it); keep nng's own resend
	 * beyond our timeout so it does not double the traffic. */
	nng_socket_set_ms(s->sock, NNG_OPT_REQ_RESENDTIME,
			  (nng_duration)(2 * s->cfg.request_timeout_ns / NS_PER_MS));
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, 1 << 20);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, s);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, pipe_cb, s);
	for (int i = 0; i < s->cfg.inflight; i++) {
		struct slot *sl = &s->slots[i];
		sl->s = s;
		if ((rv = nng_ctx_open(&sl->ctx, s->sock)) ||
		    (rv = nng_aio_alloc(&sl->aio, slot_cb, sl))) {
			snprintf(err, errlen, "cannot set up nng context: %s", nng_strerror(rv));
			return -EIO;
		}
		nng_aio_set_timeout(sl->aio, (nng_duration)(s->cfg.request_timeout_ns / NS_PER_MS));
	}
	struct dial_arg da = {s, err, errlen};
	return nngurl_each(s->cfg.urls, dial_one, &da);
}

static void free_slots(struct sender *s)
{
	for (int i = 0; i < s->cfg.inflight; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->aio) {
			nng_aio_stop(sl->aio);
			nng_aio_free(sl->aio);
		}
		spool_rec_free(&sl->rec);
	}
	for (int i = 0; i < s->nretries; i++)
		spool_rec_free(&s->retries[i].rec);
	free(s->slots);
	free(s->retries);
}

int sender_start(const struct sender_config *cfg, struct spool *sp, struct prom_registry *reg,
		 struct sender **out, char *err, size_t errlen)
{
	if (cfg->inflight < 1 || cfg->inflight > 1024) {
		snprintf(err, errlen, "in-flight requests must be 1..1024");
		return -EINVAL;
	}
	struct sender *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->sp = sp;
	s->slots = xcalloc((size_t)cfg->inflight, sizeof *s->slots);
	s->retries = xcalloc((size_t)cfg->inflight, sizeof *s->retries);
	pthread_mutex_init(&s->lock, NULL);
	clock_cond_init(&s->cond);
	init_metrics(s, reg);
	int rc = open_socket(s, err, errlen);
	if (!rc && pthread_create(&s->thread, NULL, sender_main, s)) {
		snprintf(err, errlen, "cannot start sender thread");
		rc = -EAGAIN;
	}
	if (rc) {
		nng_close(s->sock);
		free_slots(s);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int sender_drain(struct sender *s, int64_t timeout_ns)
{
	int64_t deadline = clock_mono_ns() + timeout_ns;
	for (;;) {
		struct spool_stats ss;
		spool_get_stats(s->sp, &ss);
		pthread_mutex_lock(&s->lock);
		bool idle = s->st.inflight == 0 && s->nretries == 0;
		pthread_mutex_unlock(&s->lock);
		if (idle && ss.records == 0)
			return 0;
		if (clock_mono_ns() >= deadline)
			return -ETIMEDOUT;
		struct timespec ts = {0, 20 * NS_PER_MS};
		nanosleep(&ts, NULL);
	}
}

void sender_stop(struct sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	/* Every exchange is cancelled through its context before the socket
	 * goes: nng 1.5's socket close can drop a request still queued for
	 * sending without freeing it (nanomsg/nng#1643), which LeakSanitizer
	 * caught now and then at shutdown. */
	for (int i = 0; i < s->cfg.inflight; i++)
		if (s->slots[i].aio)
			nng_aio_stop(s->slots[i].aio);
	nng_close(s->sock);
	free_slots(s);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void sender_get_stats(struct sender *s, struct sender_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	pthread_mutex_unlock(&s->lock);
}
