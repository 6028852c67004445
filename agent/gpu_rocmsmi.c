/* gpu_rocmsmi: the ROCm SMI backend. The library is loaded at run time
 * (dlopen), so the agent runs on nodes without it. Debian builds it with
 * live asserts: the temperature and power getters abort the process on a
 * GPU without an amdgpu hwmon, so they are called only after sysfs shows
 * one. Device indexes are the library's (DRM card order over the cards
 * with a KFD node); the BDF from rsmi_dev_pci_id_get is the key. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocm_smi/rocm_smi.h>

#include "buf.h"
#include "clock.h"
#include "gpu.h"
#include "gpu_rocmsmi.h"
#include "sysfs.h"

#define RSMI_LIBRARY "librocm_smi64.so.1"

/* Every function used, resolved by name. */
#define RSMI_FUNCS(X)                                                                       \
	X(rsmi_init) X(rsmi_shut_down) X(rsmi_status_string) X(rsmi_num_monitor_devices)  \
	X(rsmi_dev_pci_id_get) X(rsmi_dev_unique_id_get) X(rsmi_dev_serial_number_get)     \
	X(rsmi_dev_name_get) X(rsmi_dev_vbios_version_get) X(rsmi_version_str_get)         \
	X(rsmi_dev_vendor_id_get) X(rsmi_dev_id_get) X(rsmi_dev_drm_render_minor_get)      \
	X(rsmi_dev_memory_total_get) X(rsmi_dev_memory_usage_get)                          \
	X(rsmi_dev_busy_percent_get) X(rsmi_dev_memory_busy_percent_get)                   \
	X(rsmi_dev_temp_metric_get) X(rsmi_dev_power_ave_get) X(rsmi_dev_gpu_clk_freq_get) \
	X(rsmi_dev_pci_throughput_get) X(rsmi_dev_pci_replay_counter_get)                  \
	X(rsmi_dev_ecc_count_get) X(rsmi_event_notification_init)                          \
	X(rsmi_event_notification_mask_set) X(rsmi_event_notification_get)                \
	X(rsmi_event_notification_stop)

struct gpu_backend {
	void *lib;
	char root[PATH_MAX];
	struct gpu_info devs[64]; /* the last list, for event dv_ind -> BDF */
	int ndevs;
	int nevents;              /* devices subscribed to events */
#define DECLARE(f) __typeof__(&f) f;
	RSMI_FUNCS(DECLARE)
#undef DECLARE
};

static const rsmi_gpu_block_t ecc_blocks[GPU_ECC_BLOCKS] = {
	RSMI_GPU_BLOCK_UMC,   RSMI_GPU_BLOCK_SDMA,     RSMI_GPU_BLOCK_GFX,
	RSMI_GPU_BLOCK_MMHUB, RSMI_GPU_BLOCK_PCIE_BIF, RSMI_GPU_BLOCK_HDP,
	RSMI_GPU_BLOCK_XGMI_WAFL,
};

static int resolve(struct gpu_backend *b, char *err, size_t errlen)
{
#define RESOLVE(f)                                                                         \
	if (!(*(void **)&b->f = dlsym(b->lib, #f))) {                                      \
		snprintf(err, errlen, "%s lacks %s: %s", RSMI_LIBRARY, #f, dlerror());     \
		return -ENOSYS;                                                            \
	}
	RSMI_FUNCS(RESOLVE)
#undef RESOLVE
	return 0;
}

static void close_rsmi(struct gpu_backend *b)
{
	for (int i = 0; i < b->nevents; i++)
		b->rsmi_event_notification_stop((uint32_t)i);
	if (b->rsmi_shut_down)
		b->rsmi_shut_down();
	if (b->lib)
		dlclose(b->lib);
	free(b);
}

static int open_rsmi(const char *root, struct gpu_backend **out, char *err, size_t errlen)
{
	char kfd[PATH_MAX];
	if (!sysfs_exists(sysfs_path(kfd, sizeof kfd, root, "/sys/class/kfd/kfd/topology/nodes"))) {
		/* The library needs KFD and says so noisily on stdout: ask first. */
		snprintf(err, errlen, "no KFD topology at %s (amdgpu not loaded?)", kfd);
		return -ENOENT;
	}
	struct gpu_backend *b = xcalloc(1, sizeof *b);
	snprintf(b->root, sizeof b->root, "%s", root ? root : "");
	/* The debug build prints every path it opens on stdout when set. */
	unsetenv("RSMI_DEBUG_BITFIELD");
	b->lib = dlopen(RSMI_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (!b->lib) {
		snprintf(err, errlen, "ROCm SMI library not available: %s", dlerror());
		free(b);
		return -ENOENT;
	}
	int rc = resolve(b, err, errlen);
	rsmi_status_t st = rc ? RSMI_STATUS_SUCCESS : b->rsmi_init(0);
	if (!rc && st != RSMI_STATUS_SUCCESS) {
		const char *why = NULL;
		b->rsmi_status_string(st, &why);
		snprintf(err, errlen, "rsmi_init failed: %s", why ? why : "unknown error");
		rc = -EIO;
		b->rsmi_shut_down = NULL;
	}
	if (rc) {
		close_rsmi(b);
		return rc;
	}
	*out = b;
	return 0;
}

static void bdf_string(uint64_t id, char *out, size_t len)
{
	snprintf(out, len, "%04x:%02x:%02x.%x", (unsigned)(id >> 32), (unsigned)((id >> 8) & 0xff),
		 (unsigned)((id >> 3) & 0x1f), (unsigned)(id & 0x7));
}

/* The library aborts on temperature and power without an amdgpu hwmon:
 * look in sysfs first. */
static bool has_hwmon(const struct gpu_backend *b, const char *bdf)
{
	char dev[PATH_MAX], hwmon[PATH_MAX];
	sysfs_path(dev, sizeof dev, b->root, "/sys/bus/pci/devices/%s", bdf);
	return gpu_sysfs_find_hwmon(dev, hwmon, sizeof hwmon) == 0;
}

static void describe(struct gpu_backend *b, uint32_t i, struct gpu_info *g)
{
	uint64_t v;
	uint16_t id16;
	uint32_t minor;
	memset(g, 0, sizeof *g);
	g->index = (int)i;
	g->render_minor = -1;
	if (b->rsmi_dev_pci_id_get(i, &v) == RSMI_STATUS_SUCCESS)
		bdf_string(v, g->bdf, sizeof g->bdf);
	if (b->rsmi_dev_unique_id_get(i, &v) == RSMI_STATUS_SUCCESS)
		snprintf(g->unique_id, sizeof g->unique_id, "0x%llx", (unsigned long long)v);
	if (b->rsmi_dev_serial_number_get(i, g->serial, sizeof g->serial) != RSMI_STATUS_SUCCESS)
		g->serial[0] = '\0';
	if (b->rsmi_dev_name_get(i, g->product, sizeof g->product) != RSMI_STATUS_SUCCESS)
		g->product[0] = '\0';
	if (b->rsmi_dev_vbios_version_get(i, g->vbios, sizeof g->vbios) != RSMI_STATUS_SUCCESS)
		g->vbios[0] = '\0';
	if (b->rsmi_version_str_get(RSMI_SW_COMP_DRIVER, g->driver_version,
				    sizeof g->driver_version) != RSMI_STATUS_SUCCESS)
		g->driver_version[0] = '\0';
	if (b->rsmi_dev_vendor_id_get(i, &id16) == RSMI_STATUS_SUCCESS)
		g->vendor_id = id16;
	if (b->rsmi_dev_id_get(i, &id16) == RSMI_STATUS_SUCCESS)
		g->device_id = id16;
	if (b->rsmi_dev_drm_render_minor_get(i, &minor) == RSMI_STATUS_SUCCESS)
		g->render_minor = (int)minor;
	if (b->rsmi_dev_memory_total_get(i, RSMI_MEM_TYPE_VRAM, &v) == RSMI_STATUS_SUCCESS)
		g->vram_total_bytes = v;
	g->has_hwmon = g->bdf[0] && has_hwmon(b, g->bdf);
}

static int list_rsmi(struct gpu_backend *b, struct gpu_info *out, int max)
{
	uint32_t n = 0;
	if (b->rsmi_num_monitor_devices(&n) != RSMI_STATUS_SUCCESS)
		return 0;
	int k = 0;
	for (uint32_t i = 0; i < n && k < max; i++)
		describe(b, i, &out[k++]);
	b->ndevs = k < 64 ? k : 64;
	memcpy(b->devs, out, sizeof out[0] * (size_t)b->ndevs);
	return k;
}

int gpu_rocmsmi_decode_event(const rsmi_evt_notification_data_t *d, const struct gpu_info *devs,
			     int ndevs, int64_t now_ns, struct gpu_event *out)
{
	static const struct {
		rsmi_evt_notification_type_t rsmi;
		int type;
	} types[] = {{RSMI_EVT_NOTIF_VMFAULT, GPU_EVENT_VM_FAULT},
		     {RSMI_EVT_NOTIF_THERMAL_THROTTLE, GPU_EVENT_THERMAL_THROTTLE},
		     {RSMI_EVT_NOTIF_GPU_PRE_RESET, GPU_EVENT_RESET_BEGIN},
		     {RSMI_EVT_NOTIF_GPU_POST_RESET, GPU_EVENT_RESET_END}};
	memset(out, 0, sizeof *out);
	out->type = -1;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (d->event == types[i].rsmi)
			out->type = types[i].type;
	if (out->type < 0 || (int)d->dv_ind >= ndevs)
		return -EINVAL;
	snprintf(out->bdf, sizeof out->bdf, "%s", devs[d->dv_ind].bdf);
	/* The driver's text is not always terminated within its 64 bytes. */
	size_t n = strnlen(d->message, sizeof d->message);
	memcpy(out->message, d->message, n);
	out->message[n] = '\0';
	while (n && (out->message[n - 1] == '\n' || out->message[n - 1] == ' '))
		out->message[--n] = '\0';
	out->unix_ns = now_ns;
	return 0;
}

/* Subscribes every listed device; it needs /dev/kfd and a real GPU. */
static int events_start_rsmi(struct gpu_backend *b, char *err, size_t errlen)
{
	uint64_t mask = RSMI_EVENT_MASK_FROM_INDEX(RSMI_EVT_NOTIF_VMFAULT) |
			RSMI_EVENT_MASK_FROM_INDEX(RSMI_EVT_NOTIF_THERMAL_THROTTLE) |
			RSMI_EVENT_MASK_FROM_INDEX(RSMI_EVT_NOTIF_GPU_PRE_RESET) |
			RSMI_EVENT_MASK_FROM_INDEX(RSMI_EVT_NOTIF_GPU_POST_RESET);
	for (int i = 0; i < b->ndevs; i++) {
		rsmi_status_t st = b->rsmi_event_notification_init((uint32_t)i);
		if (st == RSMI_STATUS_SUCCESS)
			st = b->rsmi_event_notification_mask_set((uint32_t)i, mask);
		if (st != RSMI_STATUS_SUCCESS) {
			const char *why = NULL;
			b->rsmi_status_string(st, &why);
			snprintf(err, errlen, "GPU %s: %s", b->devs[i].bdf, why ? why : "error");
			b->nevents = i;
			return -EIO;
		}
	}
	b->nevents = b->ndevs;
	return 0;
}

static int events_poll_rsmi(struct gpu_backend *b, struct gpu_event *out, int max)
{
	rsmi_evt_notification_data_t data[32];
	uint32_t n = max < 32 ? (uint32_t)max : 32;
	if (!b->nevents || b->rsmi_event_notification_get(0, &n, data) != RSMI_STATUS_SUCCESS)
		return 0;
	int k = 0;
	int64_t now = clock_now_ns();
	for (uint32_t i = 0; i < n; i++)
		if (gpu_rocmsmi_decode_event(&data[i], b->devs, b->ndevs, now, &out[k]) == 0)
			k++;
	return k;
}

static void sample_hwmon(struct gpu_backend *b, uint32_t i, struct gpu_sample *s)
{
	static const struct {
		uint32_t type;
		int metric;
	} temps[] = {{RSMI_TEMP_TYPE_EDGE, GPU_TEMP_EDGE_C},
		     {RSMI_TEMP_TYPE_JUNCTION, GPU_TEMP_JUNCTION_C},
		     {RSMI_TEMP_TYPE_MEMORY, GPU_TEMP_MEM_C}};
	int64_t t;
	uint64_t p;
	for (size_t k = 0; k < sizeof temps / sizeof temps[0]; k++)
		if (b->rsmi_dev_temp_metric_get(i, temps[k].type, RSMI_TEMP_CURRENT, &t) ==
		    RSMI_STATUS_SUCCESS)
			gpu_sample_set(s, temps[k].metric, (double)t / 1000.0);
	if (b->rsmi_dev_power_ave_get(i, 0, &p) == RSMI_STATUS_SUCCESS)
		gpu_sample_set(s, GPU_POWER_W, (double)p / 1e6);
}

static void sample_clock(struct gpu_backend *b, uint32_t i, rsmi_clk_type_t type, int metric,
			 struct gpu_sample *s)
{
	rsmi_frequencies_t f;
	if (b->rsmi_dev_gpu_clk_freq_get(i, type, &f) == RSMI_STATUS_SUCCESS &&
	    f.current < f.num_supported && f.current < RSMI_MAX_NUM_FREQUENCIES)
		gpu_sample_set(s, metric, (double)f.frequency[f.current]);
}

static int sample_rsmi(struct gpu_backend *b, const struct gpu_info *g, struct gpu_sample *s)
{
	uint32_t i = (uint32_t)g->index, u32;
	uint64_t v, sent, recv, mps;
	char bdf[16] = "";
	memset(s, 0, sizeof *s);
	if (b->rsmi_dev_pci_id_get(i, &v) == RSMI_STATUS_SUCCESS)
		bdf_string(v, bdf, sizeof bdf);
	if (strcmp(bdf, g->bdf) != 0)
		return -ENODEV; /* indexes moved: the caller lists again */
	if (b->rsmi_dev_busy_percent_get(i, &u32) == RSMI_STATUS_SUCCESS)
		gpu_sample_set(s, GPU_BUSY_PERCENT, u32);
	if (b->rsmi_dev_memory_busy_percent_get(i, &u32) == RSMI_STATUS_SUCCESS)
		gpu_sample_set(s, GPU_MEM_BUSY_PERCENT, u32);
	if (b->rsmi_dev_memory_usage_get(i, RSMI_MEM_TYPE_VRAM, &v) == RSMI_STATUS_SUCCESS)
		gpu_sample_set(s, GPU_VRAM_USED_BYTES, (double)v);
	if (b->rsmi_dev_memory_total_get(i, RSMI_MEM_TYPE_VRAM, &v) == RSMI_STATUS_SUCCESS)
		gpu_sample_set(s, GPU_VRAM_TOTAL_BYTES, (double)v);
	if (b->rsmi_dev_pci_replay_counter_get(i, &v) == RSMI_STATUS_SUCCESS)
		gpu_sample_set(s, GPU_PCIE_REPLAY_TOTAL, (double)v);
	if (b->rsmi_dev_pci_throughput_get(i, &sent, &recv, &mps) == RSMI_STATUS_SUCCESS) {
		gpu_sample_set(s, GPU_PCIE_SENT, (double)sent);
		gpu_sample_set(s, GPU_PCIE_RECEIVED, (double)recv);
		gpu_sample_set(s, GPU_PCIE_MAX_PAYLOAD_BYTES, (double)mps);
	}
	sample_clock(b, i, RSMI_CLK_TYPE_SYS, GPU_SCLK_HZ, s);
	sample_clock(b, i, RSMI_CLK_TYPE_MEM, GPU_MCLK_HZ, s);
	for (int blk = 0; blk < GPU_ECC_BLOCKS; blk++) {
		rsmi_error_count_t ec;
		if (b->rsmi_dev_ecc_count_get(i, ecc_blocks[blk], &ec) == RSMI_STATUS_SUCCESS) {
			gpu_sample_set(s, GPU_ECC_CE(blk), (double)ec.correctable_err);
			gpu_sample_set(s, GPU_ECC_UE(blk), (double)ec.uncorrectable_err);
		}
	}
	if (has_hwmon(b, g->bdf))
		sample_hwmon(b, i, s);
	return 0;
}

const struct gpu_backend_ops gpu_rocmsmi_ops = {
	"rocm_smi", open_rsmi, list_rsmi, sample_rsmi, close_rsmi, events_start_rsmi,
	events_poll_rsmi,
};
