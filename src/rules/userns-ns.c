/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The userns rule's view of namespaces a container shares with others: pod
 * sandboxes, docker's container:X modes, the host's network, and what only
 * the owner of such a namespace may do (see userns-int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/json.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "userns-int.h"

static int ns_owner(const char *path, struct stat *owner);

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
void hr_userns_check_join(struct hr_ctx *ctx, const char *path, uint32_t pool_first)
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

/* init pid of a container of the lower runtime (runc's state.json under root). */
static int sandbox_pid(const char *root, const char *sandbox, long *pid, struct hr_error **err)
{
	_cleanup_free_ char *path =
	    hr_xasprintf("%s/%s/state.json", hr_runtime_root(root), sandbox);
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

int hr_userns_plan_pod_member(const char *root, const char *sandbox, uint32_t pool_first,
			      struct hr_userns_plan *pl, struct hr_error **err)
{
	long pid = 0;
	_cleanup_free_ char *ns = NULL;

	if (sandbox_pid(root, sandbox, &pid, err) < 0)
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
	pl->join = hr_steal_ptr(&ns);
	return 0;
}

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
int hr_userns_plan_joined(struct hr_ctx *ctx, uint32_t pool_first, struct hr_userns_plan *pl,
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

bool hr_userns_is_bind(const struct hr_json *m)
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

bool hr_userns_has_opt(const struct hr_json *m, const char *want)
{
	const struct hr_json *opts = hr_json_get(m, "options");

	for (size_t i = 0; opts && opts->type == HR_JSON_ARRAY && i < opts->arr.len; i++) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		if (o && strcmp(o, want) == 0)
			return true;
	}
	return false;
}

/*
 * Will the container's network namespace belong to its user namespace?  A
 * new one (no path) does; the host's (no entry) does not; one joined by
 * path does only if its owner is the user namespace the container joins.
 */
static bool netns_owned(const struct hr_ctx *ctx, const struct hr_userns_plan *pl)
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
	if (hr_userns_has_opt(m, o))
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
void hr_userns_keep_locked_flags(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		const char *src = hr_json_as_string(hr_json_get(m, "source"));
		_cleanup_free_ char *path = NULL, *before = NULL, *after = NULL;
		bool changed = false, atime;
		struct statvfs sv;

		if (!hr_userns_is_bind(m) || !src || src[0] != '/' || statvfs(src, &sv) < 0 ||
		    (!hr_json_is_null(hr_json_get(m, "options")) &&
		     hr_json_get(m, "options")->type != HR_JSON_ARRAY))
			continue;
		before = hr_json_brief(hr_json_get(m, "options"));
		atime = hr_userns_has_opt(m, "noatime") || hr_userns_has_opt(m, "relatime") ||
			hr_userns_has_opt(m, "strictatime");
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
		if ((sv.f_flag & ST_RDONLY) && !hr_userns_has_opt(m, "ro")) {
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

/* net.* sysctls need the netns entry runc checks them against. */
static bool has_net_sysctl(const struct hr_ctx *ctx)
{
	const struct hr_json *sys = hr_json_get_path(ctx->spec, "linux/sysctl");

	for (size_t i = 0; sys && sys->type == HR_JSON_OBJECT && i < sys->obj.len; i++)
		if (strncmp(sys->obj.members[i].key, "net.", 4) == 0)
			return true;
	return false;
}

static int enter_netns(const char *path, struct hr_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		return hr_error_set(err, errno, "enter network namespace %s", path);
	return 0;
}

static bool pod_sandbox(const struct hr_ctx *ctx)
{
	const char *t =
	    hr_json_as_string(hr_json_get(hr_json_get(ctx->spec, "annotations"), HR_CRI_TYPE));
	return t && strcmp(t, "sandbox") == 0;
}

/*
 * Binding ports below 1024 takes CAP_NET_BIND_SERVICE in the user namespace
 * owning the netns, which the pod's root no longer has in a CNI netns made
 * by the host.  The pod's own netns (never the host's: this runs only after
 * entering the pod's) lets every port be bound, as containerd 2 does for
 * pods and Kubernetes counts among its safe sysctls.
 */
static int open_low_ports(struct hr_ctx *ctx, struct hr_error **err)
{
	const char *file = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
	_cleanup_free_ char *before = NULL;

	if (ctx->container_id) {
		_cleanup_close_ int fd = -1;
		if (hr_read_file_at(AT_FDCWD, file, 64, &before, NULL, NULL) == 0)
			before[strcspn(before, "\n")] = '\0';
		fd = open(file, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0\n", 2) != 2)
			return hr_error_set(err, errno, "write %s in the pod's netns", file);
	}
	hr_report_as(ctx, HR_ACTION_FIX, "linux.sysctl.net.ipv4.ip_unprivileged_port_start", before,
		     "0",
		     "pod root holds no capability in the host-made pod netns: low ports "
		     "opened in that netns only");
	return 0;
}

/*
 * runc 1.1 enters a user namespace before every other namespace, for create
 * and for exec alike, and from inside it cannot enter a network namespace
 * its user namespace does not own (a CNI netns containerd made as host
 * root): EPERM.  So hardrun enters that netns itself, before the runtime
 * runs, and drops it from the config; the runtime and the container
 * inherit it.  `hardrun exec` does the same from the container's init
 * (hr_userns_enter_init_netns).  Only with a container id: a dry run just
 * shows the rewrite.
 */
int hr_userns_preenter_netns(struct hr_ctx *ctx, const struct hr_userns_plan *pl,
			     struct hr_json *undo, struct hr_error **err)
{
	struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		_cleanup_free_ char *before = NULL;

		if (!t || strcmp(t, "network") != 0 || !path || !*path || netns_owned(ctx, pl))
			continue;
		before = hr_json_brief(nss->arr.items[i]);
		if (has_net_sysctl(ctx)) {
			hr_report_unfixable(
			    ctx, "linux.sysctl", NULL,
			    "net.* sysctls cannot be set from the container's user "
			    "namespace in network namespace %s, which it does not own",
			    path);
			return 0;
		}
		if (ctx->container_id && enter_netns(path, err) < 0)
			return -1;
		if (pod_sandbox(ctx) && open_low_ports(ctx, err) < 0)
			return -1;
		hr_report_as(ctx, HR_ACTION_FIX, "linux.namespaces", before, NULL,
			     "network namespace entered by hardrun before the runtime: runc 1.1 "
			     "enters the user namespace first and could not enter it after");
		/* A later container from this bundle must get its netns back. */
		hr_json_set(undo, "netns", hr_json_clone(nss->arr.items[i]));
		hr_json_array_remove(nss, i);
		return 0;
	}
	return 0;
}

int hr_userns_enter_init_netns(const char *root, const char *id, struct hr_error **err)
{
	long pid = 0;
	_cleanup_free_ char *ns = NULL;
	struct hr_error *e = NULL;

	/* No such container (yet): the runtime reports that, not us. */
	if (!id || sandbox_pid(root, id, &pid, &e) < 0) {
		hr_error_clear(&e);
		return 0;
	}
	ns = hr_xasprintf("/proc/%ld/ns/net", pid);
	if (same_ns(ns, "/proc/self/ns/net"))
		return 0;
	return enter_netns(ns, err);
}

void hr_userns_adjust_shared(struct hr_ctx *ctx, const struct hr_userns_plan *pl)
{
	if (!netns_owned(ctx, pl))
		sysfs_as_bind(ctx);
	clamp_ping_range(ctx, pl->size);
}
