/* webhook_sink: a notification receiver for tests. Appends each POSTed
 * body (to /hook, or /api/v2/alerts as an Alertmanager) to a file, one
 * line each, and answers 200, except the first N requests, which get 500
 * (to see retries).
 *
 *   webhook_sink --listen 127.0.0.1:PORT --out FILE [--fail-first N]
 *
 * Prints "ready" on stderr once listening; stops on SIGTERM or SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "prom.h"

struct sink {
	FILE *out;
	int fail_first;
	int seen;
	pthread_mutex_t lock;
};

static void handle(const struct http_req *req, struct http_resp *resp, void *arg)
{
	struct sink *s = arg;
	pthread_mutex_lock(&s->lock);
	int n = ++s->seen;
	if (n > s->fail_first) {
		fwrite(req->body ? req->body : "", 1, req->body_len, s->out);
		fputc('\n', s->out);
		fflush(s->out);
	}
	pthread_mutex_unlock(&s->lock);
	http_json(resp, n > s->fail_first ? 200 : 500,
		  json_pack("{s:i}", "request", n));
}

static const struct http_route routes[] = {
	{"POST", "/hook", handle, false},
	{"POST", "/api/v2/alerts", handle, false},
	{NULL, NULL, NULL, false},
};

int main(int argc, char **argv)
{
	const char *listen = NULL, *path = NULL;
	struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--fail-first"))
			s.fail_first = atoi(argv[i + 1]);
	}
	if (!listen || !path || !(s.out = fopen(path, "a"))) {
		fprintf(stderr, "usage: webhook_sink --listen ADDR --out FILE [--fail-first N]\n");
		return 2;
	}
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	struct prom_registry *reg = prom_registry_new();
	struct httpd_config hc = {.listen = listen, .threads = 1, .max_body = 16 << 20,
				  .max_header_bytes = 16384, .metric_prefix = "webhook_sink"};
	struct httpd *h;
	char err[256];
	if (httpd_start(&hc, routes, &s, reg, &h, err, sizeof err)) {
		fprintf(stderr, "webhook_sink: %s\n", err);
		return 1;
	}
	fprintf(stderr, "ready\n");
	int sig;
	sigwait(&sigs, &sig);
	httpd_stop(h);
	prom_registry_free(reg);
	fclose(s.out);
	return 0;
}
