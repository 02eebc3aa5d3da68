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
#include "hardrun/nsinfo.h"
#include "hardrun/podrec.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "userns-int.h"

/* A pod whose user namespace is not yet pinned in its record: provision pins it. */
static void plan_pin(const struct hr_ctx *ctx, const char *sandbox, const struct hr_pod *pod)
{
	if (pod->pinned || !ctx->plan || !ctx->container_id || ctx->plan->pod_pin)
		return;
	ctx->plan->pod_pin = hr_xstrdup(sandbox);
}

int hr_userns_pod_of(const struct hr_ctx *ctx, struct hr_pod *pod, struct hr_error **err)
{
	int r = hr_pod_of(ctx->policy, ctx->spec, ctx->runtime_root, pod, err);

	if (r == 1)
		plan_pin(ctx,
			 hr_json_as_string(
			     hr_json_get_path(ctx->spec, "annotations/" HR_CRI_SANDBOX_ID)),
			 pod);
	return r;
}

/* A user namespace joined by path: only the pod's, as hardrun's records know it. */
void hr_userns_check_join(struct hr_ctx *ctx, const char *path, uint32_t pool_first)
{
	struct hr_ns_facts f;
	struct hr_pod pod = {0};
	struct hr_nsid self = {0};
	struct hr_error *e = NULL;
	int havepod;

	(void)pool_first;
	if (hr_ns_resolve(path, &f, &e) < 0) {
		/* pid 1's links may be unreadable (ptrace rules): still the host's */
		hr_report_unfixable(
		    ctx, "linux.namespaces", path, "%s%s", e->msg,
		    strcmp(path, "/proc/1/ns/user") == 0 ? ": joins the host user namespace" : "");
		hr_error_clear(&e);
		return;
	}
	havepod = hr_userns_pod_of(ctx, &pod, &e);
	if (havepod < 0) {
		hr_report_unfixable(ctx, "linux.namespaces", path, "%s", e->msg);
		hr_error_clear(&e);
		return;
	}
	hr_ns_self(CLONE_NEWUSER, &self);
	switch (hr_ns_judge(&f, CLONE_NEWUSER, &self, havepod ? &pod.userns : NULL)) {
	case HR_NS_POD:
		return;
	case HR_NS_WRONG_TYPE:
		hr_report_unfixable(ctx, "linux.namespaces", path,
				    "the user namespace path is a namespace of another type");
		return;
	case HR_NS_HOST:
	case HR_NS_HOST_OWNED:
		hr_report_unfixable(ctx, "linux.namespaces", path,
				    "joins the host user namespace: container root would be host "
				    "root");
		return;
	case HR_NS_FOREIGN:
		hr_report_unfixable(ctx, "linux.namespaces", path,
				    "joins a user namespace hardrun did not make for this "
				    "container's pod (its records, not annotations, decide)");
		return;
	}
}

int hr_userns_plan_pod_member(struct hr_ctx *ctx, const char *sandbox, uint32_t pool_first,
			      struct hr_userns_plan *pl, struct hr_error **err)
{
	struct hr_pod pod = {0};
	int r = hr_pod_lookup(ctx->policy, sandbox, ctx->runtime_root, &pod, err);

	if (r < 0)
		return -1;
	if (r == 0)
		return hr_error_set(err, 0,
				    "annotations.%s: `%s` is not a pod sandbox hardrun made under "
				    "this runtime root; its namespaces are not this container's",
				    HR_CRI_SANDBOX_ID, sandbox);
	if (pod.start < pool_first)
		return hr_error_set(err, 0,
				    "pod sandbox `%s` maps container root to host id %" PRIu32
				    ", outside the id pool",
				    sandbox, pod.start);
	plan_pin(ctx, sandbox, &pod);
	pl->start = pod.start;
	pl->size = pod.size;
	pl->key = sandbox;
	pl->join = hr_xasprintf("/proc/%ld/ns/user", pod.pid);
	return 0;
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
bool hr_userns_netns_owned(const struct hr_ctx *ctx, const struct hr_userns_plan *pl)
{
	const struct hr_json *nss = hr_json_get_path(ctx->spec, "linux/namespaces");

	for (size_t i = 0; nss && nss->type == HR_JSON_ARRAY && i < nss->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(nss->arr.items[i], "type"));
		const char *path = hr_json_as_string(hr_json_get(nss->arr.items[i], "path"));
		struct hr_ns_facts net, user;
		struct hr_error *e = NULL;

		if (!t || strcmp(t, "network") != 0)
			continue;
		if (!path || !*path)
			return true;
		if (hr_ns_resolve(path, &net, &e) < 0) {
			/* not a namespace (the namespaces rule refuses it), or a dry
			 * run without it: leave sysfs to the runtime */
			hr_error_clear(&e);
			return true;
		}
		if (!pl->join || hr_ns_resolve(pl->join, &user, &e) < 0) {
			hr_error_clear(&e);
			return false;
		}
		return net.owner_known && hr_nsid_eq(&net.owner, &user.id);
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

void hr_userns_adjust_shared(struct hr_ctx *ctx, const struct hr_userns_plan *pl)
{
	if (!hr_userns_netns_owned(ctx, pl))
		sysfs_as_bind(ctx);
	hr_userns_clamp_ping_range(ctx, pl->size);
}

/* The policy's userns.callerRanges, for refusals: "" or ", a-b (policy), ..." */
static char *policy_ranges_text(const struct hr_policy *p)
{
	char *t = hr_xstrdup("");

	for (size_t i = 0; i < p->n_caller_ranges; i++) {
		const struct hr_caller_range *r = &p->caller_ranges[i];
		char *n = hr_xasprintf("%s, %" PRIu32 "-%" PRIu64 "%s", t, r->start,
				       (uint64_t)r->start + r->size - 1,
				       r->shared ? " (policy, shared)" : " (policy)");
		free(t);
		t = n;
	}
	return t;
}

char *hr_userns_caller_ranges(const struct hr_policy *p)
{
	uint32_t first = 0;
	uint64_t end = 0;
	_cleanup_free_ char *pol = policy_ranges_text(p);

	if (hr_idpool_bounds(p, &first, &end, NULL) < 0 || end >= UINT32_MAX)
		return hr_xasprintf("allowed: the container's own range in hardrun's pool%s", pol);
	return hr_xasprintf("allowed: the container's own range in hardrun's pool (%" PRIu32
			    "-%" PRIu64 "), host ids %" PRIu64 "-4294967294 (above the pool)%s; "
			    "each used by one live container only unless shared; for others, "
			    "list them in the policy's userns.callerRanges",
			    first, end - 1, end, pol);
}

bool hr_userns_in_caller_range(const struct hr_policy *p, uint64_t start, uint64_t size,
			       bool *shared)
{
	for (size_t i = 0; i < p->n_caller_ranges; i++) {
		const struct hr_caller_range *r = &p->caller_ranges[i];
		struct hr_idext e = {'u', start, size}, in = {'u', r->start, r->size};
		if (hr_idext_inside(&e, &in, 1)) {
			if (shared)
				*shared = r->shared;
			return true;
		}
	}
	return false;
}

/* Extents of one mapping field that lie outside hardrun's pool. */
static size_t caller_extents(struct hr_ctx *ctx, const struct hr_json *arr, char kind,
			     struct hr_idext *ext, size_t n, size_t cap)
{
	for (size_t i = 0; arr && arr->type == HR_JSON_ARRAY && i < arr->arr.len && n < cap; i++) {
		uint64_t host = 0, size = 0;
		if (!hr_json_as_uint64(hr_json_get(arr->arr.items[i], "hostID"), &host) ||
		    !hr_json_as_uint64(hr_json_get(arr->arr.items[i], "size"), &size) ||
		    hr_idpool_check(ctx->policy, host, size, NULL, NULL) != 0)
			continue; /* malformed, or in the pool: check_mappings judged it */
		ext[n++] = (struct hr_idext){kind, host, size};
	}
	return n;
}

/*
 * A mapping the caller brought, outside hardrun's pool: it must lie above
 * the pool, and no other live container may map any of its ids (two
 * containers sharing host ids share files and signals).  Decided here on
 * the claims as they are; the claim itself goes into the plan (provision
 * writes it with the container id, released with the container's records).
 */
void hr_userns_claim_caller(struct hr_ctx *ctx, const struct hr_json *linux_)
{
	struct hr_idext ext[64], above;
	uint32_t first = 0;
	uint64_t end = 0;
	size_t n = caller_extents(ctx, hr_json_get(linux_, "uidMappings"), 'u', ext, 0, 64);
	_cleanup_free_ char *allowed = hr_userns_caller_ranges(ctx->policy), *holder = NULL;
	struct hr_error *e = NULL;

	n = caller_extents(ctx, hr_json_get(linux_, "gidMappings"), 'g', ext, n, 64);
	if (n == 0)
		return;
	if (hr_idpool_bounds(ctx->policy, &first, &end, &e) < 0) {
		hr_report_unfixable(ctx, "linux.uidMappings", NULL, "%s", e->msg);
		hr_error_clear(&e);
		return;
	}
	above = (struct hr_idext){'u', end, end < UINT32_MAX ? UINT32_MAX - end : 0};
	for (size_t i = 0; i < n; i++) {
		bool shared = false;
		if (hr_userns_in_caller_range(ctx->policy, ext[i].start, ext[i].size, &shared)) {
			if (shared) /* the policy lets containers share these: no claim */
				ext[i--] = ext[--n];
			continue;
		}
		if (!hr_idext_inside(&ext[i], &above, 1)) {
			_cleanup_free_ char *b =
			    hr_xasprintf("%" PRIu64 "+%" PRIu64, ext[i].start, ext[i].size);
			hr_report_unfixable(
			    ctx, ext[i].kind == 'u' ? "linux.uidMappings" : "linux.gidMappings", b,
			    "host ids outside the ranges a caller's mapping may use; %s", allowed);
			return;
		}
	}
	if (n == 0)
		return;
	/* Decided on the records as they are; provision claims under the lock. */
	if (hr_idclaim_holder(ctx->policy, ctx->container_id, ext, n, &holder) == 1) {
		hr_report_unfixable(ctx, "linux.uidMappings", NULL,
				    "host ids of this mapping are already mapped by live container "
				    "`%s`: each container's ids must be its own; %s",
				    holder, allowed);
		return;
	}
	if (!ctx->container_id || !ctx->plan)
		return;
	memcpy(ctx->plan->callers.ext, ext, n * sizeof(*ext));
	ctx->plan->callers.n = n;
}
