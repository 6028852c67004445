/* nngsink: an aggregator that stores nothing: it answers STORED to every
 * envelope at once (echoing its stream and seq) and counts the log lines
 * it was sent. For measuring what the agent alone costs to ship.
 *
 *   nngsink URL          runs until SIGTERM; prints "envelopes=N log_lines=M" */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <signal.h>
#include <stdio.h>

#include "envelope.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	nng_socket s;
	if (argc != 2 || nng_rep0_open(&s) || nng_listen(s, argv[1], NULL, 0)) {
		fprintf(stderr, "usage: nngsink URL (and a free URL)\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 200);
	unsigned long long envelopes = 0, lines = 0;
	while (!stop) {
		nng_msg *m;
		if (nng_recvmsg(s, &m, 0))
			continue;
		Envelope *e = lens__v1__envelope__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		nng_msg_free(m);
		Lens__V1__Ack ack = LENS__V1__ACK__INIT;
		ack.status = LENS__V1__ACK__STATUS__STATUS_STORED;
		if (e) {
			ack.stream_id = e->stream_id;
			ack.seq = e->seq;
			envelopes++;
			if (e->payload_case == LENS__V1__ENVELOPE__PAYLOAD_LOG_BATCH)
				lines += e->log_batch->nlines;
			lens__v1__envelope__free_unpacked(e, NULL);
		}
		uint8_t buf[64];
		size_t n = lens__v1__ack__pack(&ack, buf);
		nng_send(s, buf, n, 0);
	}
	printf("envelopes=%llu log_lines=%llu\n", envelopes, lines);
	nng_close(s);
	return 0;
}
