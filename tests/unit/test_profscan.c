/* profscan on a fake /proc: a pod process (its cgroup file, a root
 * directory, a working directory link), the walk, the settle clock,
 * symlinks that would leave the container, the depth limit, and a file
 * offered by the open tracking before it exists. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "files.h"
#include "profscan.h"

#define SETTLE 1000
#define POD_UID "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
#define CID "c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7"

struct fx {
	char dir[64];
	char root[PATH_MAX]; /* pid 100's root */
	struct profscan *ps;
	int nfound;
	struct profscan_file found[8];
	bool readable[8]; /* profscan_open worked during the call */
};

static void put(const char *path, const char *text)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(files_mkdir_p(dir, 0755), 0);
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void in_root(struct fx *f, const char *rel, const char *text)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s%s", f->root, rel);
	put(p, text);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char p[PATH_MAX];
	snprintf(f->dir, sizeof f->dir, "/tmp/lens-profscan.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root, sizeof f->root, "%s/proc/100/root", f->dir);
	snprintf(p, sizeof p, "%s/proc/100/cgroup", f->dir);
	put(p, "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	       "5a6b7c8d_9e0f_4a1b_8c2d_3e4f5a6b7c8d.slice/cri-containerd-" CID ".scope\n");
	snprintf(p, sizeof p, "%s/proc/100/cwd", f->dir);
	assert_int_equal(symlink("/work", p), 0);
	/* A process outside pods, working in the same place: never walked. */
	snprintf(p, sizeof p, "%s/proc/200/cgroup", f->dir);
	put(p, "0::/user.slice/session-1.scope\n");
	snprintf(p, sizeof p, "%s/proc/200/cwd", f->dir);
	assert_int_equal(symlink("/work", p), 0);
	in_root(f, "/work/prof/rank0.pt.trace.json", "{\"traceEvents\": []}");
	in_root(f, "/work/prof/notes.json", "{}");
	in_root(f, "/work/prof/a/b/c/found.pt.trace.json.gz", "x");
	in_root(f, "/work/prof/a/b/c/d/too-deep.pt.trace.json", "x");
	snprintf(p, sizeof p, "%s/work/escape", f->root);
	assert_int_equal(symlink("/", p), 0); /* the host's / if followed */
	snprintf(p, sizeof p, "%s/work/hostname.pt.trace.json", f->root);
	assert_int_equal(symlink("/etc/hostname", p), 0);
	struct profscan_config cfg = {f->dir, ".", SETTLE, 4};
	f->ps = profscan_new(&cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	profscan_free(f->ps);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc;
}

static void on_file(const struct profscan_file *file, void *arg)
{
	struct fx *f = arg;
	if (f->nfound >= 8)
		return;
	int fd = profscan_open(f->ps, file);
	f->readable[f->nfound] = fd >= 0;
	if (fd >= 0)
		close(fd);
	f->found[f->nfound] = *file;
	f->found[f->nfound++].root_fd = -1; /* valid during the call only */
}

static int pass(struct fx *f, int64_t now)
{
	f->nfound = 0;
	return profscan_pass(f->ps, now, on_file, f);
}

static const struct profscan_file *found(struct fx *f, const char *path)
{
	for (int i = 0; i < f->nfound; i++)
		if (strcmp(f->found[i].path, path) == 0)
			return &f->found[i];
	return NULL;
}

static void test_names(void **state)
{
	(void)state;
	assert_true(profscan_is_trace_name("rank0.pt.trace.json"));
	assert_true(profscan_is_trace_name("host_1.1700000000.pt.trace.json.gz"));
	assert_false(profscan_is_trace_name(".pt.trace.json"));
	assert_false(profscan_is_trace_name("rank0.trace.json"));
	assert_false(profscan_is_trace_name("rank0.pt.trace.json.tmp"));
}

/* Reported once it stopped changing for the settle time, once a version;
 * inside the container only, as deep as the limit. */
static void test_walk_and_settle(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pass(f, 0), 0);
	assert_int_equal(pass(f, SETTLE - 1), 0);
	assert_int_equal(pass(f, SETTLE), 2);
	const struct profscan_file *r = found(f, "/work/prof/rank0.pt.trace.json");
	assert_non_null(r);
	assert_string_equal(r->pod.pod_uid, POD_UID);
	assert_string_equal(r->pod.container_id, CID);
	assert_int_equal(r->pid, 100);
	assert_int_equal(r->size, strlen("{\"traceEvents\": []}"));
	assert_non_null(found(f, "/work/prof/a/b/c/found.pt.trace.json.gz"));
	/* Readable through the process's root. */
	int fd = profscan_open(f->ps, r);
	assert_true(fd >= 0);
	char buf[8] = "";
	assert_int_equal(read(fd, buf, 7), 7);
	assert_memory_equal(buf, "{\"trace", 7);
	close(fd);
	struct profscan_stats st;
	profscan_get_stats(f->ps, &st);
	assert_int_equal(st.processes, 1);
	assert_int_equal(st.candidates, 2); /* not the symlinked, the too deep, the host's */

	assert_int_equal(pass(f, 2 * SETTLE), 0); /* once */
	in_root(f, "/work/prof/rank0.pt.trace.json", " ");
	assert_int_equal(pass(f, 3 * SETTLE), 0); /* changed: its clock starts again */
	assert_int_equal(pass(f, 4 * SETTLE - 1), 0);
	assert_int_equal(pass(f, 4 * SETTLE), 1);
	assert_int_equal(found(f, "/work/prof/rank0.pt.trace.json")->size,
			 strlen("{\"traceEvents\": []} "));
	/* Deleted: forgotten. */
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/work/prof/rank0.pt.trace.json", f->root);
	unlink(p);
	pass(f, 5 * SETTLE);
	profscan_get_stats(f->ps, &st);
	assert_int_equal(st.candidates, 1);
}

/* The open tracking offers a path outside the walked directories before
 * the file exists (openat with O_CREAT is seen first); it is found in a
 * later pass and reported like any other. */
static void test_offer(void **state)
{
	struct fx *f = *state;
	profscan_offer(f->ps, 100, "/elsewhere/step5.pt.trace.json");
	profscan_offer(f->ps, 100, "../elsewhere/relative.pt.trace.json"); /* from /work */
	profscan_offer(f->ps, 200, "/elsewhere/host.pt.trace.json");   /* not a pod's */
	assert_int_equal(pass(f, 0), 0);
	in_root(f, "/elsewhere/step5.pt.trace.json", "{}");
	in_root(f, "/elsewhere/relative.pt.trace.json", "{}");
	in_root(f, "/elsewhere/host.pt.trace.json", "{}");
	assert_int_equal(pass(f, 1), 0);
	assert_int_equal(pass(f, 1 + SETTLE), 4); /* with the walk's two */
	assert_non_null(found(f, "/elsewhere/step5.pt.trace.json"));
	const struct profscan_file *r = found(f, "/work/../elsewhere/relative.pt.trace.json");
	assert_non_null(r);
	for (int i = 0; i < f->nfound; i++)
		assert_true(f->readable[i]);
	assert_null(found(f, "/elsewhere/host.pt.trace.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_walk_and_settle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offer, setup, teardown),
	};
	return cmocka_run_group_tests_name("profscan", tests, NULL, NULL);
}
