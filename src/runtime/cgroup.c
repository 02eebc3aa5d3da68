/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroups for the builtin runtime: v2 when /sys/fs/cgroup is cgroup2, else
 * the v1 controllers under /sys/fs/cgroup/<controller> (hybrid hosts keep
 * only leftovers like hugetlb in "unified").  A limit with no controller
 * to hold it is a warning the caller can make fatal, never a silent no-op.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/runtime.h"
#include "hardrun/util.h"
#include "rt.h"

#define CG_ROOT "/sys/fs/cgroup"
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static hr_rt_warn_fn warn_fn;
static void *warn_ctx;

void hr_rt_set_warn(hr_rt_warn_fn fn, void *ctx)
{
	warn_fn = fn;
	warn_ctx = ctx;
}

int hr_rt_warn(bool ok, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (warn_fn)
		warn_fn(warn_ctx, key, msg ? msg : key, ok);
	return ok ? 0 : -1;
}

/*
 * The v1 hierarchies a container may have a cgroup in.  The first
 * N_LIMITED hold its limits (the dirs[] of apply_v1(), see v1_needed());
 * devices, last, holds the device rules.
 */
static const char *v1_controllers[] = {"pids", "memory", "cpu", "cpuacct", "freezer", "devices"};
#define N_LIMITED 5
#define N_V1	  (sizeof(v1_controllers) / sizeof(v1_controllers[0]))
_Static_assert(N_V1 <= sizeof(((struct hr_rt_cgjoin *)0)->fd) / sizeof(int),
	       "struct hr_rt_cgjoin holds a tasks file per v1 hierarchy");

static bool is_v2(void)
{
	struct statfs st;
	return statfs(CG_ROOT, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static bool have_controller(const char *ctrl)
{
	char path[128];
	snprintf(path, sizeof(path), CG_ROOT "/%s/cgroup.procs", ctrl);
	return access(path, F_OK) == 0;
}

static int cg_write(const char *dir, const char *file, const char *value, struct hr_error **err)
{
	_cleanup_free_ char *path = hr_xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		return hr_error_set(err, errno, "write %s to %s", value, path);
	return 0;
}

static char *cg_dir(const char *ctrl, const char *path)
{
	return ctrl ? hr_xasprintf(CG_ROOT "/%s/%s", ctrl, path)
		    : hr_xasprintf(CG_ROOT "/%s", path);
}

static int limit_or_warn(bool ok, const char *dir, const char *file, const char *value,
			 const char *key, struct hr_error **err)
{
	if (!dir) {
		if (hr_rt_warn(ok, key, "%s not applied: no cgroup controller for it on this host",
			       key) < 0)
			return hr_error_set(err, 0,
					    "%s cannot be applied on this host and the policy does "
					    "not let the container start without it",
					    key);
		return 0;
	}
	return cg_write(dir, file, value, err);
}

int hr_rt_cgroup_apply_v1(const struct hr_rt_resources *r, char *dirs[], struct hr_error **err)
{
	char v[64];

	if (r->pids_limit) {
		snprintf(v, sizeof(v), r->pids_limit > 0 ? "%lld" : "max",
			 (long long)r->pids_limit);
		if (limit_or_warn(r->unapplied_ok, dirs[0], "pids.max", v, "resources/pids", err) <
		    0)
			return -1;
	}
	if (r->memory_limit) {
		snprintf(v, sizeof(v), "%lld", (long long)r->memory_limit);
		if (limit_or_warn(r->unapplied_ok, dirs[1], "memory.limit_in_bytes", v,
				  "resources/memory", err) < 0)
			return -1;
	}
	if (r->memory_reservation) {
		snprintf(v, sizeof(v), "%lld", (long long)r->memory_reservation);
		if (limit_or_warn(r->unapplied_ok, dirs[1], "memory.soft_limit_in_bytes", v,
				  "resources/memory/reservation", err) < 0)
			return -1;
	}
	if (r->memory_swap && dirs[1]) {
		_cleanup_free_ char *f = hr_xasprintf("%s/memory.memsw.limit_in_bytes", dirs[1]);
		snprintf(v, sizeof(v), "%lld", (long long)r->memory_swap);
		if (limit_or_warn(r->unapplied_ok, access(f, F_OK) == 0 ? dirs[1] : NULL,
				  "memory.memsw.limit_in_bytes", v, "resources/memory/swap",
				  err) < 0)
			return -1;
	}
	if (r->cpu_shares) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)r->cpu_shares);
		if (limit_or_warn(r->unapplied_ok, dirs[2], "cpu.shares", v, "resources/cpu", err) <
		    0)
			return -1;
	}
	/* period before quota: the kernel checks a quota against the period in force */
	if (r->cpu_period) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)r->cpu_period);
		if (limit_or_warn(r->unapplied_ok, dirs[2], "cpu.cfs_period_us", v, "resources/cpu",
				  err) < 0)
			return -1;
	}
	if (r->cpu_quota) {
		snprintf(v, sizeof(v), "%lld", (long long)r->cpu_quota);
		if (limit_or_warn(r->unapplied_ok, dirs[2], "cpu.cfs_quota_us", v, "resources/cpu",
				  err) < 0)
			return -1;
	}
	return 0;
}

/* cgroup2 files: the v1 values converted as runc converts them; cpu period
 * and quota are one write to cpu.max. */
/*
 * linux.resources.unified, last (runc's order): each key a file of the
 * container's own cgroup, never a path to another one.  A key the kernel
 * has no file for is an error naming it.
 */
static int apply_unified(char **kv, const char *dir, struct hr_error **err)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
		if (!kv[i][0] || strchr(kv[i], '/') || !strcmp(kv[i], ".") || !strcmp(kv[i], ".."))
			return hr_error_set(
			    err, 0, "linux.resources.unified: `%s` is not a cgroup file", kv[i]);
		if (cg_write(dir, kv[i], kv[i + 1], err) < 0)
			return hr_err_wrap(err, "linux.resources.unified.%s", kv[i]);
	}
	return 0;
}

int hr_rt_cgroup_apply_v2(const struct hr_rt_resources *r, const char *dir, struct hr_error **err)
{
	char v[64];

	if (r->pids_limit) {
		snprintf(v, sizeof(v), r->pids_limit > 0 ? "%lld" : "max",
			 (long long)r->pids_limit);
		if (cg_write(dir, "pids.max", v, err) < 0)
			return -1;
	}
	if (r->memory_limit) {
		snprintf(v, sizeof(v), r->memory_limit > 0 ? "%lld" : "max",
			 (long long)r->memory_limit);
		if (cg_write(dir, "memory.max", v, err) < 0)
			return -1;
	}
	if (r->memory_reservation) {
		snprintf(v, sizeof(v), r->memory_reservation > 0 ? "%lld" : "max",
			 (long long)r->memory_reservation);
		if (cg_write(dir, "memory.low", v, err) < 0)
			return -1;
	}
	if (r->cpu_shares) {
		/* the v1 -> v2 conversion runc and crun use */
		unsigned long long w = 1 + ((r->cpu_shares - 2) * 9999) / 262142;
		snprintf(v, sizeof(v), "%llu", w);
		if (cg_write(dir, "cpu.weight", v, err) < 0)
			return -1;
	}
	if (r->cpu_quota || r->cpu_period) {
		snprintf(v, sizeof(v), r->cpu_quota > 0 ? "%lld %llu" : "max %llu",
			 (long long)r->cpu_quota,
			 (unsigned long long)(r->cpu_period ? r->cpu_period : 100000));
		if (r->cpu_quota <= 0)
			snprintf(v, sizeof(v), "max %llu",
				 (unsigned long long)(r->cpu_period ? r->cpu_period : 100000));
		if (cg_write(dir, "cpu.max", v, err) < 0)
			return -1;
	}
	return apply_unified(r->unified, dir, err);
}

static int create_v2(const struct hr_rt_config *c, struct hr_error **err)
{
	_cleanup_free_ char *dir = cg_dir(NULL, c->cgroups_path);
	_cleanup_free_ char *parent = hr_xstrdup(dir);

	if (hr_mkdir_p(dir, 0755, err) < 0)
		return -1;
	*strrchr(parent, '/') = 0;
	/* Best effort, so the error is dropped on purpose: a controller the
	 * parent cannot delegate shows up when its limit is written
	 * (limit_or_warn), which fails closed. */
	struct hr_error *ignored = NULL;
	cg_write(parent, "cgroup.subtree_control", "+pids +memory +cpu", &ignored);
	hr_error_clear(&ignored);
	return 0;
}

static int limit_v2(const struct hr_rt_config *c, struct hr_error **err)
{
	_cleanup_free_ char *dir = cg_dir(NULL, c->cgroups_path);

	/* v2 device control is a BPF program on the cgroup: not done here, say so */
	if (hr_rt_warn(c->res.unapplied_ok, "resources/devices",
		       "device rules not applied on cgroup v2") < 0)
		return hr_error_set(err, 0,
				    "device rules cannot be applied on cgroup v2 and the policy "
				    "does not let the container start without them");
	return hr_rt_cgroup_apply_v2(&c->res, dir, err);
}

/*
 * v1 cgroups made at create: pids always (ps, kill --all, the pids limit),
 * memory and cpu only when the config limits them, freezer only when
 * `pause` needs it (see adopt()).
 */
static bool v1_needed(const struct hr_rt_resources *r, size_t i)
{
	switch (i) {
	case 0:
		return true;
	case 1:
		return r->memory_limit || r->memory_swap || r->memory_reservation;
	case 2:
		return r->cpu_shares || r->cpu_quota || r->cpu_period;
	default:
		return false;
	}
}

/*
 * Joining: the new process joins its cgroups itself, from files the
 * privileged parent opened (the kernel checks the opener's credentials).
 * On cgroup v1 it writes "0" to each `tasks` file: moving the writing
 * thread alone skips the global threadgroup rwsem, whose write side waits
 * out an RCU grace period when the pid of another
 * process is written to cgroup.procs.  The child is single-threaded, so the
 * thread is the whole process.  On v2, "0" to cgroup.procs.  Every
 * hierarchy in which the container's cgroup exists is joined.
 */
int hr_rt_cgroup_open_join(const char *path, struct hr_rt_cgjoin *j, struct hr_error **err)
{
	bool v2 = is_v2();

	j->n = 0;
	for (size_t i = 0; i < (v2 ? 1 : N_V1); i++) {
		_cleanup_free_ char *f =
		    v2 ? hr_xasprintf(CG_ROOT "/%s/cgroup.procs", path)
		       : hr_xasprintf(CG_ROOT "/%s/%s/tasks", v1_controllers[i], path);
		int fd = open(f, O_WRONLY | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT && !v2)
			continue;
		if (fd < 0) {
			hr_rt_cgroup_join_close(j);
			return hr_error_set(err, errno, "open %s", f);
		}
		j->fd[j->n++] = fd;
	}
	return 0;
}

int hr_rt_cgroup_join_self(const struct hr_rt_cgjoin *j)
{
	for (size_t i = 0; i < j->n; i++)
		if (write(j->fd[i], "0", 1) != 1)
			return -1;
	return 0;
}

void hr_rt_cgroup_join_close(struct hr_rt_cgjoin *j)
{
	for (size_t i = 0; i < j->n; i++)
		close(j->fd[i]);
	j->n = 0;
}

/*
 * The v1 devices controller: deny everything, then the config's rules in
 * order, then the nodes every container gets (runc's list).  Without it a
 * container root holding CAP_MKNOD outside a user namespace could make and
 * open any block device.
 */
static int apply_devices_v1(const char *dir, char **rules, struct hr_error **err)
{
	static const char *defaults[] = {
	    "c *:* m",	 "b *:* m",   "c 1:3 rwm", "c 1:8 rwm",	  "c 1:7 rwm",	  "c 5:0 rwm",
	    "c 1:5 rwm", "c 1:9 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
	};

	if (cg_write(dir, "devices.deny", "a", err) < 0)
		return -1;
	for (char **r = rules; r && *r; r++) {
		bool allow = strncmp(*r, "allow ", 6) == 0;
		if (cg_write(dir, allow ? "devices.allow" : "devices.deny", *r + (allow ? 6 : 5),
			     err) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (cg_write(dir, "devices.allow", defaults[i], err) < 0)
			return -1;
	return 0;
}

static int limit_devices_v1(const struct hr_rt_config *c, struct hr_error **err)
{
	_cleanup_free_ char *dir = NULL;

	if (!have_controller("devices")) {
		if (hr_rt_warn(c->res.unapplied_ok, "resources/devices",
			       "device rules not applied: no devices cgroup") < 0)
			return hr_error_set(err, 0,
					    "device rules cannot be applied on this host and the "
					    "policy does not let the container start without them");
		return 0;
	}
	dir = cg_dir("devices", c->cgroups_path);
	return apply_devices_v1(dir, c->res.device_rules, err);
}

/* The directories of the v1 controllers the container joins (NULL: not joined). */
static void v1_dirs(const struct hr_rt_config *c, char *dirs[N_LIMITED])
{
	for (size_t i = 0; i < N_LIMITED; i++)
		dirs[i] = v1_needed(&c->res, i) && have_controller(v1_controllers[i])
			      ? cg_dir(v1_controllers[i], c->cgroups_path)
			      : NULL;
}

static char *freezer_state(const char *path);

/* FROZEN or on its way there (v1 FREEZING; v2 cgroup.freeze set). */
static bool cgroup_freezing(const char *path)
{
	_cleanup_free_ char *s = NULL;

	if (is_v2())
		return hr_rt_cgroup_frozen(path);
	s = freezer_state(path);
	return s && strcmp(s, "THAWED") != 0;
}

/*
 * Two steps around the clone: the directories before it (the init joins
 * them first thing), the limits after it, while the init builds its rootfs
 * and before it may run anything of the container's.
 */
int hr_rt_cgroup_create(const struct hr_rt_config *c, struct hr_error **err)
{
	char *dirs[N_LIMITED];
	int r = 0;

	/* runc 1.1.5's validation: no v2 file names on a v1 host (nothing made) */
	if (!is_v2() && c->res.unified && c->res.unified[0])
		return hr_error_set(err, 0,
				    "invalid configuration: cannot use unified on cgroup v1");
	/* an existing frozen cgroup would stop the init as it joins, and
	 * create would wait for it forever: refuse, as runc does */
	if (cgroup_freezing(c->cgroups_path))
		return hr_error_set(err, EBUSY, "container's cgroup unexpectedly frozen");
	if (is_v2())
		return create_v2(c, err) < 0 ? hr_err_wrap(err, "cgroup") : 0;
	v1_dirs(c, dirs);
	for (size_t i = 0; i < N_LIMITED && r == 0; i++)
		if (dirs[i])
			r = hr_mkdir_p(dirs[i], 0755, err);
	if (r == 0 && have_controller("devices")) {
		_cleanup_free_ char *d = cg_dir("devices", c->cgroups_path);
		r = hr_mkdir_p(d, 0755, err);
	}
	for (size_t i = 0; i < N_LIMITED; i++)
		free(dirs[i]);
	return r < 0 ? hr_err_wrap(err, "cgroup") : 0;
}

int hr_rt_cgroup_limit(const struct hr_rt_config *c, struct hr_error **err)
{
	char *dirs[N_LIMITED];
	int r;

	if (is_v2())
		return limit_v2(c, err) < 0 ? hr_err_wrap(err, "cgroup") : 0;
	v1_dirs(c, dirs);
	r = hr_rt_cgroup_apply_v1(&c->res, dirs, err);
	if (r == 0)
		r = limit_devices_v1(c, err);
	for (size_t i = 0; i < N_LIMITED; i++)
		free(dirs[i]);
	return r < 0 ? hr_err_wrap(err, "cgroup") : 0;
}

int hr_rt_cgroup_pids(const char *path, pid_t **pids, size_t *n, struct hr_error **err)
{
	_cleanup_free_ char *d = cg_dir(is_v2() ? NULL : "pids", path);
	_cleanup_free_ char *f = hr_xasprintf("%s/cgroup.procs", d);
	_cleanup_fclose_ FILE *fp = fopen(f, "re");
	int pid;

	*pids = NULL;
	*n = 0;
	if (!fp)
		return hr_error_set(err, errno, "open %s", f);
	while (fscanf(fp, "%d", &pid) == 1) {
		*pids = hr_xrealloc(*pids, (*n + 1) * sizeof(pid_t));
		(*pids)[(*n)++] = pid;
	}
	return 0;
}

static char *freezer_state(const char *path)
{
	_cleanup_free_ char *f = hr_xasprintf(CG_ROOT "/freezer/%s/freezer.state", path);
	char buf[32] = "";
	_cleanup_close_ int fd = open(f, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n <= 0)
		return NULL;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return hr_xstrdup(buf);
}

/*
 * A controller the container did not join at create (freezer on pause, a
 * limit added by update): move every task of its pids cgroup in.  For the
 * freezer the target is already FROZEN, so tasks stop on arrival; a task
 * forked meanwhile shows up in the next pass, and frozen tasks fork no more.
 */
static int adopt(const char *path, const char *dir, struct hr_error **err)
{
	_cleanup_free_ char *procs = hr_xasprintf("%s/cgroup.procs", dir);

	for (int pass = 0; pass < 100; pass++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0, moved = 0;

		if (hr_rt_cgroup_pids(path, &pids, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			char line[64], pidtext[32];
			bool there = false;
			_cleanup_fclose_ FILE *fp = fopen(procs, "re");
			struct hr_error *e = NULL;

			while (fp && fgets(line, sizeof(line), fp))
				if (atoi(line) == pids[i])
					there = true;
			if (there)
				continue;
			snprintf(pidtext, sizeof(pidtext), "%d", (int)pids[i]);
			/* a task that exited meanwhile cannot be moved: fine */
			if (cg_write(dir, "cgroup.procs", pidtext, &e) == 0)
				moved++;
			hr_error_clear(&e);
		}
		if (moved == 0)
			return 0;
	}
	return hr_error_set(err, EAGAIN, "the container kept forking while joining %s", dir);
}

int hr_rt_cgroup_freeze(const char *path, bool freeze, struct hr_error **err)
{
	const char *want = freeze ? "FROZEN" : "THAWED";

	if (is_v2()) {
		_cleanup_free_ char *d = cg_dir(NULL, path);
		return cg_write(d, "cgroup.freeze", freeze ? "1" : "0", err);
	}
	if (!have_controller("freezer"))
		return hr_error_set(err, ENOTSUP, "no freezer cgroup on this host");
	{
		_cleanup_free_ char *d = cg_dir("freezer", path);
		if (freeze && hr_mkdir_p(d, 0755, err) < 0)
			return -1;
		if (cg_write(d, "freezer.state", want, err) < 0)
			return -1;
		if (freeze && adopt(path, d, err) < 0)
			return -1;
	}
	for (int i = 0; i < 1000; i++) {
		_cleanup_free_ char *s = freezer_state(path);
		if (s && strcmp(s, want) == 0)
			return 0;
		usleep(1000);
	}
	return hr_error_set(err, ETIMEDOUT, "freezer did not reach %s", want);
}

bool hr_rt_cgroup_frozen(const char *path)
{
	if (is_v2()) {
		_cleanup_free_ char *f = hr_xasprintf(CG_ROOT "/%s/cgroup.freeze", path);
		char c = 0;
		_cleanup_close_ int fd = open(f, O_RDONLY | O_CLOEXEC);
		return fd >= 0 && read(fd, &c, 1) == 1 && c == '1';
	}
	_cleanup_free_ char *s = freezer_state(path);
	return s && strcmp(s, "FROZEN") == 0;
}

/* Sub-cgroups first (a cgroup with children cannot go), deepest first. */
static void remove_tree(const char *dir, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *child = hr_xasprintf("%s/%s", dir, de->d_name);
		remove_tree(child, depth + 1);
	}
	if (d)
		closedir(d);
	/* the last tasks may still be exiting: a short retry */
	for (int k = 0; k < 100 && rmdir(dir) < 0 && errno == EBUSY; k++)
		usleep(1000);
}

void hr_rt_cgroup_remove(const char *path)
{
	if (!path)
		return;
	bool v2 = is_v2();

	for (size_t i = 0; i < (v2 ? 1 : N_V1); i++) {
		_cleanup_free_ char *d = cg_dir(v2 ? NULL : v1_controllers[i], path);
		remove_tree(d, 0);
	}
}

int hr_rt_cgroup_update(const char *path, const struct hr_rt_resources *r, struct hr_error **err)
{
	char *dirs[N_LIMITED] = {NULL};
	int ret = 0;

	if (is_v2()) {
		_cleanup_free_ char *d = cg_dir(NULL, path);
		return hr_rt_cgroup_apply_v2(r, d, err) < 0 ? hr_err_wrap(err, "cgroup") : 0;
	}
	for (size_t i = 0; i < 3 && ret == 0; i++) {
		struct stat st;
		bool fresh;

		if (!v1_needed(r, i) || !have_controller(v1_controllers[i]))
			continue;
		dirs[i] = cg_dir(v1_controllers[i], path);
		fresh = stat(dirs[i], &st) < 0;
		if (fresh && (ret = hr_mkdir_p(dirs[i], 0755, err)) == 0)
			ret = adopt(path, dirs[i], err);
	}
	if (ret == 0)
		ret = hr_rt_cgroup_apply_v1(r, dirs, err);
	for (size_t i = 0; i < N_LIMITED; i++)
		free(dirs[i]);
	return ret < 0 ? hr_err_wrap(err, "cgroup") : 0;
}
