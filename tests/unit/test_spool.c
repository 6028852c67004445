/* Unit tests of the agent spool: order, acknowledgement, recovery after a
 * crash, sequence numbers that never repeat, and the full-spool policy. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

#define CONTROL LENS__V1__STREAM__STREAM_CONTROL
#define METRICS LENS__V1__STREAM__STREAM_METRICS
#define LOGS LENS__V1__STREAM__STREAM_LOGS
#define EVENTS LENS__V1__STREAM__STREAM_EVENTS

struct fixture {
	char dir[64];
	struct prom_registry *reg;
	struct spool *sp;
};

static int open_spool(struct fixture *f, int64_t max, int64_t seg)
{
	char err[256];
	struct spool_config cfg = {f->dir, max, seg};
	if (f->reg)
		prom_registry_free(f->reg);
	f->reg = prom_registry_new();
	return spool_open(&cfg, f->reg, &f->sp, err, sizeof err);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/lens-spool-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return open_spool(f, 4 << 20, 64 << 10);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	spool_close(f->sp);
	prom_registry_free(f->reg);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc;
}

/* Appends a heartbeat whose uptime carries a marker, with `pad` bytes of
 * node name to control its size. */
static int append(struct spool *sp, unsigned stream, long marker, size_t pad)
{
	static char name[70000];
	memset(name, 'n', pad ? pad : 1);
	name[pad ? pad : 1] = '\0';
	Lens__V1__Heartbeat hb = LENS__V1__HEARTBEAT__INIT;
	hb.agent_uptime_s = marker;
	Envelope e = LENS__V1__ENVELOPE__INIT;
	e.schema_version = 1;
	e.node_name = name;
	e.boot_id = "00000000-0000-0000-0000-000000000001";
	e.stream_id = stream;
	e.payload_case = LENS__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
	e.heartbeat = &hb;
	return spool_append(sp, &e);
}

/* The marker of a record handed out by spool_next. */
static long marker_of(const struct spool_rec *rec)
{
	Envelope *e = lens__v1__envelope__unpack(NULL, rec->len, rec->data);
	assert_non_null(e);
	assert_int_equal(e->seq, rec->seq);
	long m = (long)e->heartbeat->agent_uptime_s;
	lens__v1__envelope__free_unpacked(e, NULL);
	return m;
}

static void test_order_and_ack(void **state)
{
	struct fixture *f = *state;
	for (long i = 0; i < 100; i++)
		assert_int_equal(append(f->sp, CONTROL, i, 10), 0);
	struct spool_stats st;
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.records, 100);
	for (long i = 0; i < 100; i++) {
		struct spool_rec rec;
		assert_int_equal(spool_next(f->sp, &rec), 0);
		assert_int_equal(marker_of(&rec), i);
		assert_int_equal(rec.seq, (uint64_t)i + 1);
		spool_ack(f->sp, &rec);
		spool_rec_free(&rec);
	}
	struct spool_rec rec;
	assert_int_equal(spool_next(f->sp, &rec), -EAGAIN);
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.bytes, 0); /* fully acknowledged segments are deleted */
}

/* Unacknowledged records come back after a crash; acknowledged whole
 * segments do not; sequence numbers continue above anything used. */
static void test_recovery_after_restart(void **state)
{
	struct fixture *f = *state;
	for (long i = 0; i < 50; i++)
		assert_int_equal(append(f->sp, EVENTS, i, 2000), 0);
	uint64_t last_seq = 0;
	for (int i = 0; i < 10; i++) {
		struct spool_rec rec;
		assert_int_equal(spool_next(f->sp, &rec), 0);
		last_seq = rec.seq;
		spool_rec_free(&rec); /* handed out, never acknowledged */
	}
	spool_close(f->sp);
	assert_int_equal(open_spool(f, 4 << 20, 64 << 10), 0);
	struct spool_stats st;
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.records, 50);
	for (long i = 0; i < 50; i++) {
		struct spool_rec rec;
		assert_int_equal(spool_next(f->sp, &rec), 0);
		assert_int_equal(marker_of(&rec), i);
		spool_ack(f->sp, &rec);
		spool_rec_free(&rec);
	}
	assert_int_equal(append(f->sp, EVENTS, 99, 10), 0);
	struct spool_rec rec;
	assert_int_equal(spool_next(f->sp, &rec), 0);
	assert_true(rec.seq > 50);
	assert_true(rec.seq > last_seq);
	spool_rec_free(&rec);
}

/* Sequence numbers never repeat, even when every record was acknowledged
 * and deleted before the restart. */
static void test_seq_never_reused(void **state)
{
	struct fixture *f = *state;
	uint64_t max_seq = 0;
	for (int round = 0; round < 3; round++) {
		for (long i = 0; i < 5; i++)
			assert_int_equal(append(f->sp, CONTROL, i, 10), 0);
		struct spool_rec rec;
		while (spool_next(f->sp, &rec) == 0) {
			assert_true(rec.seq > max_seq);
			max_seq = rec.seq;
			spool_ack(f->sp, &rec);
			spool_rec_free(&rec);
		}
		spool_close(f->sp);
		assert_int_equal(open_spool(f, 4 << 20, 64 << 10), 0);
	}
}

/* A record torn by a crash mid-write is cut off; the ones before stay. */
static void test_torn_tail(void **state)
{
	struct fixture *f = *state;
	for (long i = 0; i < 3; i++)
		assert_int_equal(append(f->sp, LOGS, i, 100), 0);
	spool_close(f->sp);
	char path[128];
	snprintf(path, sizeof path, "%s/logs/0000000000000000.seg", f->dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size - 7), 0);
	assert_int_equal(open_spool(f, 4 << 20, 64 << 10), 0);
	struct spool_stats st;
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.records, 2);
	struct spool_rec rec;
	assert_int_equal(spool_next(f->sp, &rec), 0);
	assert_int_equal(marker_of(&rec), 0);
	spool_rec_free(&rec);
}

/* A flipped byte inside a record: the damaged record and the rest of its
 * segment are skipped and counted, later segments still arrive. */
static void test_corrupt_record(void **state)
{
	struct fixture *f = *state;
	for (long i = 0; i < 4; i++)
		assert_int_equal(append(f->sp, CONTROL, i, 40000), 0); /* 2 per segment */
	char path[128];
	snprintf(path, sizeof path, "%s/control/0000000000000000.seg", f->dir);
	FILE *fp = fopen(path, "r+");
	assert_non_null(fp);
	fseek(fp, 100, SEEK_SET);
	fputc('X', fp);
	fclose(fp);
	long got[4];
	int n = 0;
	struct spool_rec rec;
	while (spool_next(f->sp, &rec) == 0) {
		got[n++] = marker_of(&rec);
		spool_ack(f->sp, &rec);
		spool_rec_free(&rec);
	}
	assert_int_equal(n, 2);
	assert_int_equal(got[0], 2);
	assert_int_equal(got[1], 3);
	struct spool_stats st;
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.dropped, 2);
}

/* Full spool: metrics are a ring (the oldest go first), logs evict
 * metrics and are refused before the last tenth, events use that tenth. */
static void test_full_policy(void **state)
{
	struct fixture *f = *state;
	spool_close(f->sp);
	assert_int_equal(open_spool(f, 1 << 20, 64 << 10), 0);
	const long nmetrics = 200; /* 2 MB of samples into a 1 MiB spool */
	for (long m = 0; m < nmetrics; m++)
		assert_int_equal(append(f->sp, METRICS, m, 10000), 0);
	struct spool_stats st;
	spool_get_stats(f->sp, &st);
	assert_true(st.bytes <= (1 << 20) - (1 << 20) / 10);
	assert_true(st.dropped > 0);
	assert_int_equal(st.records + st.dropped, (uint64_t)nmetrics);
	struct spool_rec rec;
	assert_int_equal(spool_next(f->sp, &rec), 0); /* the oldest left is a newer one */
	assert_true(marker_of(&rec) > 0);
	spool_rec_free(&rec);

	long l = 0;
	while (append(f->sp, LOGS, l, 10000) == 0)
		l++;
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.refused, 1);
	assert_true(l > 50);
	assert_int_equal(append(f->sp, EVENTS, 7, 10000), 0);
	int metrics_left = 0, events = 0;
	while (spool_next(f->sp, &rec) == 0) {
		metrics_left += rec.stream == METRICS;
		events += rec.stream == EVENTS;
		spool_rec_free(&rec);
	}
	assert_int_equal(metrics_left, 0);
	assert_int_equal(events, 1);
	spool_get_stats(f->sp, &st);
	assert_int_equal(st.dropped, (uint64_t)nmetrics - 1); /* all but the one read */
}

/* An envelope for a stream that does not exist is refused, not written. */
static void test_bad_stream(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(append(f->sp, 9, 1, 10), -EINVAL);
	struct spool_rec rec;
	assert_int_equal(spool_next(f->sp, &rec), -EAGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_stream, setup, teardown),
	};
	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
