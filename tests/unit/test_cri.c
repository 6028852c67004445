/* Unit tests of container log line parsing and joining (groundwork for
 * log collection): CRI and docker json-file lines, times of any width,
 * partial pieces, the length limit, bytes that are not UTF-8. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "cri.h"
#include "logline.h"

static struct cri_line parse(const char *s)
{
	struct cri_line l;
	assert_int_equal(cri_parse(s, strlen(s), &l), 0);
	return l;
}

static void test_cri_format(void **state)
{
	(void)state;
	struct cri_line l = parse("2024-05-01T10:00:00.123456789Z stdout F iteration 10/100 | lm loss: 2.5");
	assert_int_equal(l.time_ns % NS_PER_SEC, 123456789);
	assert_int_equal(l.stream, CRI_STDOUT);
	assert_false(l.partial);
	assert_int_equal(l.len, strlen("iteration 10/100 | lm loss: 2.5"));
	assert_memory_equal(l.msg, "iteration 10/100 | lm loss: 2.5", l.len);
	/* RFC3339Nano drops trailing zeros; offsets are honoured. */
	int64_t a = parse("2024-05-01T10:00:00.1Z stderr P x").time_ns;
	int64_t b = parse("2024-05-01T10:00:00.100000000Z stderr P x").time_ns;
	int64_t c = parse("2024-05-01T12:00:00.1+02:00 stderr P x").time_ns;
	int64_t d = parse("2024-05-01T10:00:00Z stdout F x").time_ns;
	assert_int_equal(a, b);
	assert_int_equal(a, c);
	assert_int_equal(a - d, 100 * NS_PER_MS);
	l = parse("2024-05-01T10:00:00Z stderr P part");
	assert_true(l.partial);
	assert_int_equal(l.stream, CRI_STDERR);
	/* Empty messages, with and without the space; more tags after ':'. */
	assert_int_equal(parse("2024-05-01T10:00:00Z stdout F ").len, 0);
	assert_int_equal(parse("2024-05-01T10:00:00Z stdout F").len, 0);
	assert_false(parse("2024-05-01T10:00:00Z stdout F:x msg").partial);
	/* Spaces in the message are the message's. */
	assert_int_equal(parse("2024-05-01T10:00:00Z stdout F  two  spaces ").len, 13);
}

static void test_cri_malformed(void **state)
{
	(void)state;
	const char *bad[] = {"", "garbage", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z stdout",
			     "2024-05-01T10:00:00Z stdin F x", "2024-05-01T10:00:00Z stdout X x",
			     "2024-05-01T10:00:00Z stdout FF x", "yesterday stdout F x",
			     "2024-13-01T10:00:00Z stdout F x", " stdout F x"};
	struct cri_line l;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cri_parse(bad[i], strlen(bad[i]), &l), -EINVAL);
}

static void test_docker_format(void **state)
{
	(void)state;
	struct buf msg = BUF_INIT;
	struct cri_line l;
	const char *line = "{\"log\":\"loss \\u00e9 \\\"nan\\\"\\n\",\"stream\":\"stderr\","
			   "\"time\":\"2024-05-01T10:00:00.5Z\"}";
	assert_int_equal(cri_parse_docker(line, strlen(line), &msg, &l), 0);
	assert_false(l.partial);
	assert_int_equal(l.stream, CRI_STDERR);
	assert_string_equal(msg.p, "loss \xc3\xa9 \"nan\"");
	assert_int_equal(l.time_ns % NS_PER_SEC, 500 * NS_PER_MS);
	line = "{\"log\":\"no newline: partial\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00Z\"}";
	assert_int_equal(cri_parse_docker(line, strlen(line), &msg, &l), 0);
	assert_true(l.partial);
	assert_int_equal(cri_parse_docker("{\"log\":1}", 9, &msg, &l), -EINVAL);
	assert_int_equal(cri_parse_docker("{", 1, &msg, &l), -EINVAL);
	buf_free(&msg);
}

static void test_join_partials(void **state)
{
	(void)state;
	struct logline j;
	logline_init(&j, 0);
	assert_int_equal(logline_add(&j, &(struct cri_line){1, CRI_STDOUT, true, "abc", 3}), 0);
	assert_int_equal(logline_add(&j, &(struct cri_line){2, CRI_STDOUT, true, "def", 3}), 0);
	assert_int_equal(logline_add(&j, &(struct cri_line){3, CRI_STDOUT, false, "g", 1}), 1);
	assert_int_equal(j.text.len, 7);
	assert_memory_equal(j.text.p, "abcdefg", 7);
	assert_int_equal(j.time_ns, 1); /* the line's time is its first piece's */
	assert_int_equal(logline_add(&j, &(struct cri_line){4, CRI_STDOUT, false, "", 0}), 1);
	assert_int_equal(j.text.len, 0);
	assert_int_equal(j.time_ns, 4);
	logline_free(&j);
}

static void test_cut_long_lines(void **state)
{
	(void)state;
	struct logline j;
	logline_init(&j, 64 * 1024);
	/* A 1 MiB line in 16 KiB pieces, as containerd writes it. */
	char *piece = malloc(16384);
	memset(piece, 'x', 16384);
	int done = 0;
	for (int i = 0; i < 64; i++)
		done = logline_add(&j, &(struct cri_line){i, CRI_STDOUT, i < 63, piece, 16384});
	assert_int_equal(done, 1);
	const char marker[] = " [lens: line cut, 983040 bytes dropped]";
	assert_int_equal(j.text.len, 65536 + strlen(marker));
	assert_memory_equal(j.text.p + 65536, marker, strlen(marker));
	assert_int_equal(j.lines_cut, 1);
	/* Bytes that are not UTF-8, and NULs, pass through as they are. */
	assert_int_equal(logline_add(&j, &(struct cri_line){1, CRI_STDOUT, false, "\xff\x00\xfe", 3}), 1);
	assert_int_equal(j.text.len, 3);
	assert_memory_equal(j.text.p, "\xff\x00\xfe", 3);
	free(piece);
	logline_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cri_format),   cmocka_unit_test(test_cri_malformed),
		cmocka_unit_test(test_docker_format), cmocka_unit_test(test_join_partials),
		cmocka_unit_test(test_cut_long_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
