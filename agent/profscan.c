/* profscan: the walk, the offers and the settle clock. */
#include "profscan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "files.h"

#define MAX_CANDIDATES 4096
#define MAX_OFFERS 256 /* each holds an fd */
#define OFFER_TRIES 3
#define WALK_MAX_ENTRIES 20000 /* per directory tree and pass */

struct cand {
	struct profscan_file f;
	int64_t stable_since;
	uint64_t seen_pass;
	bool reported;
};

/* A file a process opened, resolved while the process was there. */
struct offer {
	int pid;
	struct cgroup_pod pod;
	char *path;          /* absolute, inside the container */
	int rootfd;
	int tries;           /* passes that did not find it yet (O_CREAT races) */
};

struct profscan {
	struct profscan_config cfg;
	char **dirs;
	int ndirs;
	struct cand *cands;
	int ncands;
	uint64_t pass;
	int64_t now;
	pthread_mutex_t lock; /* offers only: everything else is the pass's thread's */
	struct offer *offers;
	int noffers;
	struct profscan_stats stats;
};

static const char *const suffixes[] = {".pt.trace.json", ".pt.trace.json.gz"};

bool profscan_is_trace_name(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

struct profscan *profscan_new(const struct profscan_config *cfg)
{
	struct profscan *ps = xcalloc(1, sizeof *ps);
	ps->cfg = *cfg;
	if (ps->cfg.max_depth <= 0)
		ps->cfg.max_depth = 4;
	char *copy = xstrdup(cfg->dirs ? cfg->dirs : ""), *save = NULL;
	for (char *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		ps->dirs = xrealloc(ps->dirs, sizeof(char *) * (size_t)(ps->ndirs + 1));
		ps->dirs[ps->ndirs++] = xstrdup(d);
	}
	free(copy);
	pthread_mutex_init(&ps->lock, NULL);
	return ps;
}

static void release_root(struct profscan_file *f)
{
	if (f->root_fd >= 0)
		close(f->root_fd);
	f->root_fd = -1;
}

static void drop_offer(struct offer *o)
{
	if (o->rootfd >= 0)
		close(o->rootfd);
	free(o->path);
}

void profscan_free(struct profscan *ps)
{
	if (!ps)
		return;
	for (int i = 0; i < ps->ndirs; i++)
		free(ps->dirs[i]);
	for (int i = 0; i < ps->noffers; i++)
		drop_offer(&ps->offers[i]);
	for (int i = 0; i < ps->ncands; i++)
		release_root(&ps->cands[i].f);
	free(ps->dirs);
	free(ps->offers);
	free(ps->cands);
	pthread_mutex_destroy(&ps->lock);
	free(ps);
}

/* Paths inside a process's root --------------------------------------------- */

static int open_root(const struct profscan *ps, int pid)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/proc/%d/root", ps->cfg.proc_root, pid);
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* path resolved as the process would, but never out of its root. */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	return fd < 0 ? -errno : fd;
}

/* The process's working directory as it sees it, or "" when gone. */
static void read_cwd(const struct profscan *ps, int pid, char *out, size_t len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/proc/%d/cwd", ps->cfg.proc_root, pid);
	ssize_t n = readlink(p, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	if (n > 0 && strstr(out, " (deleted)"))
		out[0] = '\0';
}

/* Candidates ---------------------------------------------------------------- */

static struct cand *find_cand(struct profscan *ps, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < ps->ncands; i++)
		if (ps->cands[i].f.dev == dev && ps->cands[i].f.ino == ino)
			return &ps->cands[i];
	return NULL;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* A trace file seen now: a new candidate, or a known one that changed
 * (its settle clock starts again) or did not. */
static void note(struct profscan *ps, int pid, const struct cgroup_pod *pod, const char *path,
		 const struct stat *st, int *rootfd)
{
	struct cand *c = find_cand(ps, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	if (!c) {
		if (ps->ncands >= MAX_CANDIDATES)
			return;
		ps->cands = xrealloc(ps->cands, sizeof *ps->cands * (size_t)(ps->ncands + 1));
		c = &ps->cands[ps->ncands++];
		memset(c, 0, sizeof *c);
		c->f.dev = (uint64_t)st->st_dev;
		c->f.ino = (uint64_t)st->st_ino;
		c->f.root_fd = -1;
		c->stable_since = ps->now;
	}
	if (rootfd && *rootfd >= 0 && c->f.root_fd < 0 && !c->reported) {
		c->f.root_fd = *rootfd; /* taken */
		*rootfd = -1;
	}
	if (c->f.size != (uint64_t)st->st_size || c->f.mtime_ns != mtime_ns(st)) {
		c->f.size = (uint64_t)st->st_size;
		c->f.mtime_ns = mtime_ns(st);
		c->stable_since = ps->now;
		c->reported = false;
	}
	c->f.pid = pid;
	c->f.pod = *pod;
	snprintf(c->f.path, sizeof c->f.path, "%s", path);
	c->seen_pass = ps->pass;
}

/* Walk ---------------------------------------------------------------------- */

struct walk {
	struct profscan *ps;
	int pid;
	const struct cgroup_pod *pod;
	int budget;
};

static void walk_dir(struct walk *w, int dfd, struct buf *path, int depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) && w->budget > 0) {
		w->budget--;
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		size_t keep = path->len;
		buf_printf(path, "%s%s", keep && path->p[keep - 1] == '/' ? "" : "/", de->d_name);
		if (S_ISREG(st.st_mode) && profscan_is_trace_name(de->d_name)) {
			note(w->ps, w->pid, w->pod, path->p, &st, NULL);
		} else if (S_ISDIR(st.st_mode) && depth < w->ps->cfg.max_depth) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk_dir(w, sub, path, depth + 1);
		}
		path->len = keep;
		path->p[keep] = '\0';
	}
	if (!w->budget)
		w->ps->stats.walk_limited++;
	closedir(d);
}

/* Each (container root, directory) once per pass, whichever of its
 * processes comes first. */
static bool first_visit(struct buf *seen, const struct stat *root, const char *dir)
{
	char key[PATH_MAX + 48];
	snprintf(key, sizeof key, "\n%llu:%llu:%s\n", (unsigned long long)root->st_dev,
		 (unsigned long long)root->st_ino, dir);
	if (seen->p && strstr(seen->p, key))
		return false;
	buf_printf(seen, "%s", key + (seen->len ? 1 : 0));
	return true;
}

static void scan_process(struct profscan *ps, int pid, const struct cgroup_pod *pod,
			 struct buf *seen)
{
	int rootfd = open_root(ps, pid);
	struct stat rst;
	if (rootfd < 0)
		return;
	if (fstat(rootfd, &rst) < 0) {
		close(rootfd);
		return;
	}
	for (int i = 0; i < ps->ndirs; i++) {
		char dir[PATH_MAX];
		if (strcmp(ps->dirs[i], ".") == 0) {
			read_cwd(ps, pid, dir, sizeof dir);
			if (strcmp(dir, "/") == 0) /* the whole container: not a working directory */
				continue;
		} else
			snprintf(dir, sizeof dir, "%s", ps->dirs[i]);
		if (!dir[0] || !first_visit(seen, &rst, dir))
			continue;
		int dfd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			continue;
		struct walk w = {ps, pid, pod, WALK_MAX_ENTRIES};
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s", dir);
		walk_dir(&w, dfd, &path, 0);
		buf_free(&path);
	}
	close(rootfd);
}

static int read_pod(const struct profscan *ps, int pid, struct cgroup_pod *pod)
{
	char p[PATH_MAX], *text;
	snprintf(p, sizeof p, "%s/proc/%d/cgroup", ps->cfg.proc_root, pid);
	int rc = files_read(p, 1 << 16, &text, NULL);
	if (rc)
		return rc;
	rc = cgroup_parse_proc(text, pod);
	free(text);
	return rc ? rc : (pod->in_pod && !pod->conmon ? 0 : -ENOENT);
}

static int scan_processes(struct profscan *ps)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/proc", ps->cfg.proc_root);
	DIR *d = opendir(p);
	if (!d)
		return -errno;
	struct buf seen = BUF_INIT;
	struct dirent *de;
	ps->stats.processes = 0;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int pid = atoi(de->d_name);
		struct cgroup_pod pod;
		if (read_pod(ps, pid, &pod))
			continue;
		ps->stats.processes++;
		if (ps->ndirs)
			scan_process(ps, pid, &pod, &seen);
	}
	closedir(d);
	buf_free(&seen);
	return 0;
}

/* Offers and files out of the walked directories ------------------------------ */

/* The regular file at path inside a root; 0 or -errno. */
static int stat_in_root(int rootfd, const char *path, struct stat *st)
{
	int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	int rc = fstat(fd, st) < 0 ? -errno : S_ISREG(st->st_mode) ? 0 : -EINVAL;
	close(fd);
	return rc;
}

/* Looks at a known file again: through the root it holds, else its
 * process's. -errno when it cannot. */
static int restat(struct profscan *ps, struct profscan_file *f)
{
	struct stat st;
	int rootfd = f->root_fd >= 0 ? f->root_fd : open_root(ps, f->pid);
	if (rootfd < 0)
		return rootfd;
	int rc = stat_in_root(rootfd, f->path, &st);
	if (rootfd != f->root_fd)
		close(rootfd);
	if (!rc) {
		struct profscan_file copy = *f; /* note may move the candidates */
		note(ps, copy.pid, &copy.pod, copy.path, &st, NULL);
	}
	return rc;
}

void profscan_offer(struct profscan *ps, int pid, const char *path)
{
	struct offer o = {.pid = pid, .rootfd = -1};
	char cwd[PATH_MAX] = "", full[PATH_MAX];
	if (read_pod(ps, pid, &o.pod))
		return;
	if (path[0] != '/')
		read_cwd(ps, pid, cwd, sizeof cwd);
	if ((path[0] != '/' && !cwd[0]) ||
	    (size_t)snprintf(full, sizeof full, "%s%s%s", cwd, cwd[0] ? "/" : "", path) >= sizeof full ||
	    (o.rootfd = open_root(ps, pid)) < 0)
		return;
	o.path = xstrdup(full);
	pthread_mutex_lock(&ps->lock);
	if (ps->noffers < MAX_OFFERS) {
		ps->offers = xrealloc(ps->offers, sizeof *ps->offers * (size_t)(ps->noffers + 1));
		ps->offers[ps->noffers++] = o;
		o.path = NULL, o.rootfd = -1;
	}
	pthread_mutex_unlock(&ps->lock);
	drop_offer(&o);
}

/* Offers become candidates once their file exists (an open with O_CREAT
 * is seen before the file is made); tried for a few passes. */
static void take_offers(struct profscan *ps)
{
	pthread_mutex_lock(&ps->lock);
	struct offer *offers = ps->offers;
	int n = ps->noffers, kept = 0;
	ps->offers = NULL;
	ps->noffers = 0;
	pthread_mutex_unlock(&ps->lock);
	for (int i = 0; i < n; i++) {
		struct offer *o = &offers[i];
		struct stat st;
		if (stat_in_root(o->rootfd, o->path, &st) == 0)
			note(ps, o->pid, &o->pod, o->path, &st, &o->rootfd);
		else if (++o->tries < OFFER_TRIES)
			offers[kept++] = *o, o = NULL;
		if (o)
			drop_offer(o);
	}
	pthread_mutex_lock(&ps->lock); /* the unfound wait for the next pass */
	for (int i = 0; i < kept && ps->noffers < MAX_OFFERS; i++) {
		ps->offers = xrealloc(ps->offers, sizeof *ps->offers * (size_t)(ps->noffers + 1));
		ps->offers[ps->noffers++] = offers[i];
		offers[i].path = NULL, offers[i].rootfd = -1;
	}
	pthread_mutex_unlock(&ps->lock);
	for (int i = 0; i < kept; i++)
		drop_offer(&offers[i]);
	free(offers);
}

/* A candidate the walk did not see: offered, or gone. Looked at again;
 * dropped when that fails. */
static void refresh_unseen(struct profscan *ps)
{
	for (int i = 0; i < ps->ncands;) {
		if (ps->cands[i].seen_pass != ps->pass)
			restat(ps, &ps->cands[i].f); /* may move cands */
		if (ps->cands[i].seen_pass == ps->pass) {
			i++;
		} else { /* gone, or replaced by another file (a new candidate) */
			release_root(&ps->cands[i].f);
			ps->cands[i] = ps->cands[--ps->ncands];
		}
	}
}

int profscan_pass(struct profscan *ps, int64_t now_ns,
		  void (*fn)(const struct profscan_file *f, void *arg), void *arg)
{
	ps->pass++;
	ps->now = now_ns;
	int rc = scan_processes(ps);
	if (rc)
		return rc;
	take_offers(ps);
	refresh_unseen(ps);
	int reported = 0;
	for (int i = 0; i < ps->ncands; i++) {
		struct cand *c = &ps->cands[i];
		if (c->reported || now_ns - c->stable_since < ps->cfg.settle_ns)
			continue;
		c->reported = true;
		fn(&c->f, arg);
		release_root(&c->f); /* from now on, through its process or the walk */
		reported++;
	}
	ps->stats.candidates = (uint64_t)ps->ncands;
	return reported;
}

int profscan_open(const struct profscan *ps, const struct profscan_file *f)
{
	int rootfd = f->root_fd >= 0 ? f->root_fd : open_root(ps, f->pid);
	if (rootfd < 0)
		return rootfd;
	int fd = open_in_root(rootfd, f->path, O_RDONLY | O_NOFOLLOW);
	if (rootfd != f->root_fd)
		close(rootfd);
	return fd;
}

void profscan_get_stats(struct profscan *ps, struct profscan_stats *out)
{
	*out = ps->stats;
}
