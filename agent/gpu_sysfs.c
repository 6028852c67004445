/* gpu_sysfs: the amdgpu sysfs backend. Reads the same files ROCm SMI reads
 * (see tests/fixtures/fakegpu/FILES.md), with the same rules for which
 * cards count (vendor 0x1002 with a vbios_version, in card-number order),
 * so both backends report the same devices with the same values. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "buf.h"
#include "gpu.h"
#include "sysfs.h"

#define MAX_CARDS 64

static const char *const temp_labels[] = {"edge", "junction", "mem"};

struct card {
	int number;
	char dev[PATH_MAX];   /* .../class/drm/cardN/device */
	char hwmon[PATH_MAX]; /* "" without an amdgpu hwmon */
	struct sysfs_dir devd, hwmond; /* both, with their files kept open */
	int temp_index[3];    /* tempK_input for edge, junction, mem; 0 = none */
	struct gpu_info info;
};

struct gpu_backend {
	char root[PATH_MAX];
	struct card cards[MAX_CARDS];
	int n;
};

/* Always usable: a node without /sys/class/drm simply lists no GPUs. */
static int open_sysfs(const char *root, struct gpu_backend **out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct gpu_backend *b = xcalloc(1, sizeof *b);
	snprintf(b->root, sizeof b->root, "%s", root ? root : "");
	*out = b;
	return 0;
}

int gpu_sysfs_find_hwmon(const char *dev, char *out, size_t len)
{
	char path[PATH_MAX + 64], name[64];
	snprintf(path, sizeof path, "%s/hwmon", dev);
	DIR *d = opendir(path);
	int rc = -ENOENT;
	struct dirent *de;
	while (d && rc && (de = readdir(d))) {
		if (strncmp(de->d_name, "hwmon", 5) != 0)
			continue;
		snprintf(path, sizeof path, "%s/hwmon/%s/name", dev, de->d_name);
		if (sysfs_read_str(path, name, sizeof name) == 0 && strcmp(name, "amdgpu") == 0) {
			snprintf(out, len, "%s/hwmon/%s", dev, de->d_name);
			rc = 0;
		}
	}
	if (d)
		closedir(d);
	return rc;
}

/* Finds the amdgpu hwmon and which tempK is edge, junction and mem. */
static void find_hwmon(struct card *c)
{
	char path[PATH_MAX + 64], name[64];
	if (gpu_sysfs_find_hwmon(c->dev, c->hwmon, sizeof c->hwmon))
		c->hwmon[0] = '\0';
	for (int k = 1; c->hwmon[0] && k <= 7; k++) {
		snprintf(path, sizeof path, "%s/temp%d_label", c->hwmon, k);
		if (sysfs_read_str(path, name, sizeof name))
			continue;
		for (int t = 0; t < 3; t++)
			if (strcmp(name, temp_labels[t]) == 0)
				c->temp_index[t] = k;
	}
	c->info.has_hwmon = c->hwmon[0] != '\0';
}

static int find_render_minor(const struct card *c)
{
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s/drm", c->dev);
	DIR *d = opendir(path);
	int minor = -1;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (sscanf(de->d_name, "renderD%d", &minor) == 1)
			break;
	if (d)
		closedir(d);
	return minor;
}

static void read_str_attr(const struct card *c, const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", c->dev, name);
	if (sysfs_read_str(path, out, len))
		out[0] = '\0';
}

/* The amdgpu module version, or the kernel's when amdgpu is built in. */
static void driver_version(const char *root, char *out, size_t len)
{
	char path[PATH_MAX];
	if (sysfs_read_str(sysfs_path(path, sizeof path, root, "/sys/module/amdgpu/version"), out,
			   len) == 0)
		return;
	struct utsname u;
	uname(&u);
	snprintf(out, len, "%s", u.release);
}

/* Fills c->info; returns false for a card that is not a monitorable AMD GPU. */
static bool describe(struct gpu_backend *b, struct card *c)
{
	char path[PATH_MAX + 64];
	uint64_t v;
	snprintf(path, sizeof path, "%s/vendor", c->dev);
	if (sysfs_read_hex(path, &v) || v != 0x1002)
		return false;
	snprintf(path, sizeof path, "%s/vbios_version", c->dev);
	if (!sysfs_exists(path))
		return false;
	struct gpu_info *g = &c->info;
	g->vendor_id = (unsigned)v;
	if (sysfs_link_name(c->dev, g->bdf, sizeof g->bdf))
		return false;
	snprintf(path, sizeof path, "%s/device", c->dev);
	if (!sysfs_read_hex(path, &v))
		g->device_id = (unsigned)v;
	snprintf(path, sizeof path, "%s/unique_id", c->dev);
	if (!sysfs_read_hex(path, &v))
		snprintf(g->unique_id, sizeof g->unique_id, "0x%llx", (unsigned long long)v);
	read_str_attr(c, "serial_number", g->serial, sizeof g->serial);
	g->serial[strcspn(g->serial, " \t")] = '\0'; /* ROCm SMI keeps the first token */
	read_str_attr(c, "product_name", g->product, sizeof g->product);
	read_str_attr(c, "vbios_version", g->vbios, sizeof g->vbios);
	driver_version(b->root, g->driver_version, sizeof g->driver_version);
	snprintf(path, sizeof path, "%s/mem_info_vram_total", c->dev);
	sysfs_read_u64(path, &g->vram_total_bytes);
	g->render_minor = find_render_minor(c);
	find_hwmon(c);
	sysfs_dir_open(&c->devd, c->dev);
	if (c->hwmon[0])
		sysfs_dir_open(&c->hwmond, c->hwmon);
	return true;
}

static void close_cards(struct gpu_backend *b)
{
	for (int i = 0; i < b->n; i++) {
		sysfs_dir_close(&b->cards[i].devd);
		sysfs_dir_close(&b->cards[i].hwmond);
	}
	b->n = 0;
}

static int card_cmp(const void *a, const void *b)
{
	return ((const struct card *)a)->number - ((const struct card *)b)->number;
}

static int list_sysfs(struct gpu_backend *b, struct gpu_info *out, int max)
{
	char path[PATH_MAX];
	close_cards(b);
	DIR *d = opendir(sysfs_path(path, sizeof path, b->root, "/sys/class/drm"));
	if (!d)
		return 0;
	struct dirent *de;
	int number;
	char rest;
	while ((de = readdir(d)) && b->n < MAX_CARDS) {
		if (sscanf(de->d_name, "card%d%c", &number, &rest) != 1)
			continue; /* connectors such as card0-DP-1 */
		struct card *c = &b->cards[b->n];
		memset(c, 0, sizeof *c);
		c->devd.dirfd = c->hwmond.dirfd = -1;
		c->number = number;
		snprintf(c->dev, sizeof c->dev, "%s/%s/device", path, de->d_name);
		b->n++;
	}
	closedir(d);
	qsort(b->cards, (size_t)b->n, sizeof b->cards[0], card_cmp);
	int kept = 0;
	for (int i = 0; i < b->n; i++) {
		if (!describe(b, &b->cards[i]))
			continue; /* describe opened nothing */
		b->cards[i].info.index = kept;
		b->cards[kept++] = b->cards[i];
	}
	b->n = kept;
	for (int i = 0; i < kept && i < max; i++)
		out[i] = b->cards[i].info;
	return kept < max ? kept : max;
}

static struct card *find_card(struct gpu_backend *b, const char *bdf)
{
	for (int i = 0; i < b->n; i++)
		if (strcmp(b->cards[i].info.bdf, bdf) == 0)
			return &b->cards[i];
	return NULL;
}

/* Reads d/name as an unsigned number into metric m, times scale. */
static void read_metric(struct gpu_sample *s, int m, struct sysfs_dir *d, const char *name,
			double scale)
{
	uint64_t v;
	if (sysfs_read_u64_at(d, name, &v) == 0)
		gpu_sample_set(s, m, (double)v * scale);
}

/* The current level of a pp_dpm_* table ("2: 1700Mhz *"), in Hz. */
static void read_clock(struct gpu_sample *s, int m, struct card *c, const char *name)
{
	char text[2048], *save = NULL;
	if (sysfs_read_text_at(&c->devd, name, text, sizeof text))
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned level;
		double mhz;
		if (strchr(line, '*') && sscanf(line, "%u: %lf", &level, &mhz) == 2) {
			gpu_sample_set(s, m, mhz * 1e6);
			break;
		}
	}
}

static void read_pcie_bw(struct gpu_sample *s, struct card *c)
{
	char line[128];
	unsigned long long sent, recv, mps;
	if (sysfs_read_str_at(&c->devd, "pcie_bw", line, sizeof line) == 0 &&
	    sscanf(line, "%llu %llu %llu", &sent, &recv, &mps) == 3) {
		gpu_sample_set(s, GPU_PCIE_SENT, (double)sent);
		gpu_sample_set(s, GPU_PCIE_RECEIVED, (double)recv);
		gpu_sample_set(s, GPU_PCIE_MAX_PAYLOAD_BYTES, (double)mps);
	}
}

static void read_ecc(struct gpu_sample *s, struct card *c)
{
	static const char *const files[GPU_ECC_BLOCKS] = {
		"umc", "sdma", "gfx", "mmhub", "pcie_bif", "hdp", "xgmi_wafl"};
	char name[64];
	for (int blk = 0; blk < GPU_ECC_BLOCKS; blk++) {
		uint64_t ce, ue;
		snprintf(name, sizeof name, "ras/%s_err_count", files[blk]);
		if (sysfs_read_field_at(&c->devd, name, "ce", &ce) == 0)
			gpu_sample_set(s, GPU_ECC_CE(blk), (double)ce);
		if (sysfs_read_field_at(&c->devd, name, "ue", &ue) == 0)
			gpu_sample_set(s, GPU_ECC_UE(blk), (double)ue);
	}
}

static void read_hwmon(struct gpu_sample *s, struct card *c)
{
	char name[32];
	static const int metric[3] = {GPU_TEMP_EDGE_C, GPU_TEMP_JUNCTION_C, GPU_TEMP_MEM_C};
	for (int t = 0; t < 3; t++) {
		if (!c->temp_index[t])
			continue;
		snprintf(name, sizeof name, "temp%d_input", c->temp_index[t]);
		read_metric(s, metric[t], &c->hwmond, name, 1e-3);
	}
	read_metric(s, GPU_POWER_W, &c->hwmond, "power1_average", 1e-6);
	if (!gpu_sample_has(s, GPU_POWER_W))
		read_metric(s, GPU_POWER_W, &c->hwmond, "power1_input", 1e-6);
}

static int sample_sysfs(struct gpu_backend *b, const struct gpu_info *g, struct gpu_sample *s)
{
	struct card *c = find_card(b, g->bdf);
	memset(s, 0, sizeof *s);
	char vendor[16];
	/* A removed device's directory handle stays open but reads fail. */
	if (!c || sysfs_read_str_at(&c->devd, "vendor", vendor, sizeof vendor))
		return -ENODEV;
	read_metric(s, GPU_BUSY_PERCENT, &c->devd, "gpu_busy_percent", 1);
	read_metric(s, GPU_MEM_BUSY_PERCENT, &c->devd, "mem_busy_percent", 1);
	read_metric(s, GPU_VRAM_USED_BYTES, &c->devd, "mem_info_vram_used", 1);
	read_metric(s, GPU_VRAM_TOTAL_BYTES, &c->devd, "mem_info_vram_total", 1);
	read_metric(s, GPU_PCIE_REPLAY_TOTAL, &c->devd, "pcie_replay_count", 1);
	read_clock(s, GPU_SCLK_HZ, c, "pp_dpm_sclk");
	read_clock(s, GPU_MCLK_HZ, c, "pp_dpm_mclk");
	read_pcie_bw(s, c);
	read_ecc(s, c);
	if (c->hwmon[0])
		read_hwmon(s, c);
	/* A busy percentage above 100 is the driver's garbage, as ROCm SMI
	 * says (UNEXPECTED_DATA): leave it out rather than report it. */
	if (gpu_sample_has(s, GPU_BUSY_PERCENT) && s->v[GPU_BUSY_PERCENT] > 100)
		s->present &= ~(1ULL << GPU_BUSY_PERCENT);
	return 0;
}

static void close_sysfs(struct gpu_backend *b)
{
	close_cards(b);
	free(b);
}

const struct gpu_backend_ops gpu_sysfs_ops = {
	"sysfs", open_sysfs, list_sysfs, sample_sysfs, close_sysfs, NULL, NULL,
};
