/* SPDX-License-Identifier: Apache-2.0 */
/* hardrun's records of pods and of callers' mappings (see include/hardrun/podrec.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/json.h"
#include "hardrun/podrec.h"
#include "hardrun/util.h"

#define MAX_EXTENTS 64

static int state_subdir(const struct hr_policy *p, const char *sub, struct hr_error **err)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/%s", hr_idmap_state_dir(p), sub);
	int fd;

	if (hr_mkdir_p(dir, 0700, err) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hr_error_set(err, errno, "open `%s`", dir);
	return fd;
}

/*
 * The state subdirectory sub (made 0700) in *dirfd, and the flock of its
 * `<sub>.lock` taken: the returned descriptor holds it.  Claims of one
 * kind are compared and written under it.
 */
static int locked_subdir(const struct hr_policy *p, const char *sub, int *dirfd,
			 struct hr_error **err)
{
	_cleanup_free_ char *lpath = hr_xasprintf("%s/%s.lock", hr_idmap_state_dir(p), sub);
	_cleanup_close_ int d = state_subdir(p, sub, err), lock = -1;

	if (d < 0)
		return -1;
	lock = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return hr_error_set(err, errno, "open `%s`", lpath);
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return hr_error_set(err, errno, "lock `%s`", lpath);
	*dirfd = hr_steal_fd(&d);
	return hr_steal_fd(&lock);
}

int hr_pod_record(const struct hr_policy *p, const char *sandbox, const char *runtime_root,
		  uint32_t start, uint32_t size, struct hr_error **err)
{
	_cleanup_close_ int d = -1;
	_cleanup_free_ char *text = NULL;

	if (!hr_file_name_ok(sandbox) || strchr(runtime_root ? runtime_root : "", '\n'))
		return hr_error_set(err, EINVAL, "pod record: invalid id");
	d = state_subdir(p, "pods", err);
	if (d < 0)
		return -1;
	text = hr_xasprintf("start=%" PRIu32 "\nsize=%" PRIu32 "\nruntimeRoot=%s\n", start, size,
			    hr_runtime_root(runtime_root));
	return hr_write_file_atomic(d, sandbox, text, strlen(text), 0600, err);
}

int hr_runtime_init_pid(const char *runtime_root, const char *id, long *pid, struct hr_error **err)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_json_ struct hr_json *st = NULL;
	size_t len = 0;
	int64_t v = 0;

	if (!hr_file_name_ok(id))
		return hr_error_set(err, EINVAL, "`%s`: not a container id", id);
	path = hr_xasprintf("%s/%s/state.json", hr_runtime_root(runtime_root), id);
	if (hr_read_file_at(AT_FDCWD, path, 16u << 20, &buf, &len, NULL) < 0)
		return hr_error_set(err, ENOENT, "container `%s`: no runtime state", id);
	st = hr_json_parse(buf, len, NULL, err);
	if (!st || !hr_json_as_int64(hr_json_get(st, "init_process_pid"), &v) || v <= 0)
		return hr_error_set(err, 0, "%s: no init_process_pid", path);
	*pid = (long)v;
	return 0;
}

/* "0 start size" as the only extent of /proc/<pid>/<file>. */
static bool maps_exactly(long pid, const char *file, uint32_t start, uint32_t size)
{
	_cleanup_free_ char *path = hr_xasprintf("/proc/%ld/%s", pid, file);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	unsigned long in, out, len;
	int n = 0;
	bool ok = false;

	while (f && fscanf(f, "%lu %lu %lu", &in, &out, &len) == 3) {
		ok = n++ == 0 && in == 0 && out == start && len == size;
		if (!ok)
			return false;
	}
	return ok;
}

static int pod_parse(char *text, struct hr_pod *pod, char **root)
{
	char *save = NULL;
	unsigned long long a = 0, b = 0;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "start=", 6) == 0)
			pod->start = (uint32_t)strtoul(l + 6, NULL, 10);
		else if (strncmp(l, "size=", 5) == 0)
			pod->size = (uint32_t)strtoul(l + 5, NULL, 10);
		else if (strncmp(l, "runtimeRoot=", 12) == 0 && !*root)
			*root = hr_xstrdup(l + 12);
		else if (sscanf(l, "userns=%llu:%llu", &a, &b) == 2)
			pod->userns = (struct hr_nsid){a, b};
	}
	return pod->size && *root ? 0 : -1;
}

int hr_pod_lookup(const struct hr_policy *p, const char *sandbox, const char *runtime_root,
		  struct hr_pod *out, struct hr_error **err)
{
	_cleanup_close_ int d = -1;
	_cleanup_free_ char *text = NULL, *root = NULL, *ns = NULL;
	struct hr_ns_facts f;
	struct hr_pod pod = {0};

	if (!hr_file_name_ok(sandbox))
		return 0;
	/* No records yet (or none readable): no pod hardrun made. */
	_cleanup_free_ char *dir = hr_xasprintf("%s/pods", hr_idmap_state_dir(p));
	d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0 || hr_read_file_at(d, sandbox, 4096, &text, NULL, NULL) < 0)
		return 0;
	if (pod_parse(text, &pod, &root) < 0 || strcmp(root, hr_runtime_root(runtime_root)) != 0)
		return 0;
	if (hr_runtime_init_pid(runtime_root, sandbox, &pod.pid, err) < 0)
		return hr_err_wrap(err, "pod sandbox `%s`", sandbox);
	ns = hr_xasprintf("/proc/%ld/ns/user", pod.pid);
	if (hr_ns_resolve(ns, &f, err) < 0)
		return hr_err_wrap(err, "pod sandbox `%s`", sandbox);
	/* The namespace hardrun made maps exactly the range it recorded, which
	 * no other container can map (ranges are exclusive, caller mappings
	 * never reach into another's). */
	if (f.owner_initial || !maps_exactly(pod.pid, "uid_map", pod.start, pod.size) ||
	    !maps_exactly(pod.pid, "gid_map", pod.start, pod.size) ||
	    (pod.userns.ino && !hr_nsid_eq(&pod.userns, &f.id)))
		return hr_error_set(err, 0,
				    "pod sandbox `%s`: its user namespace is not the one hardrun "
				    "made for the pod",
				    sandbox);
	pod.pinned = pod.userns.ino != 0;
	if (!pod.pinned)
		pod.userns = f.id;
	*out = pod;
	return 1;
}

int hr_pod_pin(const struct hr_policy *p, const char *sandbox, const char *runtime_root,
	       struct hr_error **err)
{
	_cleanup_close_ int d = -1;
	_cleanup_free_ char *text = NULL, *upd = NULL;
	struct hr_pod pod = {0};
	int r = hr_pod_lookup(p, sandbox, runtime_root, &pod, err);

	if (r <= 0 || pod.pinned)
		return r < 0 ? -1 : 0;
	_cleanup_free_ char *dir = hr_xasprintf("%s/pods", hr_idmap_state_dir(p));
	d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0 || hr_read_file_at(d, sandbox, 4096, &text, NULL, err) < 0)
		return hr_error_set(err, errno, "pod record `%s`", sandbox);
	upd = hr_xasprintf("%suserns=%llu:%llu\n", text, (unsigned long long)pod.userns.dev,
			   (unsigned long long)pod.userns.ino);
	if (hr_write_file_atomic(d, sandbox, upd, strlen(upd), 0600, err) < 0)
		return hr_err_wrap(err, "pod record `%s`", sandbox);
	return 0;
}

int hr_pod_of(const struct hr_policy *p, const struct hr_json *spec, const char *runtime_root,
	      struct hr_pod *pod, struct hr_error **err)
{
	const struct hr_json *ann = hr_json_get(spec, "annotations");
	const char *type = hr_json_as_string(hr_json_get(ann, "io.kubernetes.cri.container-type"));
	const char *sandbox = hr_json_as_string(hr_json_get(ann, "io.kubernetes.cri.sandbox-id"));

	if (!type || strcmp(type, "container") != 0 || !sandbox || !*sandbox)
		return 0;
	return hr_pod_lookup(p, sandbox, runtime_root, pod, err);
}

void hr_records_forget(const struct hr_policy *p, const char *id)
{
	static const char *const dirs[] = {"pods", "callers", "rootfs"};

	if (!hr_file_name_ok(id))
		return;
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *path =
		    hr_xasprintf("%s/%s/%s", hr_idmap_state_dir(p), dirs[i], id);
		unlink(path);
	}
}

long hr_idext_overlap(const struct hr_idext *a, size_t na, const struct hr_idext *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (a[i].kind == b[j].kind && a[i].start < b[j].start + b[j].size &&
			    b[j].start < a[i].start + a[i].size)
				return (long)i;
	return -1;
}

bool hr_idext_inside(const struct hr_idext *e, const struct hr_idext *allowed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e->start >= allowed[i].start &&
		    e->start + e->size <= allowed[i].start + allowed[i].size)
			return true;
	return false;
}

/* A claim file: "root=...", "created=...", then "u|g start size" lines. */
static size_t claim_parse(char *text, struct hr_idext *ext, char **root, int64_t *created)
{
	char *save = NULL;
	size_t n = 0;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long s = 0, z = 0;
		char k = 0;
		if (strncmp(l, "root=", 5) == 0 && !*root)
			*root = hr_xstrdup(l + 5);
		else if (strncmp(l, "created=", 8) == 0)
			*created = strtoll(l + 8, NULL, 10);
		else if (n < MAX_EXTENTS && sscanf(l, "%c %llu %llu", &k, &s, &z) == 3 &&
			 (k == 'u' || k == 'g'))
			ext[n++] = (struct hr_idext){k, s, z};
	}
	return n;
}

static bool claim_live(const char *root, const char *key, int64_t created)
{
	struct stat st;
	_cleanup_free_ char *path = hr_xasprintf("%s/%s", root, key);

	if ((int64_t)time(NULL) - created < HR_IDRANGE_GRACE_SEC)
		return true; /* a create in flight */
	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Lock held: the live claim (other than key's) overlapping ext, malloc'd, or NULL. */
static char *claim_holder(int d, const char *key, const struct hr_idext *ext, size_t n)
{
	_cleanup_close_ int fd = dup(d);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de = NULL;
	char *holder = NULL;

	if (!dir)
		return NULL;
	fd = -1;
	while (!holder && (de = readdir(dir))) {
		struct hr_idext theirs[MAX_EXTENTS];
		char text[4096];
		_cleanup_free_ char *root = NULL;
		int64_t created = 0;
		size_t m;

		if (de->d_name[0] == '.' || strcmp(de->d_name, key) == 0 ||
		    hr_read_small_at(d, de->d_name, text, sizeof(text)) <= 0)
			continue;
		m = claim_parse(text, theirs, &root, &created);
		if (root && hr_idext_overlap(ext, n, theirs, m) >= 0 &&
		    claim_live(root, de->d_name, created))
			holder = hr_xstrdup(de->d_name);
	}
	closedir(dir);
	return holder;
}

int hr_idclaim_holder(const struct hr_policy *p, const char *key, const struct hr_idext *ext,
		      size_t n, char **holder)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/callers", hr_idmap_state_dir(p));
	_cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* No lock: a decision on facts; provision claims under the lock and
	 * checks again. */
	*holder = d >= 0 && n <= MAX_EXTENTS ? claim_holder(d, key ? key : "", ext, n) : NULL;
	return *holder ? 1 : 0;
}

void hr_idclaim_release(const struct hr_policy *p, const char *key)
{
	_cleanup_free_ char *path = NULL;

	if (!hr_file_name_ok(key))
		return;
	path = hr_xasprintf("%s/callers/%s", hr_idmap_state_dir(p), key);
	unlink(path);
}

int hr_idclaim_caller(const struct hr_policy *p, const char *key, const char *runtime_root,
		      const struct hr_idext *ext, size_t n, char **holder, struct hr_error **err)
{
	_cleanup_close_ int d = -1, lock = -1;
	_cleanup_free_ char *text = NULL;

	*holder = NULL;
	if (!hr_file_name_ok(key) || n > MAX_EXTENTS)
		return hr_error_set(err, EINVAL, "claim host ids: invalid id or too many extents");
	lock = locked_subdir(p, "callers", &d, err);
	if (lock < 0)
		return -1;
	*holder = claim_holder(d, key, ext, n);
	if (*holder)
		return 1;
	text = hr_xasprintf("root=%s\ncreated=%lld\n", hr_runtime_root(runtime_root),
			    (long long)time(NULL));
	for (size_t i = 0; i < n; i++) {
		char *t = hr_xasprintf("%s%c %" PRIu64 " %" PRIu64 "\n", text, ext[i].kind,
				       ext[i].start, ext[i].size);
		free(text);
		text = t;
	}
	return hr_write_file_atomic(d, key, text, strlen(text), 0600, err);
}

/* Lock held: the live container (other than key) whose rootfs claim is dev:ino, malloc'd. */
static char *rootfs_holder(int d, const char *key, uint64_t dev, uint64_t ino)
{
	_cleanup_close_ int fd = dup(d);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de = NULL;
	char *holder = NULL;

	if (!dir)
		return NULL;
	fd = -1;
	while (!holder && (de = readdir(dir))) {
		char text[4096], *root, *nl;
		unsigned long long created = 0, dv = 0, in = 0;

		if (de->d_name[0] == '.' || strcmp(de->d_name, key) == 0 ||
		    hr_read_small_at(d, de->d_name, text, sizeof(text)) <= 0)
			continue;
		/* "root=<runtime root>\ncreated=<s>\nrootfs <dev> <ino>\n" */
		if (strncmp(text, "root=", 5) != 0 || !(nl = strchr(text, '\n')))
			continue;
		*nl = '\0';
		root = text + 5;
		if (sscanf(nl + 1, "created=%llu\nrootfs %llu %llu", &created, &dv, &in) != 3)
			continue;
		if (dv == dev && in == ino && claim_live(root, de->d_name, (int64_t)created))
			holder = hr_xstrdup(de->d_name);
	}
	closedir(dir);
	return holder;
}

int hr_rootfs_claim(const struct hr_policy *p, const char *key, const char *runtime_root,
		    uint64_t dev, uint64_t ino, char **holder, struct hr_error **err)
{
	_cleanup_close_ int d = -1, lock = -1;
	_cleanup_free_ char *text = NULL;

	*holder = NULL;
	if (!hr_file_name_ok(key))
		return hr_error_set(err, EINVAL, "claim rootfs: invalid container id");
	lock = locked_subdir(p, "rootfs", &d, err);
	if (lock < 0)
		return -1;
	*holder = rootfs_holder(d, key, dev, ino);
	if (*holder)
		return 1;
	text = hr_xasprintf("root=%s\ncreated=%lld\nrootfs %" PRIu64 " %" PRIu64 "\n",
			    hr_runtime_root(runtime_root), (long long)time(NULL), dev, ino);
	return hr_write_file_atomic(d, key, text, strlen(text), 0600, err);
}
