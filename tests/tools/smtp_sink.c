/* smtp_sink: a mail receiver for tests. Speaks enough SMTP for a client
 * (EHLO/HELO, STARTTLS when given a certificate, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT), one connection at a time, and appends each mail to a file:
 * the envelope ("MAIL FROM:...", "RCPT TO:..." lines), then the data, then
 * a line "--END--" (or "--END TLS--" when the session was encrypted).
 *
 *   smtp_sink --listen PORT --out FILE [--tls-cert PEM --tls-key PEM]
 *
 * Prints "ready" on stderr once listening; stops on SIGTERM. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connection, plain or (after STARTTLS) encrypted, read by lines. */
struct conn {
	int fd;
	SSL *ssl;
	char buf[8192];
	size_t len, off;
};

static int conn_fill(struct conn *c)
{
	if (c->off)
		memmove(c->buf, c->buf + c->off, c->len - c->off);
	c->len -= c->off;
	c->off = 0;
	int n = c->ssl ? SSL_read(c->ssl, c->buf + c->len, (int)(sizeof c->buf - c->len - 1))
		       : (int)read(c->fd, c->buf + c->len, sizeof c->buf - c->len - 1);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* One line with its CRLF, NUL-terminated; 0 at the end of the session. */
static int conn_line(struct conn *c, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl || c->len - c->off >= cap - 1) {
			size_t n = nl ? (size_t)(nl - (c->buf + c->off)) + 1 : cap - 1;
			memcpy(out, c->buf + c->off, n);
			out[n] = '\0';
			c->off += n;
			return 1;
		}
		if (conn_fill(c) <= 0)
			return 0;
	}
}

static void say(struct conn *c, const char *line)
{
	char b[512];
	int n = snprintf(b, sizeof b, "%s\r\n", line);
	if (c->ssl)
		SSL_write(c->ssl, b, n);
	else if (write(c->fd, b, (size_t)n) < 0)
		return;
}

static void data(struct conn *c, FILE *out)
{
	char line[4096];
	say(c, "354 end with <CRLF>.<CRLF>");
	while (conn_line(c, line, sizeof line) && strcmp(line, ".\r\n") != 0)
		fputs(line[0] == '.' ? line + 1 : line, out);
	fputs(c->ssl ? "--END TLS--\n" : "--END--\n", out);
	fflush(out);
	say(c, "250 OK queued");
}

/* One session; returns when the client quits or goes away. */
static void session(int fd, FILE *out, SSL_CTX *tls)
{
	struct conn c = {.fd = fd};
	char line[4096];
	say(&c, "220 smtp_sink ready");
	while (conn_line(&c, line, sizeof line)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncasecmp(line, "EHLO", 4)) {
			say(&c, "250-smtp_sink");
			if (tls && !c.ssl)
				say(&c, "250-STARTTLS");
			say(&c, "250 8BITMIME");
		} else if (!strncasecmp(line, "STARTTLS", 8) && tls && !c.ssl) {
			say(&c, "220 go ahead");
			c.ssl = SSL_new(tls);
			SSL_set_fd(c.ssl, fd);
			c.len = c.off = 0;
			if (SSL_accept(c.ssl) <= 0) {
				ERR_print_errors_fp(stderr);
				break;
			}
		} else if (!strncasecmp(line, "HELO", 4) || !strncasecmp(line, "RSET", 4) ||
			   !strncasecmp(line, "NOOP", 4)) {
			say(&c, "250 OK");
		} else if (!strncasecmp(line, "MAIL FROM:", 10) || !strncasecmp(line, "RCPT TO:", 8)) {
			fprintf(out, "%s\n", line);
			say(&c, "250 OK");
		} else if (!strncasecmp(line, "DATA", 4)) {
			data(&c, out);
		} else if (!strncasecmp(line, "QUIT", 4)) {
			say(&c, "221 bye");
			break;
		} else {
			say(&c, "502 not implemented");
		}
	}
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(fd);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static SSL_CTX *tls_context(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	return ctx;
}

int main(int argc, char **argv)
{
	int port = 0;
	const char *path = NULL, *cert = NULL, *key = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--out"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--tls-cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--tls-key"))
			key = argv[i + 1];
	}
	FILE *out = path ? fopen(path, "a") : NULL;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (!out || port <= 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
		fprintf(stderr, "usage: smtp_sink --listen PORT --out FILE [--tls-cert PEM --tls-key PEM]\n");
		return 2;
	}
	SSL_CTX *tls = cert && key ? tls_context(cert, key) : NULL;
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept returns */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "ready\n");
	while (!stop) {
		int fd = accept(s, NULL, NULL);
		if (fd >= 0)
			session(fd, out, tls);
	}
	SSL_CTX_free(tls);
	close(s);
	fclose(out);
	return 0;
}
