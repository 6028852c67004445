/* framework: marker tables and the WandB evidence rules. */
#include "framework.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"

static const struct {
	const char *name;
	const char *canonical;
	bool wrapper;
} known[] = {
	{"primus", "primus", true},
	{"lightning", "lightning", true},
	{"pytorch_lightning", "lightning", true},
	{"pytorch-lightning", "lightning", true},
	{"pytorch lightning", "lightning", true},
	{"transformers_trainer", "transformers_trainer", true},
	{"transformers trainer", "transformers_trainer", true},
	{"trainer", "transformers_trainer", true},
	{"megatron", "megatron", false},
	{"megatron-lm", "megatron", false},
	{"megatron_lm", "megatron", false},
	{"deepspeed", "deepspeed", false},
	{"jax", "jax", false},
	{"transformers", "transformers", false},
};

const char *framework_canonical(const char *name, int *wrapper)
{
	for (size_t i = 0; name && i < sizeof known / sizeof known[0]; i++)
		if (strcasecmp(name, known[i].name) == 0) {
			*wrapper = known[i].wrapper;
			return known[i].canonical;
		}
	return NULL;
}

/* Log markers: text the frameworks print when they start. */
static const struct {
	const char *text;
	const char *wrapper, *base;
	double confidence;
} markers[] = {
	{"Primus", "primus", "", 0.7},
	{"primus.", "primus", "", 0.7},
	{"megatron.", "", "megatron", 0.7},
	{"Megatron", "", "megatron", 0.7},
	{"DeepSpeed", "", "deepspeed", 0.7},
	{"deepspeed.", "", "deepspeed", 0.7},
	{"lightning.pytorch", "lightning", "", 0.7},
	{"pytorch_lightning", "lightning", "", 0.7},
	{"***** Running training *****", "transformers_trainer", "transformers", 0.7},
	{"jaxlib", "", "jax", 0.6},
	{"jax._src", "", "jax", 0.6},
};

#define NMARKERS (sizeof markers / sizeof markers[0])

/* A byte that starts no marker is skipped after one table lookup. */
static bool first[256];
static pthread_once_t first_once = PTHREAD_ONCE_INIT;

static void first_init(void)
{
	for (size_t m = 0; m < NMARKERS; m++)
		first[(unsigned char)markers[m].text[0]] = true;
}

static void set(struct framework_det *out, const char *wrapper, const char *base, double conf,
		const char *method)
{
	if (!*out->wrapper)
		out->wrapper = wrapper;
	if (!*out->base)
		out->base = base;
	if (conf > out->confidence) {
		out->confidence = conf;
		out->method = method;
	}
}

static void reset(struct framework_det *out)
{
	memset(out, 0, sizeof *out);
	out->wrapper = out->base = out->method = "";
}

int framework_from_line(const char *line, size_t len, struct framework_det *out)
{
	pthread_once(&first_once, first_init);
	reset(out);
	for (size_t i = 0; i < len; i++) {
		if (!first[(unsigned char)line[i]])
			continue;
		for (size_t m = 0; m < NMARKERS; m++) {
			size_t n = strlen(markers[m].text);
			if (markers[m].text[0] == line[i] && n <= len - i &&
			    memcmp(line + i, markers[m].text, n) == 0) {
				set(out, markers[m].wrapper, markers[m].base, markers[m].confidence,
				    "log_pattern");
				if (!out->evidence[0])
					snprintf(out->evidence, sizeof out->evidence, "%s", markers[m].text);
			}
		}
	}
	return out->confidence > 0;
}

/* Each name under obj whose member "detected" is true, or that is true
 * itself (detected_modules: {"megatron": true}). */
static void detected(const json_t *obj, struct framework_det *out, double conf,
		     const char *method)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)obj, name, v) {
		int wrapper;
		const char *c = framework_canonical(name, &wrapper);
		bool on = json_is_true(v) || json_is_true(json_object_get(v, "detected"));
		if (!c || !on)
			continue;
		set(out, wrapper ? c : "", wrapper ? "" : c, conf, method);
		if (!out->evidence[0])
			snprintf(out->evidence, sizeof out->evidence, "%s.%s", method, name);
	}
}

/* A name given as a value (config.framework = "primus"). */
static void named(const char *value, struct framework_det *out, double conf, const char *method,
		  const char *why)
{
	int wrapper;
	const char *c = framework_canonical(value, &wrapper);
	if (!c)
		return;
	set(out, wrapper ? c : "", wrapper ? "" : c, conf, method);
	if (!out->evidence[0])
		snprintf(out->evidence, sizeof out->evidence, "%s=%s", why, value);
}

static const struct {
	const char *var, *framework;
} env_vars[] = {
	{"PRIMUS_CONFIG", "primus"},      {"PRIMUS_BACKEND", "primus"},
	{"DEEPSPEED_CONFIG", "deepspeed"}, {"DS_CONFIG", "deepspeed"},
	{"MEGATRON_CONFIG", "megatron"},  {"MEGATRON_LM_PATH", "megatron"},
	{"JAX_BACKEND", "jax"},           {"JAX_PLATFORMS", "jax"},
};

static void from_env(const json_t *env, struct framework_det *out)
{
	for (size_t i = 0; env && i < sizeof env_vars / sizeof env_vars[0]; i++)
		if (json_object_get(env, env_vars[i].var))
			named(env_vars[i].framework, out, 0.8, "env", env_vars[i].var);
	/* PRIMUS_BACKEND=megatron names the base under Primus. */
	named(jsonx_str(env, "PRIMUS_BACKEND"), out, 0.8, "env", "PRIMUS_BACKEND");
}

static void from_project(const char *project, struct framework_det *out)
{
	char low[128];
	size_t n = 0;
	for (; project[n] && n < sizeof low - 1; n++)
		low[n] = (char)tolower((unsigned char)project[n]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i].name) > 3 && strstr(low, known[i].name))
			named(known[i].name, out, 0.5, "project", "wandb.project");
}

static void from_hints(const json_t *hints, struct framework_det *out)
{
	const char *c = jsonx_str(hints, "confidence");
	double conf = strcmp(c, "high") == 0 ? 0.6 : strcmp(c, "medium") == 0 ? 0.45 : 0.3;
	const char *keys[] = {"wrapper_frameworks", "base_frameworks"};
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(hints, keys[k]), i, v)
			named(json_string_value(v), out, conf, "hints", keys[k]);
	}
}

int framework_from_wandb(const json_t *report, struct framework_det *out)
{
	const json_t *ev = json_object_get(report, "evidence");
	const json_t *wandb = json_object_get(ev, "wandb");
	const json_t *config = json_object_get(wandb, "config");
	reset(out);
	/* Strongest first; a later rule only fills a layer still empty. */
	detected(json_object_get(ev, "wrapper_frameworks"), out, 0.9, "import");
	detected(json_object_get(ev, "base_frameworks"), out, 0.9, "import");
	from_env(json_object_get(ev, "environment"), out);
	named(jsonx_str(config, "framework"), out, 0.7, "wandb_config", "config.framework");
	named(jsonx_str(config, "base_framework"), out, 0.7, "wandb_config", "config.base_framework");
	named(jsonx_str(config, "trainer"), out, 0.7, "wandb_config", "config.trainer");
	detected(json_object_get(json_object_get(ev, "pytorch"), "detected_modules"), out, 0.6,
		 "modules");
	from_project(jsonx_str(wandb, "project"), out);
	from_hints(json_object_get(report, "hints"), out);
	return out->confidence > 0;
}

/* Command-line markers: in any argument, lowercase. */
static const struct {
	const char *text;
	const char *wrapper, *base;
} argv_markers[] = {
	{"primus", "primus", ""},         {"megatron", "", "megatron"},
	{"pretrain_gpt", "", "megatron"}, {"pretrain_llama", "", "megatron"},
	{"deepspeed", "", "deepspeed"},   {"lightning", "lightning", ""},
};

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* torchrun, deepspeed, or python -m <a launcher module>. */
static bool launcher(const json_t *argv)
{
	static const char *const bins[] = {"torchrun", "deepspeed"};
	static const char *const modules[] = {"torch.distributed.run", "torch.distributed.launch",
					      "deepspeed.launcher.runner"};
	const char *prog = basename_of(json_string_value(json_array_get(argv, 0)));
	for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++)
		if (strcmp(prog, bins[i]) == 0)
			return true;
	for (size_t i = 1; i + 1 < json_array_size(argv); i++) {
		const char *arg = json_string_value(json_array_get(argv, i));
		if (!arg || strcmp(arg, "-m") != 0)
			continue;
		const char *m = json_string_value(json_array_get(argv, i + 1));
		for (size_t k = 0; m && k < sizeof modules / sizeof modules[0]; k++)
			if (strcmp(m, modules[k]) == 0)
				return true;
	}
	return false;
}

int framework_from_argv(const json_t *argv, struct framework_det *out)
{
	reset(out);
	if (!json_is_array(argv) || !json_is_string(json_array_get(argv, 0)))
		return 0;
	size_t i;
	json_t *a;
	json_array_foreach(argv, i, a) {
		char low[256];
		const char *v = json_string_value(a);
		size_t n = 0;
		for (; v && v[n] && n < sizeof low - 1; n++)
			low[n] = (char)tolower((unsigned char)v[n]);
		low[n] = '\0';
		for (size_t m = 0; m < sizeof argv_markers / sizeof argv_markers[0]; m++)
			if (strstr(low, argv_markers[m].text)) {
				set(out, argv_markers[m].wrapper, argv_markers[m].base, 0.8, "cmdline");
				if (!out->evidence[0])
					snprintf(out->evidence, sizeof out->evidence, "%s", v);
			}
	}
	const char *prog = basename_of(json_string_value(json_array_get(argv, 0)));
	return launcher(argv) || (strncmp(prog, "python", 6) == 0 && out->confidence > 0);
}
