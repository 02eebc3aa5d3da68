/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `userns`: container root must never be host root.
 *
 * A config without a user namespace gets one whose mapping sends container
 * ids 0..size-1 to a host range of its own (src/idmap.c), and its rootfs is
 * shown through an idmapped mount so files owned by root in the image stay
 * owned by container root.  Containers of one CRI pod join the sandbox's
 * user namespace and share its range.  A config that brings its own mapping
 * may not reach host uid 0 or ids below the pool (other users' ids), and may
 * not join the host's user namespace by path.
 *
 * Everything hardrun changes is recorded in the annotation HR_UNDO, so a
 * bundle whose config.json was rewritten for one container can start the
 * next one: the previous container's range and mount paths are removed
 * before the rule looks at the config.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/json.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#define SECTION	       "userns"
#define HR_UNDO	       "run.hardrun.userns"
#define CRI_TYPE       "io.kubernetes.cri.container-type"
#define CRI_SANDBOX_ID "io.kubernetes.cri.sandbox-id"

struct userns_settings {
	unsigned long long range_size; /* 0: the policy's */
	bool idmap_rootfs;
	bool idmap_volumes;
	bool chown_fallback;
};

/* What the fix decided: the range and how the container gets it. */
struct plan {
	uint32_t start, size;
	char *join;	  /* user namespace path to join (pod member), or NULL */
	const char *key;  /* range owner: container id or sandbox id */
	bool placeholder; /* dry run: no range allocated */
	bool allocated;	  /* this call acquired the range */
	bool own_userns;  /* the config brought the user namespace (and its mounts' maps) */
	bool same_map;	  /* pod member: own user namespace, the sandbox's mapping */
};

static void free_settings(void *p)
{
	free(p);
}

static int parse(const struct hr_json *section, const char *file, void **settings,
		 struct hr_error **err)
{
	static const char *const keys[] = {"rangeSize", "idmapRootfs", "idmapVolumes",
					   "chownFallback", NULL};
	struct userns_settings *s = hr_xcalloc(1, sizeof(*s));

	s->idmap_rootfs = true;
	if (section &&
	    (hr_policy_check_keys(section, file, SECTION, keys, err) < 0 ||
	     hr_policy_get_uint64(section, "rangeSize", &s->range_size, file, SECTION, err) < 0 ||
	     hr_policy_get_bool(section, "idmapRootfs", &s->idmap_rootfs, file, SECTION, err) < 0 ||
	     hr_policy_get_bool(section, "idmapVolumes", &s->idmap_volumes, file, SECTION, err) <
		 0 ||
	     hr_policy_get_bool(section, "chownFallback", &s->chown_fallback, file, SECTION, err) <
		 0)) {
		free(s);
		return -1;
	}
	if (s->range_size > UINT32_MAX || (s->range_size && s->range_size < 65536)) {
		free(s);
		return hr_error_set(err, 0,
				    "%s: `%s.rangeSize` must be at least 65536 (a full 16-bit id "
				    "space: images use 65534 for nobody)",
				    file, SECTION);
	}
	*settings = s;
	return 0;
}

static const char *annotation(const struct hr_json *spec, const char *key)
{
	return hr_json_as_string(hr_json_get(hr_json_get(spec, "annotations"), key));
}

static struct hr_json *mapping(uint32_t start, uint32_t size)
{
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY), *m = hr_json_new(HR_JSON_OBJECT);

	hr_json_set(m, "containerID", hr_json_new_uint(0));
	hr_json_set(m, "hostID", hr_json_new_uint(start));
	hr_json_set(m, "size", hr_json_new_uint(size));
	hr_json_append(arr, m);
	return arr;
}

/* Index of the (first) user namespace entry, -1 if none; *n counts them. */
static long user_ns_index(const struct hr_json *nss, unsigned *n)
{
	long idx = -1;

	*n = 0;
	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		if (t && strcmp(t, "user") == 0) {
			if (idx < 0)
				idx = (long)i;
			(*n)++;
		}
	}
	return idx;
}

/* ---- undo a previous run's rewrite of the same bundle ----------------- */

static int undo_previous(struct hr_ctx *ctx, struct hr_error **err)
{
	struct hr_json *ann = hr_json_get(ctx->spec, "annotations");
	const char *text = hr_json_as_string(hr_json_get(ann, HR_UNDO));
	_cleanup_json_ struct hr_json *undo = NULL;
	struct hr_json *nss = NULL, *linux_ = hr_json_get(ctx->spec, "linux"), *mounts = NULL;
	unsigned n = 0;
	long idx;

	if (!text)
		return 0;
	undo = hr_json_parse(text, strlen(text), NULL, err);
	if (!undo || undo->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "annotation %s is not hardrun's", HR_UNDO);
	nss = hr_json_get(linux_, "namespaces");
	if (hr_json_get(undo, "userns") && (idx = user_ns_index(nss, &n)) >= 0) {
		hr_json_array_remove(nss, (size_t)idx);
		hr_json_remove(linux_, "uidMappings");
		hr_json_remove(linux_, "gidMappings");
	}
	if (hr_json_as_string(hr_json_get(undo, "root")))
		hr_json_set(hr_json_ensure_object(ctx->spec, "root"), "path",
			    hr_json_clone(hr_json_get(undo, "root")));
	mounts = hr_json_get(ctx->spec, "mounts");
	struct hr_json *saved = hr_json_get(undo, "mounts");
	for (size_t i = 0; saved && saved->type == HR_JSON_OBJECT && i < saved->obj.len; i++) {
		unsigned long k = strtoul(saved->obj.members[i].key, NULL, 10);
		if (mounts && mounts->type == HR_JSON_ARRAY && k < mounts->arr.len) {
			hr_json_free(mounts->arr.items[k]);
			mounts->arr.items[k] = hr_json_clone(saved->obj.members[i].value);
		}
	}
	hr_json_remove(ann, HR_UNDO);
	return 0;
}

static void undo_record(struct hr_ctx *ctx, struct hr_json *undo)
{
	struct hr_json *ann = hr_json_ensure_object(ctx->spec, "annotations");
	_cleanup_free_ char *text = hr_json_brief(undo);

	if (ann)
		hr_json_set(ann, HR_UNDO, hr_json_new_string(text));
}

/* ---- checks on a mapping the config brings ----------------------------- */

/* Ids inside the pool are fine only within the range this container (or its pod) holds. */
static bool own_range(struct hr_ctx *ctx, uint64_t host, uint64_t size)
{
	const char *sandbox = annotation(ctx->spec, CRI_SANDBOX_ID);
	int r = hr_idpool_check(ctx->policy, host, size, ctx->container_id, NULL);

	if (r == 2 && sandbox && *sandbox)
		r = hr_idpool_check(ctx->policy, host, size, sandbox, NULL);
	return r == 0 || r == 1;
}

/* Deny every extent that reaches host id 0, below the pool or into others' ranges. */
static bool check_mappings(struct hr_ctx *ctx, const char *field, const struct hr_json *arr,
			   uint32_t pool_first)
{
	bool bad = false;

	for (size_t i = 0; arr && arr->type == HR_JSON_ARRAY && i < arr->arr.len; i++) {
		const struct hr_json *m = arr->arr.items[i];
		uint64_t host = 0, size = 0;
		_cleanup_free_ char *path = hr_xasprintf("%s[%zu]", field, i);
		_cleanup_free_ char *b = hr_json_brief(m);

		if (!hr_json_as_uint64(hr_json_get(m, "hostID"), &host) ||
		    !hr_json_as_uint64(hr_json_get(m, "size"), &size) || size == 0) {
			hr_report_unfixable(ctx, path, b, "malformed id mapping");
			bad = true;
		} else if (host == 0) {
			hr_report_unfixable(ctx, path, b,
					    "mapping reaches host id 0: container ids would be "
					    "host root");
			bad = true;
		} else if (pool_first && host < pool_first) {
			hr_report_unfixable(ctx, path, b,
					    "mapping reaches host ids below the id pool (%" PRIu32
					    "), which belong to host users",
					    pool_first);
			bad = true;
		} else if (!own_range(ctx, host, size)) {
			hr_report_unfixable(ctx, path, b,
					    "mapping lies in hardrun's id pool outside this "
					    "container's range: it may be another container's");
			bad = true;
		}
	}
	return bad;
}

/* First extent of /proc/<pid>/<file> that maps container id 0. */
static int read_proc_map(long pid, const char *file, uint32_t *start, uint32_t *size)
{
	_cleanup_free_ char *path = hr_xasprintf("/proc/%ld/%s", pid, file);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	unsigned long in, out, len;

	while (f && fscanf(f, "%lu %lu %lu", &in, &out, &len) == 3)
		if (in == 0) {
			*start = (uint32_t)out;
			*size = (uint32_t)len;
			return 0;
		}
	return -1;
}

/* pid of /proc/<pid>/ns/user, or -1 for another path. */
static long proc_pid(const char *path)
{
	char *end = NULL;
	long pid;

	if (strncmp(path, "/proc/", 6) != 0)
		return -1;
	pid = strtol(path + 6, &end, 10);
	return end != path + 6 && pid > 0 && strcmp(end, "/ns/user") == 0 ? pid : -1;
}

static bool same_ns(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * The host's user namespace.  Only asked while hardrun itself runs in it
 * (apply() returns early otherwise), so our own namespace is the reference;
 * pid 1's link may not even be readable (ptrace rules).
 */
static bool host_ns(const char *path)
{
	return same_ns(path, "/proc/self/ns/user") || same_ns(path, "/proc/1/ns/user");
}

/* A joined user namespace: not the host's, and not mapping host 0. */
static void check_join(struct hr_ctx *ctx, const char *path, uint32_t pool_first)
{
	long pid = proc_pid(path);
	uint32_t start = 0, size = 0;

	if (strcmp(path, "/proc/1/ns/user") == 0 || strcmp(path, "/proc/self/ns/user") == 0 ||
	    strcmp(path, "/proc/thread-self/ns/user") == 0 || host_ns(path)) {
		hr_report_unfixable(ctx, "linux.namespaces", path,
				    "joins the host user namespace: container root would be host "
				    "root");
		return;
	}
	if (pid > 0 && read_proc_map(pid, "uid_map", &start, &size) == 0 &&
	    (start == 0 || start < pool_first))
		hr_report_unfixable(ctx, "linux.namespaces", path,
				    "the joined user namespace maps container root to host id "
				    "%" PRIu32 ", outside the id pool",
				    start);
}

/* ---- pods ------------------------------------------------------------ */

/* init pid of a container of the lower runtime (runc's state.json). */
static int sandbox_pid(const char *sandbox, long *pid, struct hr_error **err)
{
	_cleanup_free_ char *path =
	    hr_xasprintf("%s/%s/state.json", hr_runtime_root(NULL), sandbox);
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ struct hr_json *st = NULL;
	size_t len = 0;
	int64_t v = 0;

	if (strchr(sandbox, '/') || hr_read_file_at(AT_FDCWD, path, 16u << 20, &buf, &len, err) < 0)
		return hr_error_set(err, ENOENT, "pod sandbox `%s`: no runtime state", sandbox);
	st = hr_json_parse(buf, len, NULL, err);
	if (!st || !hr_json_as_int64(hr_json_get(st, "init_process_pid"), &v) || v <= 0)
		return hr_error_set(err, 0, "%s: no init_process_pid", path);
	*pid = (long)v;
	return 0;
}

/* A pod member joins its sandbox's user namespace and shares its range. */
static int ns_owner(const char *path, struct stat *owner);

/*
 * The member's network namespace, when joined by path and owned by another
 * user namespace than the sandbox's (a CNI netns containerd made as host
 * root): runc joins the user namespace first, after which it may no longer
 * enter that netns.
 */
static bool netns_foreign_to(const struct hr_ctx *ctx, const char *userns)
{
	const struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");
	struct stat owner, u;

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		if (t && strcmp(t, "network") == 0 && path && *path &&
		    ns_owner(path, &owner) >= 0 && stat(userns, &u) == 0)
			return owner.st_dev != u.st_dev || owner.st_ino != u.st_ino;
	}
	return false;
}

/* The config joins a pid namespace by path that is not the host's. */
static bool shares_pidns(const struct hr_ctx *ctx)
{
	const struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");
	struct stat owner;

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		if (t && strcmp(t, "pid") == 0 && path && *path && ns_owner(path, &owner) == 0)
			return true;
	}
	return false;
}

static int plan_pod_member(const struct hr_ctx *ctx, const char *sandbox, uint32_t pool_first,
			   struct plan *pl, struct hr_error **err)
{
	long pid = 0;
	_cleanup_free_ char *ns = NULL;

	if (sandbox_pid(sandbox, &pid, err) < 0)
		return -1;
	ns = hr_xasprintf("/proc/%ld/ns/user", pid);
	if (host_ns(ns))
		return hr_error_set(err, 0,
				    "pod sandbox `%s` runs in the host user namespace; its "
				    "containers cannot share the pod's namespaces from their own",
				    sandbox);
	/* The kernel's mapping is the truth, whoever allocated the sandbox's range. */
	if (read_proc_map(pid, "uid_map", &pl->start, &pl->size) < 0)
		return hr_error_set(err, errno, "read uid_map of pod sandbox `%s`", sandbox);
	if (pl->start < pool_first)
		return hr_error_set(err, 0,
				    "pod sandbox `%s` maps container root to host id %" PRIu32
				    ", outside the id pool",
				    sandbox, pl->start);
	pl->key = sandbox;
	/*
	 * With a netns it could not enter from the sandbox's user namespace, the
	 * member gets a user namespace of its own with the very same mapping:
	 * runc enters the path namespaces (ipc, uts, net) before creating it,
	 * and the pod still has one range.
	 */
	if (!netns_foreign_to(ctx, ns)) {
		pl->join = hr_steal_ptr(&ns);
		return 0;
	}
	if (shares_pidns(ctx))
		return hr_error_set(
		    err, 0,
		    "pod member of `%s` shares the pod's pid namespace (owned by the "
		    "pod's user namespace) and a network namespace owned by the host: "
		    "runc 1.1 enters the user namespace first and then cannot enter "
		    "the network namespace, and from a user namespace of its own it "
		    "cannot mount /proc (give the container its own pid namespace, as "
		    "the kubelet does unless shareProcessNamespace is set)",
		    sandbox);
	pl->same_map = true;
	return 0;
}

/* ---- the fix ----------------------------------------------------------- */

/* pid of a /proc/<pid>/ns/<type> path, -1 for another path. */
static long proc_ns_pid(const char *path)
{
	char *end = NULL;
	long pid;

	if (strncmp(path, "/proc/", 6) != 0)
		return -1;
	pid = strtol(path + 6, &end, 10);
	return end != path + 6 && pid > 0 && strncmp(end, "/ns/", 4) == 0 ? pid : -1;
}

/* Owner user namespace of the namespace at path: 1 ours (the host's), 0 another, -1 unknown. */
static int ns_owner(const char *path, struct stat *owner)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int u = -1;
	struct stat self;

	if (fd < 0 || (u = ioctl(fd, NS_GET_USERNS)) < 0 || fstat(u, owner) < 0 ||
	    stat("/proc/self/ns/user", &self) < 0)
		return -1;
	return owner->st_dev == self.st_dev && owner->st_ino == self.st_ino;
}

/*
 * A namespace joined by path that belongs to another user namespace (docker
 * --network container:X, a podman pod) can only be used from inside that
 * one: the container joins it and shares its range.
 */
static int plan_joined(struct hr_ctx *ctx, uint32_t pool_first, struct plan *pl,
		       struct hr_error **err)
{
	struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *type = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		_cleanup_free_ char *user = NULL;
		struct stat owner, st;
		long pid;
		int h;

		if (!type || !path || !*path || strcmp(type, "user") == 0 ||
		    (h = ns_owner(path, &owner)) < 0)
			continue;
		if (h == 1)
			continue;
		pid = proc_ns_pid(path);
		user = hr_xasprintf("/proc/%ld/ns/user", pid);
		if (pid <= 0 || stat(user, &st) < 0 || st.st_dev != owner.st_dev ||
		    st.st_ino != owner.st_ino)
			return hr_error_set(
			    err, 0,
			    "%s namespace %s belongs to a user namespace that hardrun "
			    "cannot name; join it through /proc/<pid>/ns",
			    type, path);
		if (pl->join && !same_ns(pl->join, user))
			return hr_error_set(
			    err, 0, "joined namespaces belong to different user namespaces");
		if (!pl->join) {
			if (read_proc_map(pid, "uid_map", &pl->start, &pl->size) < 0)
				return hr_error_set(err, errno, "read uid_map of pid %ld", pid);
			if (pl->start < pool_first)
				return hr_error_set(err, 0,
						    "%s namespace %s belongs to a user namespace "
						    "mapping root to host id %" PRIu32
						    ", outside the id pool",
						    type, path, pl->start);
			pl->join = hr_steal_ptr(&user);
		}
	}
	return pl->join ? 1 : 0;
}

/* A sharer keeps the owner's range allocated while it lives (see hr_idrange_share). */
static int hold_shared(struct hr_ctx *ctx, struct plan *pl, struct hr_error **err)
{
	int in_pool = hr_idpool_check(ctx->policy, pl->start, pl->size, NULL, err);

	if (in_pool < 0)
		return -1;
	if (in_pool == 0)
		return 0;
	if (hr_idrange_share(ctx->policy, ctx->container_id, NULL, ctx->bundle, pl->start, pl->size,
			     err) < 0)
		return -1;
	pl->key = ctx->container_id;
	pl->allocated = true;
	return 0;
}

static int plan_range(struct hr_ctx *ctx, const struct userns_settings *s, uint32_t pool_first,
		      struct plan *pl, struct hr_error **err)
{
	const char *type = annotation(ctx->spec, CRI_TYPE);
	const char *sandbox = annotation(ctx->spec, CRI_SANDBOX_ID);

	pl->size = (uint32_t)(s->range_size		? s->range_size
			      : ctx->policy->range_size ? ctx->policy->range_size
							: 65536);
	if (type && strcmp(type, "container") == 0 && sandbox && *sandbox) {
		if (!ctx->container_id) {
			pl->placeholder = true;
			pl->start = pool_first;
			pl->key = sandbox;
			return 0;
		}
		if (plan_pod_member(ctx, sandbox, pool_first, pl, err) < 0)
			return -1;
		return hold_shared(ctx, pl, err);
	}
	switch (plan_joined(ctx, pool_first, pl, err)) {
	case -1:
		return -1;
	case 1:
		return ctx->container_id ? hold_shared(ctx, pl, err) : 0;
	}
	if (!ctx->container_id) {
		pl->placeholder = true;
		pl->start = pool_first;
		return 0;
	}
	pl->key = ctx->container_id;
	if (hr_idrange_acquire(ctx->policy, pl->key, NULL, ctx->bundle, pl->size, &pl->start, err) <
	    0)
		return -1;
	pl->allocated = true;
	return 0;
}

static char *root_abs(struct hr_ctx *ctx, const char *path)
{
	if (path[0] == '/' || !ctx->bundle)
		return hr_xstrdup(path);
	return hr_xasprintf("%s/%s", ctx->bundle, path);
}

/*
 * An idmapped rootfs makes host root's files container root's.  That is the
 * point for an image, and a host takeover for the host's own directories.
 */
static bool system_dir(const char *path)
{
	static const char *const dirs[] = {"/",	     "/etc",   "/usr",	 "/bin",  "/sbin", "/lib",
					   "/lib32", "/lib64", "/boot",	 "/root", "/home", "/var",
					   "/run",   "/proc",  "/sys",	 "/dev",  "/opt",  "/srv",
					   "/tmp",   "/mnt",   "/media", NULL};
	_cleanup_free_ char *real = realpath(path, NULL);

	for (size_t i = 0; real && dirs[i]; i++)
		if (strcmp(real, dirs[i]) == 0)
			return true;
	return false;
}

static int fix_rootfs(struct hr_ctx *ctx, const struct userns_settings *s, const struct plan *pl,
		      struct hr_json *undo, struct hr_error **err)
{
	const char *rp = NULL;
	_cleanup_free_ char *abs = NULL, *view = NULL;
	bool chown_ok = s->chown_fallback || ctx->policy->idmap_chown_fallback;

	if (hr_spec_get_string(ctx->spec, "root/path", &rp, err) < 0)
		return -1;
	if (!rp)
		return hr_error_set(err, 0, "config has no root.path to idmap");
	abs = root_abs(ctx, rp);
	if (system_dir(abs)) {
		hr_report_unfixable(ctx, "root.path", rp,
				    "rootfs is a host system directory: idmapping it would give "
				    "container root the files of host root");
		return 0;
	}
	if (hr_idmount_rootfs(ctx->policy, ctx->container_id, abs, pl->start, pl->size, chown_ok,
			      &view, err) < 0)
		return -1;
	if (!view) {
		hr_report_as(ctx, HR_ACTION_WARN, "root.path", rp, NULL,
			     "rootfs cannot be idmapped: chowned in place to host ids %" PRIu32
			     "+%" PRIu32 " (chown fallback)",
			     pl->start, pl->size);
		return 0;
	}
	hr_json_set(undo, "root", hr_json_new_string(rp));
	hr_report_as(ctx, HR_ACTION_FIX, "root.path", rp, view,
		     "rootfs shown through an idmapped mount: files owned by host root appear "
		     "owned by container root");
	hr_json_set(hr_json_get(ctx->spec, "root"), "path", hr_json_new_string(view));
	return 0;
}

static bool is_bind(const struct hr_json *m)
{
	const char *type = hr_json_as_string(hr_json_get(m, "type"));
	const struct hr_json *opts = hr_json_get(m, "options");

	if (type && strcmp(type, "bind") == 0)
		return true;
	for (size_t i = 0; opts && opts->type == HR_JSON_ARRAY && i < opts->arr.len; i++) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		if (o && (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0))
			return true;
	}
	return false;
}

/* Drop "idmap"/"ridmap" options, which runc 1.1 would pass to mount(2) as data. */
static void strip_idmap_opts(struct hr_json *m)
{
	struct hr_json *opts = hr_json_get(m, "options");

	for (size_t i = 0; opts && opts->type == HR_JSON_ARRAY && i < opts->arr.len;) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		if (o && (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0))
			hr_json_array_remove(opts, i);
		else
			i++;
	}
}

static bool has_opt(const struct hr_json *m, const char *want)
{
	const struct hr_json *opts = hr_json_get(m, "options");

	for (size_t i = 0; opts && opts->type == HR_JSON_ARRAY && i < opts->arr.len; i++) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		if (o && strcmp(o, want) == 0)
			return true;
	}
	return false;
}

static bool asks_idmap(const struct hr_json *m);

/*
 * The mapping a mount asks for: its own uidMappings (single extent from
 * container id 0, same for gids), else the container's.  false: unfixable.
 */
static bool mount_mapping(struct hr_ctx *ctx, const struct hr_json *m, const char *path,
			  uint32_t pool_first, const struct plan *pl, uint32_t *start,
			  uint32_t *size)
{
	const struct hr_json *u = hr_json_get(m, "uidMappings"), *g = hr_json_get(m, "gidMappings");
	uint64_t us = 0, uz = 0, uc = 1;
	_cleanup_free_ char *b = hr_json_brief(m);

	*start = pl->start;
	*size = pl->size;
	/*
	 * Without a user namespace in the config, a mount's mapping was written
	 * for ids the container will not have: the container's range replaces it.
	 */
	if ((hr_json_is_null(u) && hr_json_is_null(g)) || !pl->own_userns)
		return true;
	_cleanup_free_ char *up = hr_xasprintf("%s.uidMappings", path);
	_cleanup_free_ char *gp = hr_xasprintf("%s.gidMappings", path);

	if ((int)check_mappings(ctx, up, u, pool_first) |
	    (int)check_mappings(ctx, gp, g, pool_first))
		return false;
	if (!u || u->type != HR_JSON_ARRAY || u->arr.len != 1 || !hr_json_equal(u, g) ||
	    !hr_json_as_uint64(hr_json_get(u->arr.items[0], "containerID"), &uc) || uc != 0 ||
	    !hr_json_as_uint64(hr_json_get(u->arr.items[0], "hostID"), &us) ||
	    !hr_json_as_uint64(hr_json_get(u->arr.items[0], "size"), &uz) || us + uz > UINT32_MAX) {
		hr_report_unfixable(ctx, path, b,
				    "only one identical uid/gid mapping extent from container id 0 "
				    "can be idmapped for the lower runtime");
		return false;
	}
	*start = (uint32_t)us;
	*size = (uint32_t)uz;
	return true;
}

/*
 * Later rules (mounts) judge an idmapped view by the source at the same
 * index of ctx->original, the config as handed over.  A source that came
 * back from the HR_UNDO record (a config hardrun rewrote before, or one
 * forging that record) is not in ctx->original, so it is never hidden
 * behind a view.
 */
#define NOT_HANDED_OVER                                                                            \
	"bind source differs from the config as handed over (restored from an earlier "            \
	"run's record): not idmapped, so later rules judge it as it is"

static bool as_handed_over(const struct hr_ctx *ctx, size_t i, const char *src)
{
	const struct hr_json *om = ctx->original ? hr_json_get(ctx->original, "mounts") : NULL;
	const char *osrc = NULL;

	if (!ctx->original)
		return true;
	if (!om || om->type != HR_JSON_ARRAY || i >= om->arr.len)
		return false;
	osrc = hr_json_as_string(hr_json_get(om->arr.items[i], "source"));
	return osrc && strcmp(osrc, src) == 0;
}

/*
 * Bind mounts: those carrying uidMappings/gidMappings or an idmap option
 * (runc 1.1 cannot honour them) always, every other bind only when the
 * profile asks (idmapVolumes).  Kernel filesystems are never idmapped.
 */
static int fix_mounts(struct hr_ctx *ctx, const struct userns_settings *s, const struct plan *pl,
		      uint32_t pool_first, struct hr_json *undo, struct hr_error **err)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts"), *saved = NULL;

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		const char *src = hr_json_as_string(hr_json_get(m, "source"));
		bool asks = asks_idmap(m);
		_cleanup_free_ char *path = hr_xasprintf("mounts[%zu]", i), *view = NULL;
		uint32_t start, size;

		if (!is_bind(m) || !src || (!asks && !s->idmap_volumes) ||
		    hr_startswith(src, "/proc") || hr_startswith(src, "/sys") ||
		    hr_startswith(src, "/dev"))
			continue;
		if (!mount_mapping(ctx, m, path, pool_first, pl, &start, &size))
			continue;
		if (!as_handed_over(ctx, i, src)) {
			if (asks)
				hr_report_unfixable(ctx, path, src, "%s", NOT_HANDED_OVER);
			else
				hr_report_as(ctx, HR_ACTION_WARN, path, src, NULL, "%s",
					     NOT_HANDED_OVER);
			continue;
		}
		if (pl->placeholder) {
			hr_report_as(ctx, HR_ACTION_FIX, path, src, NULL,
				     "bind mount would be idmapped (dry run: no mount made)");
			continue;
		}
		if (hr_idmount_volume(ctx->policy, ctx->container_id, (unsigned)i, src, start, size,
				      &view, err) < 0)
			return hr_err_wrap(err, "%s", path);
		if (!saved)
			saved = hr_json_ensure_object(undo, "mounts");
		hr_json_set(saved, path + 7, hr_json_clone(m));
		hr_report_as(ctx, HR_ACTION_FIX, path, src, view,
			     "bind mount source shown through an idmapped mount");
		hr_json_set(m, "source", hr_json_new_string(view));
		hr_json_remove(m, "uidMappings");
		hr_json_remove(m, "gidMappings");
		strip_idmap_opts(m);
	}
	return 0;
}

/*
 * Will the container's network namespace belong to its user namespace?  A
 * new one (no path) does; the host's (no entry) does not; one joined by
 * path does only if its owner is the user namespace the container joins.
 */
static bool netns_owned(const struct hr_ctx *ctx, const struct plan *pl)
{
	const struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		struct stat owner, target;

		if (!t || strcmp(t, "network") != 0)
			continue;
		if (!path || !*path)
			return true;
		if (ns_owner(path, &owner) < 0)
			return true; /* unknown (dry run): leave sysfs to the runtime */
		return pl->join && stat(pl->join, &target) == 0 && target.st_dev == owner.st_dev &&
		       target.st_ino == owner.st_ino;
	}
	return false;
}

/*
 * sysfs can only be mounted by a user namespace owning the network
 * namespace.  A new user namespace in the host's network (no network
 * namespace, or a CNI netns joined by path) gets a read-only bind of the
 * host's /sys instead, as runc does for rootless containers.
 */
static void sysfs_as_bind(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i], *opts = NULL;
		const char *t = hr_json_as_string(hr_json_get(m, "type"));
		const char *d = hr_json_as_string(hr_json_get(m, "destination"));
		_cleanup_free_ char *path = NULL, *before = NULL, *after = NULL;

		if (!t || strcasecmp(t, "sysfs") != 0 || !d || strcmp(d, "/sys") != 0)
			continue;
		before = hr_json_brief(m);
		hr_json_set(m, "type", hr_json_new_string("bind"));
		hr_json_set(m, "source", hr_json_new_string("/sys"));
		opts = hr_json_new(HR_JSON_ARRAY);
		for (const char *const *o =
			 (const char *const[]){"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
		     *o; o++)
			hr_json_append(opts, hr_json_new_string(*o));
		hr_json_set(m, "options", opts);
		after = hr_json_brief(m);
		path = hr_xasprintf("mounts[%zu]", i);
		hr_report_as(ctx, HR_ACTION_FIX, path, before, after,
			     "the host's network namespace is not the container's to mount sysfs "
			     "for: read-only bind of /sys instead");
	}
}

static void add_opt(struct hr_json *m, const char *o, bool *changed)
{
	if (has_opt(m, o))
		return;
	hr_json_append(hr_json_ensure_array(m, "options"), hr_json_new_string(o));
	*changed = true;
}

/*
 * Once a user namespace owns the container's mount namespace, the flags of
 * the mount a bind source sits on are locked, and runc 1.1 remounts a bind
 * with only the flags the config names: a host tmpfs with relatime bound
 * "nosuid,nodev" fails with EPERM (CRI's /dev/shm).  Name them all.
 */
static void keep_locked_flags(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		const char *src = hr_json_as_string(hr_json_get(m, "source"));
		_cleanup_free_ char *path = NULL, *before = NULL, *after = NULL;
		bool changed = false, atime;
		struct statvfs sv;

		if (!is_bind(m) || !src || src[0] != '/' || statvfs(src, &sv) < 0 ||
		    (!hr_json_is_null(hr_json_get(m, "options")) &&
		     hr_json_get(m, "options")->type != HR_JSON_ARRAY))
			continue;
		before = hr_json_brief(hr_json_get(m, "options"));
		atime =
		    has_opt(m, "noatime") || has_opt(m, "relatime") || has_opt(m, "strictatime");
		if (sv.f_flag & ST_NOSUID)
			add_opt(m, "nosuid", &changed);
		if (sv.f_flag & ST_NODEV)
			add_opt(m, "nodev", &changed);
		if (sv.f_flag & ST_NOEXEC)
			add_opt(m, "noexec", &changed);
		if (sv.f_flag & ST_NODIRATIME)
			add_opt(m, "nodiratime", &changed);
		if (!atime)
			add_opt(m,
				sv.f_flag & ST_NOATIME	  ? "noatime"
				: sv.f_flag & ST_RELATIME ? "relatime"
							  : "strictatime",
				&changed);
		/* Last, so it wins over an "rw" the config named. */
		if ((sv.f_flag & ST_RDONLY) && !has_opt(m, "ro")) {
			hr_json_append(hr_json_ensure_array(m, "options"),
				       hr_json_new_string("ro"));
			changed = true;
		}
		if (!changed)
			continue;
		after = hr_json_brief(hr_json_get(m, "options"));
		path = hr_xasprintf("mounts[%zu].options", i);
		hr_report_as(ctx, HR_ACTION_FIX, path, before, after,
			     "flags of the source's mount are locked inside a user namespace: "
			     "named so the runtime's remount keeps them");
	}
}

/*
 * net.ipv4.ping_group_range names gids of the network namespace's user
 * namespace; ids it does not map make the write fail (EINVAL), and Docker
 * sets "0 2147483647" by default.  Clamp it to the container's ids.
 */
static void clamp_ping_range(struct hr_ctx *ctx, uint32_t size)
{
	struct hr_json *sys = hr_json_get_path(ctx->spec, "linux/sysctl");
	const char *v = hr_json_as_string(hr_json_get(sys, "net.ipv4.ping_group_range"));
	unsigned long lo = 0, hi = 0;
	char *after = NULL;

	if (!v || sscanf(v, "%lu %lu", &lo, &hi) != 2 || hi < size)
		return;
	if (lo >= size)
		lo = size - 1;
	after = hr_xasprintf("%lu %" PRIu32, lo, size - 1);
	hr_report_as(ctx, HR_ACTION_FIX, "linux.sysctl.net.ipv4.ping_group_range", v, after,
		     "gids beyond the user namespace's %" PRIu32 " cannot be written", size);
	hr_json_set(sys, "net.ipv4.ping_group_range", hr_json_new_string(after));
	free(after);
}

/*
 * mqueue, like sysfs, is mounted only by its ipc namespace's owner, and the
 * sandbox's mount cannot be bound from another mount namespace.  A pod
 * member with a user namespace of its own goes without /dev/mqueue:
 * mq_open(3) is a system call and does not need it.
 */
static void drop_mqueue(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len;) {
		struct hr_json *m = mounts->arr.items[i];
		const char *t = hr_json_as_string(hr_json_get(m, "type"));
		_cleanup_free_ char *path = NULL, *before = NULL;

		if (!t || strcmp(t, "mqueue") != 0) {
			i++;
			continue;
		}
		before = hr_json_brief(m);
		path = hr_xasprintf("mounts[%zu]", i);
		hr_report_as(ctx, HR_ACTION_FIX, path, before, NULL,
			     "the pod's ipc namespace is not the member's to mount mqueue for; "
			     "mq_open works without /dev/mqueue");
		hr_json_array_remove(mounts, i);
	}
}

/*
 * A member entering the sandbox's uts namespace from a user namespace of
 * its own may not set the name there (EPERM); the sandbox already did.
 */
static void drop_hostname(struct hr_ctx *ctx)
{
	static const char *const keys[] = {"hostname", "domainname", NULL};
	const struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");
	bool joined = false;

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		joined |= t && strcmp(t, "uts") == 0 && path && *path;
	}
	for (size_t k = 0; joined && keys[k]; k++) {
		_cleanup_free_ char *before = NULL;
		if (hr_json_is_null(hr_json_get(ctx->spec, keys[k])))
			continue;
		before = hr_json_brief(hr_json_get(ctx->spec, keys[k]));
		hr_report_as(ctx, HR_ACTION_FIX, keys[k], before, NULL,
			     "the pod's uts namespace is the sandbox's to name");
		hr_json_remove(ctx->spec, keys[k]);
	}
}

static void set_userns(struct hr_ctx *ctx, const struct plan *pl)
{
	struct hr_json *linux_ = hr_json_ensure_object(ctx->spec, "linux");
	struct hr_json *nss = linux_ ? hr_json_ensure_array(linux_, "namespaces") : NULL;
	struct hr_json *ns = hr_json_new(HR_JSON_OBJECT);

	if (!nss) {
		hr_json_free(ns);
		return;
	}
	hr_json_set(ns, "type", hr_json_new_string("user"));
	if (pl->join)
		hr_json_set(ns, "path", hr_json_new_string(pl->join));
	hr_json_append(nss, ns);
	/* runc needs the mapping even when joining: it derives host root's ids from it. */
	hr_json_set(linux_, "uidMappings", mapping(pl->start, pl->size));
	hr_json_set(linux_, "gidMappings", mapping(pl->start, pl->size));
}

static int fix_new_userns(struct hr_ctx *ctx, const struct userns_settings *s, uint32_t pool_first,
			  struct hr_error **err)
{
	struct plan pl = {0};
	_cleanup_json_ struct hr_json *undo = hr_json_new(HR_JSON_OBJECT);
	_cleanup_free_ char *after = NULL;
	int r = -1;

	/* Before anything is touched: a live container's range and mounts are its own. */
	if (ctx->container_id && hr_runtime_has(NULL, ctx->container_id))
		return hr_error_set(err, EEXIST, "container with id exists: %s", ctx->container_id);
	if (plan_range(ctx, s, pool_first, &pl, err) < 0)
		goto out;
	set_userns(ctx, &pl);
	if (!netns_owned(ctx, &pl))
		sysfs_as_bind(ctx);
	if (pl.same_map) {
		drop_mqueue(ctx);
		drop_hostname(ctx);
	}
	clamp_ping_range(ctx, pl.size);
	hr_json_set(undo, "userns", hr_json_new_bool(true));
	after = hr_xasprintf("{\"type\":\"user\"%s%s%s} 0->%" PRIu32 "+%" PRIu32,
			     pl.join ? ",\"path\":\"" : "", pl.join ? pl.join : "",
			     pl.join ? "\"" : "", pl.start, pl.size);
	hr_report_as(ctx, HR_ACTION_FIX, "linux.uidMappings", NULL, after,
		     pl.placeholder ? "dry run: container root would map to a range of its own "
				      "(placeholder: the pool start)"
		     : pl.join	    ? "joins the user namespace owning the namespaces it shares"
		     : pl.same_map
			 ? "pod member: a user namespace of its own with its sandbox's "
			   "mapping (the pod's netns belongs to the host)"
			 : "container root maps to an unprivileged host range of its own");
	if (!pl.placeholder && s->idmap_rootfs && fix_rootfs(ctx, s, &pl, undo, err) < 0)
		goto out;
	if (fix_mounts(ctx, s, &pl, pool_first, undo, err) < 0)
		goto out;
	keep_locked_flags(ctx);
	if (!pl.placeholder) {
		hr_json_set(undo, "for", hr_json_new_string(ctx->container_id));
		undo_record(ctx, undo);
	}
	r = 0;
out:
	/* A refused container never starts: leave nothing behind for it either. */
	if ((r < 0 || ctx->findings.denials) && ctx->container_id && !pl.placeholder) {
		hr_idmount_release(ctx->policy, ctx->container_id, NULL);
		if (pl.allocated)
			hr_idrange_release(ctx->policy, pl.key, NULL);
	}
	free(pl.join);
	return r;
}

static bool asks_idmap(const struct hr_json *m)
{
	return !hr_json_is_null(hr_json_get(m, "uidMappings")) ||
	       !hr_json_is_null(hr_json_get(m, "gidMappings")) || has_opt(m, "idmap") ||
	       has_opt(m, "ridmap");
}

/* warn/deny: what fix would have idmapped. */
static void report_asking_mounts(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		_cleanup_free_ char *path = NULL;
		if (!is_bind(m) || !asks_idmap(m))
			continue;
		path = hr_xasprintf("mounts[%zu]", i);
		hr_report(ctx, path, hr_json_as_string(hr_json_get(m, "source")), NULL,
			  "asks for an idmapped mount, which the lower runtime cannot make");
	}
}

/* The config brings its own user namespace: check it, never replace it. */
static int check_own_userns(struct hr_ctx *ctx, const struct userns_settings *s,
			    const struct hr_json *ns, uint32_t pool_first, struct hr_error **err)
{
	const char *path = hr_json_as_string(hr_json_get(ns, "path"));
	struct hr_json *linux_ = hr_json_get(ctx->spec, "linux");
	struct hr_json *u = NULL;
	struct userns_settings only_asked = *s;
	struct plan pl = {0};
	_cleanup_json_ struct hr_json *undo = hr_json_new(HR_JSON_OBJECT);
	uint64_t st = 0, sz = 0;
	bool bad;

	if (path && *path)
		check_join(ctx, path, pool_first);
	bad = check_mappings(ctx, "linux.uidMappings", hr_json_get(linux_, "uidMappings"),
			     pool_first);
	bad |= check_mappings(ctx, "linux.gidMappings", hr_json_get(linux_, "gidMappings"),
			      pool_first);
	if (bad)
		return 0;
	u = hr_json_get(linux_, "uidMappings");
	if (!u || u->type != HR_JSON_ARRAY || u->arr.len == 0 ||
	    !hr_json_as_uint64(hr_json_get(u->arr.items[0], "hostID"), &st) ||
	    !hr_json_as_uint64(hr_json_get(u->arr.items[0], "size"), &sz) || st + sz > UINT32_MAX)
		return 0;
	pl.start = (uint32_t)st;
	pl.size = (uint32_t)sz;
	pl.placeholder = !ctx->container_id;
	pl.own_userns = true;
	/* Only mounts asking for idmapping (runc 1.1 cannot): the orchestrator owns the rest. */
	only_asked.idmap_volumes = false;
	if (ctx->cur_action != HR_ACTION_FIX) {
		report_asking_mounts(ctx);
		return 0;
	}
	if (fix_mounts(ctx, &only_asked, &pl, pool_first, undo, err) < 0)
		return -1;
	if (!pl.placeholder && undo->obj.len) {
		hr_json_set(undo, "for", hr_json_new_string(ctx->container_id));
		undo_record(ctx, undo);
	}
	return 0;
}

static int apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct userns_settings *s = settings;
	struct hr_json *nss = NULL;
	uint32_t pool_first = 0;
	unsigned n = 0;
	long idx;

	if (ctx->in_userns) {
		hr_report_as(
		    ctx, HR_ACTION_WARN, "linux.namespaces", NULL, NULL,
		    "hardrun runs inside a user namespace (rootless): the caller's mapping "
		    "is kept; no host id range and no idmapped mounts");
		return 0;
	}
	if (undo_previous(ctx, err) < 0)
		return -1;
	if (hr_idpool_first(ctx->policy, &pool_first, err) < 0)
		return -1;
	nss = hr_spec_get(ctx->spec, "linux/namespaces", HR_JSON_ARRAY, false, err);
	if (!nss && *err)
		return -1;
	idx = user_ns_index(nss, &n);
	if (n > 1)
		hr_report_unfixable(ctx, "linux.namespaces", NULL,
				    "more than one user namespace entry");
	if (idx >= 0)
		return check_own_userns(ctx, s, nss->arr.items[idx], pool_first, err);
	if (!hr_report(ctx, "linux.namespaces", NULL, "{\"type\":\"user\"}",
		       "no user namespace: container root would be host root"))
		return 0;
	return fix_new_userns(ctx, s, pool_first, err);
}

const struct hr_rule hr_rule_userns = {
    .name = SECTION,
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
};
