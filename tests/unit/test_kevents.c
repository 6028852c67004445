/* Unit tests of kernel event decoding, on records as the eBPF programs
 * write them: AER and MCE registers as real hardware reports them, exit
 * codes, argv, OOM details, signal names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kevdecode.h"

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

static void expect_details(const struct kevent *e, const char *want)
{
	json_t *ev = kevdecode(e, 0);
	assert_non_null(ev);
	char *got = dump(json_object_get(ev, "details"));
	assert_string_equal(got, want);
	free(got);
	json_decref(ev);
}

static void test_aer(void **state)
{
	(void)state;
	/* A completion timeout and an unsupported request, uncorrectable
	 * non-fatal, as a GPU behind a flaky link reports it. */
	struct kevent e = {.type = KEV_AER};
	e.aer.status = (1u << 14) | (1u << 20);
	e.aer.severity = 0;
	strcpy(e.aer.dev, "0000:81:00.0");
	expect_details(&e, "{\"device\":\"0000:81:00.0\",\"errors\":[\"completion_timeout\","
			   "\"unsupported_request\"],\"severity\":\"uncorrectable_non_fatal\","
			   "\"status\":\"0x104000\"}");
	/* Correctable: the same bits mean other errors. */
	e.aer.status = 0x41; /* receiver error, bad TLP */
	e.aer.severity = 2;
	e.aer.tlp_header_valid = 1;
	e.aer.tlp_header[0] = 0x4a000001;
	expect_details(&e, "{\"device\":\"0000:81:00.0\",\"errors\":[\"receiver_error\","
			   "\"bad_tlp\"],\"severity\":\"correctable\",\"status\":\"0x41\","
			   "\"tlp_header\":\"4a000001 00000000 00000000 00000000\"}");
}

static void test_mce(void **state)
{
	(void)state;
	/* AMD uncorrected DRAM ECC (UMC bank): VAL|UC|EN|ADDRV|PCC, a memory
	 * controller error code. */
	struct kevent e = {.type = KEV_MCE};
	e.mce.status = 0xbe00000000000090ULL | (1ULL << 57);
	e.mce.addr = 0x12345000;
	e.mce.bank = 17;
	e.mce.cpu = 3;
	e.mce.cpuvendor = 2;
	json_t *ev = kevdecode(&e, 0);
	json_t *d = json_object_get(ev, "details");
	assert_true(json_is_true(json_object_get(d, "valid")));
	assert_true(json_is_true(json_object_get(d, "uncorrected")));
	assert_true(json_is_true(json_object_get(d, "processor_context_corrupt")));
	assert_true(json_is_true(json_object_get(d, "address_valid")));
	assert_false(json_is_true(json_object_get(d, "overflow")));
	assert_string_equal(json_string_value(json_object_get(d, "class")), "memory_controller");
	assert_string_equal(json_string_value(json_object_get(d, "vendor")), "amd");
	assert_string_equal(json_string_value(json_object_get(d, "address")), "0x12345000");
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "machine_check");
	json_decref(ev);
	/* A corrected cache error: no UC. */
	e.mce.status = 0x9000000000000151ULL;
	ev = kevdecode(&e, 0);
	d = json_object_get(ev, "details");
	assert_false(json_is_true(json_object_get(d, "uncorrected")));
	assert_string_equal(json_string_value(json_object_get(d, "class")), "cache");
	json_decref(ev);
}

static void test_exit_codes(void **state)
{
	(void)state;
	struct kevent e = {.type = KEV_EXIT, .pid = 7, .tgid = 7};
	strcpy(e.comm, "python");
	e.exit.exit_code = 0x8b; /* SIGSEGV with a core */
	expect_details(&e, "{\"core_dumped\":true,\"exit_code\":139,\"how\":\"crashed\","
			   "\"signal\":\"SIGSEGV\",\"status\":0}");
	e.exit.exit_code = 9;
	expect_details(&e, "{\"core_dumped\":false,\"exit_code\":9,\"how\":\"killed\","
			   "\"signal\":\"SIGKILL\",\"status\":0}");
	e.exit.exit_code = 1 << 8;
	expect_details(&e, "{\"core_dumped\":false,\"exit_code\":256,\"how\":\"failed\","
			   "\"status\":1}");
	e.exit.exit_code = 0;
	expect_details(&e, "{\"core_dumped\":false,\"exit_code\":0,\"how\":\"exited\","
			   "\"status\":0}");
}

static void test_exec_argv(void **state)
{
	(void)state;
	struct kevent e = {.type = KEV_EXEC};
	strcpy(e.exec.filename, "/usr/bin/python3");
	static const char args[] = "python3\0train.py\0--lr=3e-4";
	memcpy(e.exec.args, args, sizeof args);
	e.exec.args_len = sizeof args;
	expect_details(&e, "{\"argv\":[\"python3\",\"train.py\",\"--lr=3e-4\"],"
			   "\"argv_truncated\":false,\"filename\":\"/usr/bin/python3\"}");
	/* Bytes that are not UTF-8 become '?': the database takes only text. */
	memcpy(e.exec.args, "a\xff" "b", 4);
	e.exec.args_len = 4;
	expect_details(&e, "{\"argv\":[\"a?b\"],\"argv_truncated\":false,"
			   "\"filename\":\"/usr/bin/python3\"}");
}

static void test_oom_and_signal(void **state)
{
	(void)state;
	struct kevent e = {.type = KEV_OOM_KILL, .cgroup = 1};
	e.oom.victim_pid = 42;
	e.oom.victim_cgroup = 777;
	e.oom.totalpages = 8192;
	e.oom.constraint = 3;
	strcpy(e.oom.victim_comm, "tail");
	assert_int_equal(kevdecode_subject_cgroup(&e), 777);
	expect_details(&e, "{\"constraint\":\"memcg\",\"limit_bytes\":33554432,\"memcg_inode\":0,"
			   "\"oom_score_adj\":0,\"victim_cgroup_id\":777,\"victim_comm\":\"tail\","
			   "\"victim_pid\":42,\"victim_tgid\":0}");
	e.oom.totalpages = (uint64_t)-1 >> 12; /* no limit */
	json_t *ev = kevdecode(&e, 0);
	assert_null(json_object_get(json_object_get(ev, "details"), "limit_bytes"));
	json_decref(ev);

	struct kevent s = {.type = KEV_SIGNAL, .tgid = 5, .cgroup = 2};
	s.signal.sig = 9;
	s.signal.target_cgroup = 888;
	assert_int_equal(kevdecode_subject_cgroup(&s), 888);
	ev = kevdecode(&s, 1000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "details"),
							      "signal")),
			    "SIGKILL");
	assert_int_equal(json_integer_value(json_object_get(ev, "unix_ns")), 1000);
	json_decref(ev);
	assert_int_equal(kevdecode_signal_number("SIGTERM"), 15);
	assert_int_equal(kevdecode_signal_number("KILL"), 9);
	assert_int_equal(kevdecode_signal_number("NOPE"), -1);
}

static void test_unknown_record(void **state)
{
	(void)state;
	struct kevent e = {.type = 99};
	assert_null(kevdecode_type(&e));
	assert_null(kevdecode(&e, 0));
	e.type = KEV_GPU_RESET;
	e.gpu.probe = KEV_GPU_JOB_TIMEOUT;
	assert_string_equal(kevdecode_type(&e), "gpu_hang");
	e.gpu.probe = KEV_GPU_RECOVER;
	assert_string_equal(kevdecode_type(&e), "gpu_reset");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aer),         cmocka_unit_test(test_mce),
		cmocka_unit_test(test_exit_codes),  cmocka_unit_test(test_exec_argv),
		cmocka_unit_test(test_oom_and_signal), cmocka_unit_test(test_unknown_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
