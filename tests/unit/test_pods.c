/* Unit tests of the pod mapping's pure parts: workload rules, the
 * kubelet's pod list, OCI specs, the merge and its reasons, the wire
 * form, and gRPC framing. */
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

#include "buf.h"
#include "grpc.h"
#include "kubelet.h"
#include "oci.h"
#include "podmsg.h"
#include "podview.h"
#include "workload.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

/* "kind name uid via; ..." for a workload list. */
static char *describe(const json_t *list)
{
	struct buf b = BUF_INIT;
	json_t *w;
	size_t i;
	json_array_foreach(list, i, w)
		buf_printf(&b, "%s%s %s %s %s", i ? "; " : "",
			   json_string_value(json_object_get(w, "kind")),
			   json_string_value(json_object_get(w, "name")),
			   json_string_value(json_object_get(w, "uid")),
			   json_string_value(json_object_get(w, "via")));
	return buf_steal(&b);
}

static void expect_workloads(const char *pod, const char *want)
{
	json_t *p = parse(pod), *w = workload_resolve(p);
	char *got = describe(w);
	assert_string_equal(got, want);
	free(got);
	json_decref(w);
	json_decref(p);
}

static void test_workload_rules(void **state)
{
	(void)state;
	expect_workloads("{\"namespace\":\"ml\",\"labels\":{\"training.kubeflow.org/job-name\":\"llama\"},"
			 "\"owners\":[{\"kind\":\"PyTorchJob\",\"name\":\"llama\",\"uid\":\"u1\","
			 "\"api_version\":\"kubeflow.org/v1\",\"controller\":true}]}",
			 "PyTorchJob llama u1 owner");
	expect_workloads("{\"namespace\":\"web\",\"labels\":{\"pod-template-hash\":\"5d9f7\"},"
			 "\"owners\":[{\"kind\":\"ReplicaSet\",\"name\":\"front-5d9f7\",\"uid\":\"rs\","
			 "\"api_version\":\"apps/v1\",\"controller\":true}]}",
			 "Deployment front name:web/Deployment/front owner-name; "
			 "ReplicaSet front-5d9f7 rs owner");
	/* A ReplicaSet whose name does not end in the hash stays on its own. */
	expect_workloads("{\"namespace\":\"web\",\"labels\":{\"pod-template-hash\":\"zzz\"},"
			 "\"owners\":[{\"kind\":\"ReplicaSet\",\"name\":\"front-5d9f7\",\"uid\":\"rs\","
			 "\"api_version\":\"apps/v1\",\"controller\":true}]}",
			 "ReplicaSet front-5d9f7 rs owner");
	expect_workloads("{\"namespace\":\"ops\",\"labels\":{\"job-name\":\"backup-29012345\"},"
			 "\"owners\":[{\"kind\":\"Job\",\"name\":\"backup-29012345\",\"uid\":\"j1\","
			 "\"api_version\":\"batch/v1\",\"controller\":true}]}",
			 "CronJob backup name:ops/CronJob/backup owner-name; Job backup-29012345 j1 owner");
	/* A Volcano Job is a Job of another API group: never a CronJob's. */
	expect_workloads("{\"namespace\":\"v\",\"labels\":{\"volcano.sh/job-name\":\"mpi-12345678\"},"
			 "\"owners\":[{\"kind\":\"Job\",\"name\":\"mpi-12345678\",\"uid\":\"v1\","
			 "\"api_version\":\"batch.volcano.sh/v1alpha1\",\"controller\":true}]}",
			 "Job mpi-12345678 v1 owner");
	/* Static pods (owned by the Node) have none; labels still count. */
	expect_workloads("{\"namespace\":\"kube-system\",\"labels\":{\"app.kubernetes.io/instance\":\"etcd\"},"
			 "\"owners\":[{\"kind\":\"Node\",\"name\":\"n1\",\"uid\":\"n\",\"controller\":true}]}",
			 "label:app.kubernetes.io/instance etcd "
			 "name:kube-system/label:app.kubernetes.io/instance/etcd label");
	expect_workloads("{\"namespace\":\"x\",\"labels\":{},\"owners\":[]}", "");
}

static void test_kubelet_pod_list(void **state)
{
	(void)state;
	json_t *doc = parse(
		"{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u-a\","
		"\"ownerReferences\":[{\"kind\":\"Job\",\"name\":\"j\",\"uid\":\"uj\","
		"\"apiVersion\":\"batch/v1\",\"controller\":true}]},"
		"\"spec\":{\"containers\":[{\"name\":\"c1\"},{\"name\":\"c2\"}]},"
		"\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
		"{\"name\":\"c1\",\"containerID\":\"containerd://abc\",\"state\":{\"running\":{}}},"
		"{\"name\":\"c2\",\"containerID\":\"cri-o://def\",\"state\":{\"waiting\":{}}}]}},"
		"{\"metadata\":{\"name\":\"no-uid\"}}, 42]}");
	int skipped;
	json_t *pods = kubelet_parse_pod_list(doc, &skipped);
	assert_int_equal(json_array_size(pods), 1);
	assert_int_equal(skipped, 2);
	char *got = json_dumps(json_array_get(pods, 0), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(got,
			    "{\"containers\":[{\"id\":\"abc\",\"name\":\"c1\",\"running\":true},"
			    "{\"id\":\"def\",\"name\":\"c2\",\"running\":false}],\"labels\":{},"
			    "\"name\":\"a\",\"namespace\":\"n\",\"owners\":[{\"api_version\":"
			    "\"batch/v1\",\"controller\":true,\"kind\":\"Job\",\"name\":\"j\","
			    "\"uid\":\"uj\"}],\"phase\":\"Running\",\"source\":\"kubelet\","
			    "\"uid\":\"u-a\"}");
	free(got);
	json_decref(pods);
	json_decref(doc);
}

/* A sysfs tree where 226:129 is GPU 0000:82:00.0's renderD129 and 231:192
 * is uverbs0 of mlx5_0. */
static char sysroot[64];

static int make_sysfs(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(sysroot, sizeof sysroot, "/tmp/lens-test-sysfs.XXXXXX");
	assert_non_null(mkdtemp(sysroot));
	snprintf(cmd, sizeof cmd,
		 "cd %s && mkdir -p sys/dev/char sys/devices/pci0000:82/0000:82:00.0/drm/renderD129 "
		 "sys/devices/pci0000:41/0000:41:00.0/infiniband_verbs/uverbs0 && "
		 "echo mlx5_0 > sys/devices/pci0000:41/0000:41:00.0/infiniband_verbs/uverbs0/ibdev && "
		 "ln -s ../../devices/pci0000:82/0000:82:00.0/drm/renderD129 sys/dev/char/226:129 && "
		 "ln -s ../../devices/pci0000:41/0000:41:00.0/infiniband_verbs/uverbs0 sys/dev/char/231:192",
		 sysroot);
	return system(cmd);
}

static int remove_sysfs(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", sysroot);
	return system(cmd);
}

static void test_oci_spec(void **state)
{
	(void)state;
	struct oci_container c;
	const char *containerd =
		"{\"linux\":{\"devices\":[{\"path\":\"/dev/dri/renderD129\",\"type\":\"c\",\"major\":226,"
		"\"minor\":129},{\"path\":\"/dev/infiniband/uverbs0\",\"type\":\"c\",\"major\":231,"
		"\"minor\":192},{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3},"
		"{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0}]},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.sandbox-namespace\":\"n\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u\",\"io.kubernetes.cri.container-name\":\"c\"}}";
	assert_int_equal(oci_parse_spec(containerd, strlen(containerd), sysroot, &c), 0);
	assert_string_equal(c.pod_uid, "u");
	assert_string_equal(c.pod_name, "p");
	assert_string_equal(c.pod_namespace, "n");
	assert_string_equal(c.name, "c");
	assert_int_equal(c.ndevices, 2);
	assert_int_equal(c.devices[0].kind, DEVNODE_GPU);
	assert_string_equal(c.devices[0].id, "0000:82:00.0");
	assert_int_equal(c.devices[1].kind, DEVNODE_IB);
	assert_string_equal(c.devices[1].id, "mlx5_0");

	const char *crio = "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"container\","
			   "\"io.kubernetes.pod.name\":\"p2\",\"io.kubernetes.pod.namespace\":\"n2\","
			   "\"io.kubernetes.pod.uid\":\"u2\",\"io.kubernetes.container.name\":\"c2\"}}";
	assert_int_equal(oci_parse_spec(crio, strlen(crio), sysroot, &c), 0);
	assert_string_equal(c.pod_uid, "u2");
	assert_int_equal(c.ndevices, 0);

	const char *sandbox = "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"}}";
	assert_int_equal(oci_parse_spec(sandbox, strlen(sandbox), sysroot, &c), 1);
	assert_int_equal(oci_parse_spec("{\"annotations\":", 15, sysroot, &c), -EINVAL);
	assert_int_equal(oci_parse_spec("{}", 2, sysroot, &c), -EINVAL);
}

/* podview ------------------------------------------------------------------------- */

static const char pods_json[] =
	"[{\"uid\":\"u1\",\"name\":\"train\",\"namespace\":\"ml\",\"phase\":\"Running\",\"labels\":{},"
	"\"owners\":[],\"containers\":[{\"name\":\"main\",\"id\":\"c1\",\"running\":true}],"
	"\"source\":\"kubelet\"},"
	"{\"uid\":\"u2\",\"name\":\"done\",\"namespace\":\"ml\",\"phase\":\"Succeeded\",\"labels\":{},"
	"\"owners\":[],\"containers\":[{\"name\":\"main\",\"id\":\"c2\",\"running\":false}],"
	"\"source\":\"kubelet\"},"
	"{\"uid\":\"u3\",\"name\":\"crashed\",\"namespace\":\"ml\",\"phase\":\"Running\",\"labels\":{},"
	"\"owners\":[],\"containers\":[{\"name\":\"main\",\"id\":\"c3\",\"running\":false}],"
	"\"source\":\"kubelet\"}]";
static const char devices_json[] =
	"[{\"kind\":\"gpu\",\"id\":\"0000:81:00.0\"},{\"kind\":\"gpu\",\"id\":\"0000:82:00.0\"},"
	"{\"kind\":\"ib\",\"id\":\"mlx5_0\"}]";

/* A pod-resources answer with one container and one resource per pod. */
struct podres_fixture {
	V1__ListPodResourcesResponse r;
	V1__PodResources p[3], *pp[3];
	V1__ContainerResources c[3], *cp[3];
	V1__ContainerDevices d[3], *dp[3];
};

static void podres_add(struct podres_fixture *f, const char *pod, const char *resource,
		       char **ids, size_t nids)
{
	size_t i = f->r.n_pod_resources++;
	v1__pod_resources__init(&f->p[i]);
	v1__container_resources__init(&f->c[i]);
	v1__container_devices__init(&f->d[i]);
	f->p[i].name = (char *)pod;
	f->p[i].namespace_ = "ml";
	f->p[i].n_containers = 1;
	f->p[i].containers = &f->cp[i];
	f->cp[i] = &f->c[i];
	f->c[i].name = "main";
	f->c[i].n_devices = 1;
	f->c[i].devices = &f->dp[i];
	f->dp[i] = &f->d[i];
	f->d[i].resource_name = (char *)resource;
	f->d[i].device_ids = ids;
	f->d[i].n_device_ids = nids;
	f->pp[i] = &f->p[i];
	f->r.pod_resources = f->pp;
}

static const char *reason_of(const json_t *doc, const char *id)
{
	json_t *u;
	size_t i;
	json_array_foreach(json_object_get(doc, "unmapped"), i, u)
		if (strcmp(json_string_value(json_object_get(u, "device_id")), id) == 0)
			return json_string_value(json_object_get(u, "reason"));
	return "";
}

static void test_podview_allocations(void **state)
{
	(void)state;
	json_t *pods = parse(pods_json), *devices = parse(devices_json);
	struct podres_fixture f;
	memset(&f, 0, sizeof f);
	v1__list_pod_resources_response__init(&f.r);
	char *train_ids[] = {"0000:82:00.0"};
	char *done_ids[] = {"0000:81:00.0"};
	char *xcp_ids[] = {"amdgpu_xcp_30"};
	podres_add(&f, "train", "amd.com/gpu", train_ids, 1);
	podres_add(&f, "done", "amd.com/gpu", done_ids, 1);
	podres_add(&f, "crashed", "amd.com/gpu", xcp_ids, 1);
	struct podview_inputs in = {.pods = pods, .pods_source = "ok", .podres = &f.r,
				    .podres_state = PODRES_OK, .devices = devices};
	struct podview_stats st;
	json_t *doc = podview_build(&in, &st);
	const json_t *a = json_array_get(json_object_get(doc, "assignments"), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "assignments")), 1);
	assert_string_equal(json_string_value(json_object_get(a, "pod_uid")), "u1");
	assert_string_equal(json_string_value(json_object_get(a, "container_id")), "c1");
	assert_true(json_is_true(json_object_get(a, "allocated")));
	assert_false(json_is_true(json_object_get(a, "used")));
	/* Succeeded pod and stopped container: stale, not attributed. */
	assert_int_equal(st.stale_allocations, 2);
	assert_int_equal(st.unmatched_ids, 0); /* the xcp id came from a stale container */
	assert_string_equal(reason_of(doc, "0000:81:00.0"), "not_allocated");
	assert_string_equal(reason_of(doc, "mlx5_0"), "not_allocated");
	assert_int_equal(json_array_size(json_object_get(doc, "pods")), 3);
	json_decref(doc);

	/* A partition id on a running container is unmatched: say so. */
	f.r.n_pod_resources = 0;
	podres_add(&f, "train", "amd.com/gpu", xcp_ids, 1);
	doc = podview_build(&in, &st);
	assert_int_equal(st.unmatched_ids, 1);
	assert_string_equal(reason_of(doc, "0000:81:00.0"), "id_not_matched");
	assert_string_equal(reason_of(doc, "mlx5_0"), "not_allocated");
	json_decref(doc);
	json_decref(pods);
	json_decref(devices);
}

static void test_podview_reasons(void **state)
{
	(void)state;
	json_t *devices = parse(devices_json);
	struct podview_inputs in = {.devices = devices, .podres_state = PODRES_NO_SOCKET};
	json_t *doc = podview_build(&in, NULL);
	assert_string_equal(reason_of(doc, "0000:82:00.0"), "socket_not_mounted");
	json_decref(doc);
	in.podres_state = PODRES_DISABLED;
	doc = podview_build(&in, NULL);
	assert_string_equal(reason_of(doc, "0000:82:00.0"), "socket_not_mounted");
	json_decref(doc);
	in.podres_state = PODRES_FAILED;
	in.podres_error = "grpc-status 14: unavailable";
	doc = podview_build(&in, NULL);
	assert_string_equal(reason_of(doc, "0000:82:00.0"), "api_unavailable");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "sources"),
							      "podresources")),
			    "grpc-status 14: unavailable");
	json_decref(doc);
	/* A failing API is named even when the OCI view answers... */
	in.oci_available = true;
	doc = podview_build(&in, NULL);
	assert_string_equal(reason_of(doc, "0000:82:00.0"), "api_unavailable");
	json_decref(doc);
	/* ...but without pod-resources at all, the OCI view says "not allocated". */
	in.podres_state = PODRES_NO_SOCKET;
	doc = podview_build(&in, NULL);
	assert_string_equal(reason_of(doc, "0000:82:00.0"), "not_allocated");
	json_decref(doc);
	json_decref(devices);
}

static void test_podview_processes(void **state)
{
	(void)state;
	json_t *pods = parse(pods_json), *devices = parse(devices_json);
	struct proc_entry procs[2];
	memset(procs, 0, sizeof procs);
	for (int i = 0; i < 2; i++) {
		procs[i].pid = 100 + i;
		procs[i].pod.in_pod = true;
		strcpy(procs[i].pod.pod_uid, i == 0 ? "u1" : "u9");
		strcpy(procs[i].pod.container_id, i == 0 ? "c1" : "c9");
		procs[i].ndevices = 2;
		procs[i].devices[0] = (struct proc_device){PROC_DEV_GPU, "0000:82:00.0", true, true,
							   1 << 20};
		procs[i].devices[1] = (struct proc_device){PROC_DEV_KFD, "", true, false, -1};
	}
	struct podview_inputs in = {.pods = pods, .procs = procs, .nprocs = 2,
				    .devices = devices, .podres_state = PODRES_NO_SOCKET};
	json_t *doc = podview_build(&in, NULL);
	json_t *as = json_object_get(doc, "assignments");
	assert_int_equal(json_array_size(as), 2);
	const json_t *a = json_array_get(as, 0);
	assert_string_equal(json_string_value(json_object_get(a, "container")), "main");
	assert_int_equal(json_integer_value(json_object_get(a, "vram_bytes")), 1 << 20);
	assert_string_equal(json_string_value(json_object_get(a, "source")), "process");
	/* A pod only its cgroup names is still a pod, without a name. */
	const json_t *b = json_array_get(as, 1);
	assert_string_equal(json_string_value(json_object_get(b, "pod_uid")), "u9");
	assert_string_equal(json_string_value(json_object_get(b, "container")), "");
	assert_int_equal(json_array_size(json_object_get(doc, "pods")), 4);
	/* Sorted and stable: the same inputs build the same document. */
	json_t *again = podview_build(&in, NULL);
	assert_true(json_equal(doc, again));
	json_decref(again);
	json_decref(doc);
	json_decref(pods);
	json_decref(devices);
}

static void test_podmsg_round_trip(void **state)
{
	(void)state;
	json_t *pods = parse(pods_json), *devices = parse(devices_json);
	struct proc_entry p = {.pid = 7, .pod = {.in_pod = true, .pod_uid = "u1", .container_id = "c1"},
			       .ndevices = 1,
			       .devices = {{PROC_DEV_GPU, "0000:81:00.0", true, false, -1}}};
	struct podview_inputs in = {.pods = pods, .procs = &p, .nprocs = 1, .devices = devices,
				    .podres_state = PODRES_NO_SOCKET};
	json_t *doc = podview_build(&in, NULL);
	Lens__V1__PodDeviceMap *m = podmsg_to_proto(doc, 123);
	size_t n = lens__v1__pod_device_map__get_packed_size(m);
	uint8_t *bytes = malloc(n);
	lens__v1__pod_device_map__pack(m, bytes);
	Lens__V1__PodDeviceMap *back = lens__v1__pod_device_map__unpack(NULL, n, bytes);
	assert_non_null(back);
	json_t *j = podmsg_to_json(back);
	assert_int_equal(json_integer_value(json_object_get(j, "observed_unix_ns")), 123);
	json_object_del(j, "observed_unix_ns");
	/* The wire form drops nothing but the owners' "controller" flag. */
	json_t *p0 = json_array_get(json_object_get(doc, "pods"), 0);
	json_object_set_new(p0, "owners", json_array());
	assert_true(json_equal(doc, j));
	json_decref(j);
	lens__v1__pod_device_map__free_unpacked(back, NULL);
	free(bytes);
	podmsg_free_proto(m);
	json_decref(doc);
	json_decref(pods);
	json_decref(devices);
}

static void test_drm_fdinfo(void **state)
{
	(void)state;
	struct drm_fdinfo fi;
	assert_int_equal(procscan_parse_drm_fdinfo("pos:\t0\nflags:\t02100002\ndrm-driver:\tamdgpu\n"
						   "drm-pdev:\t0000:c1:00.0\ndrm-client-id:\t7\n"
						   "drm-memory-vram:\t2048 KiB\ndrm-total-vram:\t4 MiB\n"
						   "drm-engine-gfx:\t0 ns\ndrm-engine-compute:\t1234 ns\n",
						   &fi),
			 0);
	assert_string_equal(fi.pdev, "0000:c1:00.0");
	assert_int_equal(fi.vram_bytes, 2048 * 1024); /* memory- beats total- */
	assert_true(fi.engine_busy);
	assert_int_equal(procscan_parse_drm_fdinfo("drm-pdev: 0001:02:00.0\ndrm-resident-vram: 5\n"
						   "drm-memory-vram: 9 KiB\ndrm-engine-gfx: 0 ns",
						   &fi),
			 0);
	assert_string_equal(fi.pdev, "0001:02:00.0");
	assert_int_equal(fi.vram_bytes, 5); /* resident, in bytes without a unit */
	assert_false(fi.engine_busy);
	/* Not a DRM client, and a value that does not parse is skipped. */
	assert_int_equal(procscan_parse_drm_fdinfo("pos: 0\nflags: 0\n", &fi), -ENOENT);
	assert_int_equal(procscan_parse_drm_fdinfo("drm-pdev: x\ndrm-memory-vram: lots", &fi), 0);
	assert_int_equal(fi.vram_bytes, -1);
	assert_int_equal(procscan_parse_drm_fdinfo("", &fi), -ENOENT);
}

static void test_grpc_framing(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	grpc_frame(&b, (const uint8_t *)"abc", 3);
	const uint8_t *msg;
	size_t len;
	assert_int_equal(grpc_unframe((const uint8_t *)b.p, b.len, &msg, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(msg, "abc", 3);
	assert_int_equal(grpc_unframe((const uint8_t *)b.p, b.len - 1, &msg, &len), -EPROTO);
	b.p[0] = 1; /* compressed: never asked for */
	assert_int_equal(grpc_unframe((const uint8_t *)b.p, b.len, &msg, &len), -EPROTO);
	assert_int_equal(grpc_unframe((const uint8_t *)"", 0, &msg, &len), -EPROTO);
	buf_free(&b);
}

static void test_grpc_no_socket(void **state)
{
	(void)state;
	struct buf resp = BUF_INIT;
	char err[256];
	int rc = grpc_unary_call("/nonexistent/kubelet.sock", "/v1.PodResourcesLister/List",
				 (const uint8_t *)"", 0, 1000000000, &resp, err, sizeof err);
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/kubelet.sock"));
	buf_free(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_rules),
		cmocka_unit_test(test_kubelet_pod_list),
		cmocka_unit_test_setup_teardown(test_oci_spec, make_sysfs, remove_sysfs),
		cmocka_unit_test(test_podview_allocations),
		cmocka_unit_test(test_podview_reasons),
		cmocka_unit_test(test_podview_processes),
		cmocka_unit_test(test_podmsg_round_trip),
		cmocka_unit_test(test_drm_fdinfo),
		cmocka_unit_test(test_grpc_framing),
		cmocka_unit_test(test_grpc_no_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
