/* Unit tests of the GPU layer that need no device: decoding ROCm SMI event
 * notifications (subscribing needs /dev/kfd and a real GPU) and the
 * metric and event names that are part of the wire contract. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devnames.h"
#include "gpu.h"
#include "gpu_rocmsmi.h"

static struct gpu_info devs[2] = {{.index = 0, .bdf = "0000:81:00.0"},
				  {.index = 1, .bdf = "0000:c1:00.0"}};

static void test_decode_reset(void **state)
{
	(void)state;
	rsmi_evt_notification_data_t d = {.dv_ind = 1, .event = RSMI_EVT_NOTIF_GPU_PRE_RESET};
	strcpy(d.message, "reset seq=3\n");
	struct gpu_event ev;
	assert_int_equal(gpu_rocmsmi_decode_event(&d, devs, 2, 42, &ev), 0);
	assert_string_equal(ev.bdf, "0000:c1:00.0");
	assert_string_equal(gpu_event_name(ev.type), "reset_begin");
	assert_string_equal(ev.message, "reset seq=3");
	assert_int_equal(ev.unix_ns, 42);
}

static void test_decode_each_type(void **state)
{
	(void)state;
	static const struct {
		rsmi_evt_notification_type_t t;
		const char *name;
	} cases[] = {{RSMI_EVT_NOTIF_VMFAULT, "vm_fault"},
		     {RSMI_EVT_NOTIF_THERMAL_THROTTLE, "thermal_throttle"},
		     {RSMI_EVT_NOTIF_GPU_PRE_RESET, "reset_begin"},
		     {RSMI_EVT_NOTIF_GPU_POST_RESET, "reset_end"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rsmi_evt_notification_data_t d = {.dv_ind = 0, .event = cases[i].t};
		struct gpu_event ev;
		assert_int_equal(gpu_rocmsmi_decode_event(&d, devs, 2, 0, &ev), 0);
		assert_string_equal(gpu_event_name(ev.type), cases[i].name);
		assert_string_equal(ev.bdf, "0000:81:00.0");
	}
}

static void test_decode_bad_input(void **state)
{
	(void)state;
	struct gpu_event ev;
	rsmi_evt_notification_data_t d = {.dv_ind = 2, .event = RSMI_EVT_NOTIF_VMFAULT};
	assert_int_equal(gpu_rocmsmi_decode_event(&d, devs, 2, 0, &ev), -EINVAL); /* no GPU 2 */
	d.dv_ind = 0;
	d.event = (rsmi_evt_notification_type_t)77;
	assert_int_equal(gpu_rocmsmi_decode_event(&d, devs, 2, 0, &ev), -EINVAL);
	/* A message filling all 64 bytes, unterminated, is cut safely. */
	d.event = RSMI_EVT_NOTIF_VMFAULT;
	memset(d.message, 'x', sizeof d.message);
	assert_int_equal(gpu_rocmsmi_decode_event(&d, devs, 2, 0, &ev), 0);
	assert_int_equal(strlen(ev.message), sizeof d.message);
}

static void test_wire_names(void **state)
{
	(void)state;
	assert_string_equal(gpu_metric_key(GPU_TEMP_JUNCTION_C), "temperature_junction_celsius");
	assert_string_equal(gpu_ecc_block_name(ECC_XGMI_WAFL), "xgmi_wafl");
	assert_null(gpu_metric_key(GPU_ECC_UE(ECC_UMC)));
	assert_string_equal(devnames_ib_counter(0), "port_rcv_bytes");
	assert_null(devnames_ib_counter(DEVNAMES_IB_COUNTERS));
	assert_string_equal(gpu_event_name(99), "unknown");
	assert_non_null(gpu_backend_find("sysfs"));
	assert_non_null(gpu_backend_find("rocm_smi"));
	assert_null(gpu_backend_find("amdsmi"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_reset),
		cmocka_unit_test(test_decode_each_type),
		cmocka_unit_test(test_decode_bad_input),
		cmocka_unit_test(test_wire_names),
	};
	return cmocka_run_group_tests_name("gpu", tests, NULL, NULL);
}
