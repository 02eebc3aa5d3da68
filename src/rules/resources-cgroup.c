/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resources rule's cgroup half: linux.cgroupsPath must name a cgroup of
 * the container's own (runc writes the container's limits into whatever
 * cgroup it names: another container's loses its pids.max), and
 * linux.resources.unified keys are held to the profile like their v1
 * equivalents (on a cgroup v2 host runc writes them after, and over, the
 * v1-style fields).  Facts are read from the host's cgroup file systems
 * with openat2 (no symlinks, never above the hierarchy's root); the
 * decisions over them are pure (hr_cgroup_verdict, hr_unified_verdict).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/path.h"
#include "hardrun/rules-resources.h"
#include "hardrun/util.h"

const char *hr_cgroup_verdict(const struct hr_cgroup_facts *f)
{
	if (f->is_root)
		return "names the root cgroup, not one of the container's own";
	if (f->tasks > 0)
		return "names an existing cgroup with tasks (another container's, or the host's): "
		       "its limits would become this container's";
	if (f->under_tasks)
		return "lies beneath an existing cgroup with tasks (another container's): the new "
		       "cgroup would count against that cgroup's limits";
	return NULL;
}

/* Controllers a unified key may name (the file's prefix); cgroup.* never. */
static const char *const unified_ok[] = {"cpu",	    "cpuset", "io",   "memory", "pids",
					 "hugetlb", "rdma",   "misc", NULL};

static bool parse_limit(const char *v, int64_t *out)
{
	char *end = NULL;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || (*end && *end != '\n') || n < 0)
		return false;
	*out = n;
	return true;
}

const char *hr_unified_verdict(const char *key, const char *value, int64_t pids_max,
			       int64_t memory_max, char fix[32])
{
	const char *dot = strchr(key, '.');
	size_t n = dot ? (size_t)(dot - key) : 0;
	bool known = false;
	int64_t v = 0, max = -1;

	fix[0] = '\0';
	if (!dot || !dot[1] || key[0] == '.' || strchr(key, '/'))
		return "not a cgroup interface file name";
	for (size_t i = 0; unified_ok[i] && !known; i++)
		known = strlen(unified_ok[i]) == n && strncmp(key, unified_ok[i], n) == 0;
	if (!known)
		return "not a resource controller's file (cgroup.* and unknown controllers are "
		       "not the container's to set)";
	if (strcmp(key, "pids.max") == 0)
		max = pids_max;
	else if (memory_max > 0 &&
		 (strcmp(key, "memory.max") == 0 || strcmp(key, "memory.swap.max") == 0 ||
		  strcmp(key, "memory.min") == 0 || strcmp(key, "memory.low") == 0))
		max = memory_max;
	if (max < 0)
		return NULL;
	if (parse_limit(value, &v) && v <= max && (v > 0 || strcmp(key, "pids.max") != 0))
		return NULL;
	snprintf(fix, 32, "%" PRId64, max);
	return strcmp(key, "pids.max") == 0 ? "pids.max above the profile's pids limit"
					    : "memory file above the profile's memory limit";
}

/* runc's systemd form "slice:prefix:name" as a cgroupfs path, or NULL. */
static char *systemd_path(const char *cg)
{
	const char *c1 = strchr(cg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	_cleanup_free_ char *slice = NULL, *out = NULL;

	if (!c2 || strchr(c2 + 1, ':'))
		return NULL;
	slice = c1 == cg ? hr_xstrdup("system.slice") : hr_xasprintf("%.*s", (int)(c1 - cg), cg);
	out = hr_xstrdup("");
	/* "a-b-c.slice" lives in a.slice/a-b.slice/a-b-c.slice */
	for (char *d = slice; (d = strchr(d, '-')); d++) {
		char *t = hr_xasprintf("%s/%.*s.slice", out, (int)(d - slice), slice);
		free(out);
		out = t;
	}
	const char *name = c2 + 1;
	size_t nl = strlen(name);
	if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
		return hr_xasprintf("%s/%s/%s", out, slice, name);
	return hr_xasprintf("%s/%s/%.*s-%s.scope", out, slice, (int)(c2 - c1 - 1), c1 + 1, name);
}

/* Tasks in dir and below (bounded walk; dir is consumed). */
static unsigned long count_tasks(int dir, int depth)
{
	char buf[64];
	ssize_t n = hr_read_small_at(dir, "cgroup.procs", buf, sizeof(buf));
	unsigned long tasks = n > 0 ? 1 : 0;
	DIR *d = depth > 0 ? fdopendir(dir) : NULL;
	struct dirent *de;

	if (!d) {
		close(dir);
		return tasks;
	}
	while (!tasks && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				tasks += count_tasks(sub, depth - 1);
		}
	closedir(d);
	return tasks;
}

/* Own cgroup in hierarchy `ctrl` ("" for cgroup v2's line), for a relative path. */
static char *own_cgroup(const char *ctrl)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	/* "<id>:<controllers>:<path>" per hierarchy; v2's has no controllers */
	while (f && getline(&line, &cap, f) > 0) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL, *save = NULL;
		if (!b)
			continue;
		*b = '\0';
		b[1 + strcspn(b + 1, "\n")] = '\0';
		if (!*ctrl) {
			if (!a[1])
				return hr_xstrdup(b + 1);
			continue;
		}
		for (char *t = strtok_r(a + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcmp(t, ctrl) == 0)
				return hr_xstrdup(b + 1);
	}
	return hr_xstrdup("/");
}

/* Is a (normalised, absolute) a prefix of b by whole components, or b itself? */
static bool is_within(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/*
 * The parents of norm below the hierarchy's root, beneath root: one with
 * tasks of its own is a live cgroup (another container's), and a cgroup
 * made below it counts against its limits.  hardrun's own cgroup and its
 * parents are where a relative path is meant to go: not counted.
 */
static void parents_in(int root, const char *ctrl, const char *norm, struct hr_cgroup_facts *f)
{
	_cleanup_free_ char *own = own_cgroup(ctrl);
	_cleanup_free_ char *p = hr_xstrdup(norm);
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve =
				   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	char *slash;
	char buf[64];

	while (!f->under_tasks && (slash = strrchr(p, '/')) && slash != p) {
		*slash = '\0';
		if (is_within(p, own))
			break; /* hardrun's own cgroup or above: the caller's place */
		_cleanup_close_ int dir = (int)syscall(SYS_openat2, root, p + 1, &how, sizeof(how));
		if (dir >= 0 && hr_read_small_at(dir, "cgroup.procs", buf, sizeof(buf)) > 0) {
			f->under_tasks = true;
			snprintf(f->under, sizeof(f->under), "%s", p);
		}
	}
}

static void facts_in(const char *mnt, const char *ctrl, const char *cg, struct hr_cgroup_facts *f)
{
	_cleanup_free_ char *base = cg[0] == '/' ? hr_xstrdup("") : own_cgroup(ctrl);
	_cleanup_free_ char *joined = hr_xasprintf("%s/%s", base, cg);
	_cleanup_free_ char *norm = hr_path_normalise(joined);
	_cleanup_close_ int root = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve =
				   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int dir;

	if (root < 0)
		return;
	if (strcmp(norm, "/") == 0) {
		f->is_root = true;
		return;
	}
	/* Limits that count a child's tasks against its parent's. */
	if (!*ctrl || strcmp(ctrl, "pids") == 0 || strcmp(ctrl, "memory") == 0)
		parents_in(root, ctrl, norm, f);
	dir = (int)syscall(SYS_openat2, root, norm + 1, &how, sizeof(how));
	if (dir < 0)
		return;
	f->exists = true;
	f->tasks += count_tasks(dir, 8);
}

void hr_cgroup_facts(const char *cgroups_path, struct hr_cgroup_facts *f)
{
	static const char *const v1[] = {"pids", "memory", "cpu", "devices", "freezer", NULL};
	_cleanup_free_ char *sd = systemd_path(cgroups_path);
	struct statfs st;

	memset(f, 0, sizeof(*f));
	for (int pass = 0; pass < (sd ? 2 : 1); pass++) {
		const char *cg = pass ? sd : cgroups_path;
		if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) {
			facts_in("/sys/fs/cgroup", "", cg, f);
			continue;
		}
		facts_in("/sys/fs/cgroup/unified", "", cg, f);
		for (size_t i = 0; v1[i]; i++) {
			_cleanup_free_ char *m = hr_xasprintf("/sys/fs/cgroup/%s", v1[i]);
			facts_in(m, v1[i], cg, f);
		}
	}
}
