/* smtp_sink: a mail receiver for tests. Speaks enough SMTP for a client
 * (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS offered),
 * one connection at a time, and appends each mail to a file: the envelope
 * ("MAIL FROM:...", "RCPT TO:..." lines), then the data, then a line
 * "--END--".
 *
 *   smtp_sink --listen PORT --out FILE
 *
 * Prints "ready" on stderr once listening; stops on SIGTERM. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(FILE *c, const char *line)
{
	fprintf(c, "%s\r\n", line);
	fflush(c);
}

/* One session; returns when the client quits or goes away. */
static void session(int fd, FILE *out)
{
	FILE *c = fdopen(fd, "r+");
	char line[4096];
	if (!c) {
		close(fd);
		return;
	}
	say(c, "220 smtp_sink ready");
	while (fgets(line, sizeof line, c)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncasecmp(line, "EHLO", 4)) {
			say(c, "250-smtp_sink");
			say(c, "250 8BITMIME");
		} else if (!strncasecmp(line, "HELO", 4) || !strncasecmp(line, "RSET", 4) ||
			   !strncasecmp(line, "NOOP", 4)) {
			say(c, "250 OK");
		} else if (!strncasecmp(line, "MAIL FROM:", 10) || !strncasecmp(line, "RCPT TO:", 8)) {
			fprintf(out, "%s\n", line);
			say(c, "250 OK");
		} else if (!strncasecmp(line, "DATA", 4)) {
			say(c, "354 end with <CRLF>.<CRLF>");
			while (fgets(line, sizeof line, c) && strcmp(line, ".\r\n") != 0)
				fputs(line[0] == '.' ? line + 1 : line, out);
			fputs("--END--\n", out);
			fflush(out);
			say(c, "250 OK queued");
		} else if (!strncasecmp(line, "QUIT", 4)) {
			say(c, "221 bye");
			break;
		} else {
			say(c, "502 not implemented");
		}
	}
	fclose(c);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int port = 0;
	const char *path = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--out"))
			path = argv[i + 1];
	}
	FILE *out = path ? fopen(path, "a") : NULL;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (!out || port <= 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
		fprintf(stderr, "usage: smtp_sink --listen PORT --out FILE\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept returns */
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "ready\n");
	while (!stop) {
		int fd = accept(s, NULL, NULL);
		if (fd >= 0)
			session(fd, out);
	}
	close(s);
	fclose(out);
	return 0;
}
