/* Unit tests of cgroup path parsing for the kubelet layouts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup.h"

#define UID "0a1b2c3d-e4f5-4789-abcd-ef0123456789"
#define UID_ "0a1b2c3d_e4f5_4789_abcd_ef0123456789"
#define CID "3f4e5d6c7b8a9f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766"

static void expect(const char *path, const char *uid, const char *qos, const char *cid,
		   const char *runtime)
{
	struct cgroup_pod p;
	assert_int_equal(cgroup_parse_path(path, &p), 0);
	assert_true(p.in_pod);
	assert_string_equal(p.pod_uid, uid);
	assert_string_equal(p.qos, qos);
	assert_string_equal(p.container_id, cid);
	assert_string_equal(p.runtime, runtime);
}

static void test_systemd_driver(void **state)
{
	(void)state;
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" CID ".scope",
	       UID, "burstable", CID, "containerd");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" CID ".scope", UID,
	       "guaranteed", CID, "containerd");
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-" CID ".scope",
	       UID, "besteffort", CID, "cri-o");
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/docker-" CID ".scope",
	       UID, "burstable", CID, "docker");
}

static void test_cgroupfs_driver(void **state)
{
	(void)state;
	expect("/kubepods/besteffort/pod" UID "/" CID, UID, "besteffort", CID, "");
	expect("/kubepods/pod" UID "/" CID, UID, "guaranteed", CID, "");
	expect("/kubepods/burstable/pod" UID, UID, "burstable", "", "");
}

static void test_nested(void **state)
{
	(void)state;
	/* kind: the node's kubelet runs inside a docker container */
	expect("/system.slice/docker-" CID ".scope/kubelet.slice/kubelet-kubepods.slice/"
	       "kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" CID ".scope",
	       UID, "burstable", CID, "containerd");
	expect("/kubelet/kubepods/besteffort/pod" UID "/" CID, UID, "besteffort", CID, "");
}

static void test_not_pods(void **state)
{
	(void)state;
	struct cgroup_pod p;
	static const char *const paths[] = {
		"/", "/system.slice/sshd.service", "/user.slice/user-0.slice/session-3.scope",
		"/kubepods.slice", "/kubepods.slice/kubepods-burstable.slice",
		"/system.slice/containerd.service"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		assert_int_equal(cgroup_parse_path(paths[i], &p), 0);
		assert_false(p.in_pod);
	}
	/* A pod component with a broken UID is an error, not a pod. */
	assert_int_equal(cgroup_parse_path("/kubepods/burstable/pod0a1b2c3d-zzzz/x", &p), -EINVAL);
}

static void test_conmon(void **state)
{
	(void)state;
	struct cgroup_pod p;
	assert_int_equal(cgroup_parse_path("/kubepods.slice/kubepods-pod" UID_
					   ".slice/crio-conmon-" CID ".scope",
					   &p),
			 0);
	assert_true(p.conmon);
	assert_string_equal(p.runtime, "cri-o");
}

static void test_proc_file(void **state)
{
	(void)state;
	struct cgroup_pod p;
	assert_int_equal(cgroup_parse_proc("0::/kubepods.slice/kubepods-pod" UID_
					   ".slice/cri-containerd-" CID ".scope\n",
					   &p),
			 0);
	assert_true(p.in_pod);
	assert_string_equal(p.container_id, CID);
	/* cgroup v1: the first line naming a pod wins */
	assert_int_equal(cgroup_parse_proc("12:pids:/system.slice\n"
					   "11:memory:/kubepods/burstable/pod" UID "/" CID "\n"
					   "1:name=systemd:/kubepods/burstable/pod" UID "/" CID "\n",
					   &p),
			 0);
	assert_true(p.in_pod);
	assert_string_equal(p.pod_uid, UID);
	/* hybrid: an empty unified hierarchy, the pod in v1 */
	assert_int_equal(cgroup_parse_proc("0::/\n4:memory:/kubepods/besteffort/pod" UID "/" CID "\n",
					   &p),
			 0);
	assert_true(p.in_pod);
	assert_string_equal(p.qos, "besteffort");
	assert_int_equal(cgroup_parse_proc("garbage without colons\n\n", &p), 0);
	assert_false(p.in_pod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_driver), cmocka_unit_test(test_cgroupfs_driver),
		cmocka_unit_test(test_nested),         cmocka_unit_test(test_not_pods),
		cmocka_unit_test(test_conmon),         cmocka_unit_test(test_proc_file),
	};
	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
