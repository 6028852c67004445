/* receiver: REP contexts, decoding, validation and replies.
 *
 * Slot life: RECV -> (malformed: SEND reject) | (WAIT for ingest -> SEND)
 * -> RECV. The callback runs on nng's threads; the reply for a stored
 * envelope is sent from an ingest writer thread. */
#include "receiver.h"

#include <ctype.h>
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "nngurl.h"

#define STATUS(x) LENS__V1__ACK__STATUS__STATUS_##x

enum slot_state { SLOT_RECV, SLOT_WAIT, SLOT_SEND };

struct slot {
	struct receiver *r;
	nng_ctx ctx;
	nng_aio *aio;
	_Atomic int state;
	struct ingest_item item;
};

struct receiver {
	struct receiver_config cfg;
	struct ingest *in;
	nng_socket sock;
	struct slot *slots;
	atomic_bool stopping;
	struct prom_family *f_received, *f_rejected;
	struct prom_metric *m_bytes;
};

/* Sends an Ack for the slot's request and moves the slot to SEND. */
static void send_ack(struct slot *sl, int status, const char *reason, const Envelope *e)
{
	Ack ack = LENS__V1__ACK__INIT;
	ack.status = (Lens__V1__Ack__Status)status;
	ack.reason = (char *)(reason ? reason : "");
	if (e) {
		ack.stream_id = e->stream_id;
		ack.seq = e->seq;
	}
	nng_msg *msg;
	size_t len = lens__v1__ack__get_packed_size(&ack);
	atomic_store(&sl->state, SLOT_SEND);
	if (nng_msg_alloc(&msg, len) != 0) {
		/* No answer: the agent times out and resends. Receive again. */
		atomic_store(&sl->state, SLOT_RECV);
		nng_ctx_recv(sl->ctx, sl->aio);
		return;
	}
	lens__v1__ack__pack(&ack, nng_msg_body(msg));
	nng_aio_set_msg(sl->aio, msg);
	nng_ctx_send(sl->ctx, sl->aio);
}

/* ingest's answer for an envelope this slot handed over. Once the answer
 * is sent the slot may at once receive and queue the next envelope, so
 * nothing of the item may be touched after send_ack. */
static void item_reply(struct ingest_item *it, int status, const char *reason)
{
	struct slot *sl = (struct slot *)((char *)it - offsetof(struct slot, item));
	Envelope *e = it->env;
	it->env = NULL;
	send_ack(sl, status, reason, e);
	lens__v1__envelope__free_unpacked(e, NULL);
}

static void reject(struct slot *sl, const char *code, const char *reason, const Envelope *e)
{
	prom_inc_l(sl->r->f_rejected, code);
	log_warn("envelope rejected", "reason=%s node=%s seq=%llu", log_q(reason),
		 log_q(e ? e->node_name : ""), (unsigned long long)(e ? e->seq : 0));
	send_ack(sl, STATUS(REJECTED), reason, e);
}

/* Decodes, checks and queues one request. */
static void handle_request(struct slot *sl, nng_msg *msg)
{
	struct receiver *r = sl->r;
	prom_add(r->m_bytes, (double)nng_msg_len(msg));
	Envelope *e = lens__v1__envelope__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	nng_msg_free(msg);
	if (!e) {
		prom_inc_l(r->f_received, "unparseable");
		reject(sl, "unparseable", "malformed frame: not a lens.v1.Envelope", NULL);
		return;
	}
	prom_inc_l(r->f_received, envelope_payload_name(e->payload_case));
	char reason[128];
	if (envelope_check(e, reason, sizeof reason)) {
		reject(sl, "invalid", reason, e);
		lens__v1__envelope__free_unpacked(e, NULL);
		return;
	}
	if (atomic_load(&r->stopping)) {
		send_ack(sl, STATUS(RETRY), "aggregator shutting down", e);
		lens__v1__envelope__free_unpacked(e, NULL);
		return;
	}
	/* The ledger returns canonical lowercase UUIDs; match them. */
	for (char *p = e->boot_id; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	sl->item.env = e;
	sl->item.received_ns = clock_mono_ns();
	sl->item.reply = item_reply;
	atomic_store(&sl->state, SLOT_WAIT);
	ingest_submit(r->in, &sl->item);
}

static void slot_cb(void *arg)
{
	struct slot *sl = arg;
	int rv = nng_aio_result(sl->aio);
	if (atomic_load(&sl->state) == SLOT_SEND) {
		if (rv)
			nng_msg_free(nng_aio_get_msg(sl->aio));
		if (rv == NNG_ECLOSED)
			return;
		atomic_store(&sl->state, SLOT_RECV);
		nng_ctx_recv(sl->ctx, sl->aio);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv) {
		log_warn("receive failed", "err=%s", log_q(nng_strerror(rv)));
		nng_ctx_recv(sl->ctx, sl->aio);
		return;
	}
	handle_request(sl, nng_aio_get_msg(sl->aio));
}

struct listen_arg {
	struct receiver *r;
	char *err;
	size_t errlen;
};

static int listen_one(const char *url, void *arg)
{
	struct listen_arg *la = arg;
	struct nngurl_tls tls = {la->r->cfg.tls_ca_file, la->r->cfg.tls_cert_key_file, NULL};
	int rc = nngurl_listen(la->r->sock, url, &tls, la->err, la->errlen);
	if (!rc)
		log_info("listening for agents", "url=%s", log_q(url));
	return rc;
}

static void init_metrics(struct receiver *r, struct prom_registry *reg)
{
	r->f_received = prom_counter(reg, "lens_aggregator_envelopes_received_total",
				     "Envelopes received, by payload type.", "payload");
	r->f_rejected = prom_counter(reg, "lens_aggregator_envelopes_rejected_total",
				     "Envelopes rejected before storing, by reason.", "reason");
	r->m_bytes = prom_get(prom_counter(reg, "lens_aggregator_received_bytes_total",
					   "Bytes of envelopes received.", NULL));
}

static int open_slots(struct receiver *r, char *err, size_t errlen)
{
	for (int i = 0; i < r->cfg.contexts; i++) {
		struct slot *sl = &r->slots[i];
		sl->r = r;
		int rv = nng_ctx_open(&sl->ctx, r->sock);
		if (!rv)
			rv = nng_aio_alloc(&sl->aio, slot_cb, sl);
		if (rv) {
			snprintf(err, errlen, "cannot set up nng context: %s", nng_strerror(rv));
			return -EIO;
		}
	}
	for (int i = 0; i < r->cfg.contexts; i++)
		nng_ctx_recv(r->slots[i].ctx, r->slots[i].aio);
	return 0;
}

int receiver_start(const struct receiver_config *cfg, struct ingest *in,
		   struct prom_registry *reg, struct receiver **out, char *err, size_t errlen)
{
	if (cfg->contexts < 1 || cfg->contexts > 65536) {
		snprintf(err, errlen, "contexts must be 1..65536");
		return -EINVAL;
	}
	struct receiver *r = xcalloc(1, sizeof *r);
	r->cfg = *cfg;
	r->in = in;
	r->slots = xcalloc((size_t)cfg->contexts, sizeof *r->slots);
	init_metrics(r, reg);
	int rv = nng_rep0_open(&r->sock);
	if (rv) {
		snprintf(err, errlen, "cannot open nng REP socket: %s", nng_strerror(rv));
		free(r->slots);
		free(r);
		return -EIO;
	}
	nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, ENVELOPE_MAX_BYTES);
	/* Deeper queues keep the pipes busy while contexts are in ingest;
	 * protocols without these options simply refuse them. */
	nng_socket_set_int(r->sock, NNG_OPT_RECVBUF, 1024);
	nng_socket_set_int(r->sock, NNG_OPT_SENDBUF, 1024);
	struct listen_arg la = {r, err, errlen};
	int rc = open_slots(r, err, errlen);
	if (!rc)
		rc = nngurl_each(cfg->urls, listen_one, &la);
	if (rc) {
		receiver_stop(r);
		return rc;
	}
	*out = r;
	return 0;
}

void receiver_pause(struct receiver *r)
{
	if (r)
		atomic_store(&r->stopping, true);
}

void receiver_stop(struct receiver *r)
{
	if (!r)
		return;
	atomic_store(&r->stopping, true);
	/* Let the last answers leave before closing the socket. */
	for (int tries = 0; tries < 100; tries++) {
		bool busy = false;
		for (int i = 0; i < r->cfg.contexts; i++)
			busy |= atomic_load(&r->slots[i].state) == SLOT_SEND;
		if (!busy)
			break;
		struct timespec ts = {0, 10 * NS_PER_MS};
		nanosleep(&ts, NULL);
	}
	/* Every context's receive is cancelled before the socket goes: nng
	 * 1.5's socket close with hundreds of receives pending could wait
	 * forever (seen once in test_pods; see agent/sender.c for the same
	 * order on the agent's side). */
	for (int i = 0; i < r->cfg.contexts; i++)
		if (r->slots[i].aio)
			nng_aio_stop(r->slots[i].aio);
	nng_close(r->sock);
	for (int i = 0; i < r->cfg.contexts; i++) {
		struct slot *sl = &r->slots[i];
		if (sl->aio)
			nng_aio_free(sl->aio);
		if (sl->item.env)
			lens__v1__envelope__free_unpacked(sl->item.env, NULL);
	}
	free(r->slots);
	free(r);
}
