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
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"
#include "userns-int.h"

#define SECTION "userns"
#define HR_UNDO HR_UNDO_ANNOTATION

struct userns_settings {
	unsigned long long range_size; /* 0: the policy's */
	bool idmap_rootfs;
	bool idmap_volumes;
	bool chown_fallback;
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
	s->idmap_volumes = true; /* only ever beneath the policy's volumeRoots */
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
	if (hr_json_get(undo, "netns") && hr_json_get(undo, "netns")->type == HR_JSON_OBJECT)
		hr_json_append(
		    hr_json_ensure_array(hr_json_ensure_object(ctx->spec, "linux"), "namespaces"),
		    hr_json_clone(hr_json_get(undo, "netns")));
	/* net.* sysctls hardrun wrote into the netns itself (userns-netns.c) */
	struct hr_json *usys = hr_json_get(undo, "sysctl");
	for (size_t i = 0; usys && usys->type == HR_JSON_OBJECT && i < usys->obj.len; i++)
		hr_json_set(
		    hr_json_ensure_object(hr_json_ensure_object(ctx->spec, "linux"), "sysctl"),
		    usys->obj.members[i].key, hr_json_clone(usys->obj.members[i].value));
	hr_json_remove(ann, HR_UNDO);
	return 0;
}

static void undo_record(struct hr_ctx *ctx, struct hr_json *undo)
{
	if (ctx->in_memory)
		return; /* the bundle is not rewritten: nothing to undo there */
	struct hr_json *ann = hr_json_ensure_object(ctx->spec, "annotations");
	_cleanup_free_ char *text = hr_json_brief(undo);

	if (ann)
		hr_json_set(ann, HR_UNDO, hr_json_new_string(text));
}

/* ---- checks on a mapping the config brings ----------------------------- */

/* Ids inside the pool are fine only within the range this container (or its pod) holds. */
static bool own_range(struct hr_ctx *ctx, uint64_t host, uint64_t size)
{
	const char *sandbox = annotation(ctx->spec, HR_CRI_SANDBOX_ID);
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
		} else if (pool_first && host < pool_first &&
			   !hr_userns_in_caller_range(ctx->policy, host, size, NULL)) {
			_cleanup_free_ char *allowed = hr_userns_caller_ranges(ctx->policy);
			hr_report_unfixable(ctx, path, b,
					    "mapping reaches host ids below the id pool (%" PRIu32
					    "), which belong to host users; %s",
					    pool_first, allowed);
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

/* ---- the fix ----------------------------------------------------------- */

/* Ask provision to claim the range: ACQUIRE (start unknown until then) or SHARE. */
static void claim(struct hr_ctx *ctx, struct hr_userns_plan *pl, enum hr_range_how how)
{
	pl->key = ctx->container_id;
	if (!ctx->plan)
		return;
	ctx->plan->range = (struct hr_range_claim){
	    .how = how,
	    .key = ctx->container_id,
	    .runtime_root = ctx->runtime_root,
	    .bundle = ctx->bundle,
	    .start = pl->start,
	    .size = pl->size,
	};
	pl->pending = how == HR_RANGE_ACQUIRE;
}

/* A sharer keeps the owner's range allocated while it lives (see hr_idrange_share). */
static int hold_shared(struct hr_ctx *ctx, struct hr_userns_plan *pl, struct hr_error **err)
{
	int in_pool = hr_idpool_check(ctx->policy, pl->start, pl->size, NULL, err);

	if (in_pool < 0)
		return -1;
	if (in_pool == 1 || in_pool == 2)
		claim(ctx, pl, HR_RANGE_SHARE);
	return 0;
}

static int plan_range(struct hr_ctx *ctx, const struct userns_settings *s, uint32_t pool_first,
		      struct hr_userns_plan *pl, struct hr_error **err)
{
	const char *type = annotation(ctx->spec, HR_CRI_TYPE);
	const char *sandbox = annotation(ctx->spec, HR_CRI_SANDBOX_ID);

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
		if (hr_userns_plan_pod_member(ctx, sandbox, pool_first, pl, err) < 0)
			return -1;
		return hold_shared(ctx, pl, err);
	}
	if (!ctx->container_id) {
		pl->placeholder = true;
		pl->start = pool_first;
		return 0;
	}
	/* The range itself is claimed by provision, once nothing was denied;
	 * until then the mapping holds the pool start.  A sandbox's pod record
	 * (members join its namespaces only by it) is written there too. */
	pl->start = pool_first;
	claim(ctx, pl, HR_RANGE_ACQUIRE);
	if (ctx->plan && type && strcmp(type, "sandbox") == 0)
		ctx->plan->range.pod_record = true;
	return 0;
}

/* At or under dir, by path components (both made real when they exist). */
static bool path_under(const char *path, const char *dir)
{
	_cleanup_free_ char *rp = hr_realpath(path), *rd = hr_realpath(dir);
	const char *p = rp ? rp : path, *d = rd ? rd : dir;
	size_t n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		n--;
	return strncmp(p, d, n) == 0 && (p[n] == '/' || p[n] == '\0' || n == 1);
}

/* hardrun's state holds other containers' idmapped views: nobody's source. */
static bool in_state_dir(const struct hr_ctx *ctx, const char *path)
{
	return path_under(path, hr_idmap_state_dir(ctx->policy));
}

/*
 * A bind from hardrun's state (another container's idmapped view, or its
 * id ranges) is refused whatever else the config asks; runs after the
 * undo, so only a config naming such a path itself meets it.
 */
static void deny_state_binds(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		const char *src = hr_json_as_string(hr_json_get(mounts->arr.items[i], "source"));
		_cleanup_free_ char *path = NULL;
		if (!src || src[0] != '/' || !in_state_dir(ctx, src))
			continue;
		path = hr_xasprintf("mounts[%zu].source", i);
		hr_report_unfixable(ctx, path, src,
				    "source inside hardrun's state directory (other containers' "
				    "views and id ranges)");
	}
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

static bool asks_idmap(const struct hr_json *m);

/*
 * The mapping a mount asks for: its own uidMappings (single extent from
 * container id 0, same for gids), else the container's.  false: unfixable.
 */
static bool mount_mapping(struct hr_ctx *ctx, const struct hr_json *m, const char *path,
			  uint32_t pool_first, const struct hr_userns_plan *pl, uint32_t *start,
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

/* The field that asked for the idmap, for the refusal's path. */
static const char *asking_field(const struct hr_json *m, size_t i, bool asks, char **buf)
{
	bool maps = !hr_json_is_null(hr_json_get(m, "uidMappings")) ||
		    !hr_json_is_null(hr_json_get(m, "gidMappings"));

	*buf = hr_xasprintf("mounts[%zu].%s", i,
			    !asks  ? "source"
			    : maps ? "uidMappings"
				   : "options");
	return *buf;
}

/*
 * Bind mounts: those asking for an idmap (uidMappings/gidMappings, or an
 * idmap option runc 1.1 cannot honour) must resolve beneath a volume root
 * or the container is refused; every other bind beneath a volume root is
 * idmapped too when the profile says so (idmapVolumes, the default), so
 * container root can write its volumes.  Nothing else is ever idmapped.
 * Only the decision is made here; the views are made by provision.
 */
static int fix_mounts(struct hr_ctx *ctx, const struct userns_settings *s,
		      const struct hr_userns_allow *a, const struct hr_userns_plan *pl,
		      uint32_t pool_first, struct hr_json *undo, struct hr_error **err)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts"), *saved = NULL;

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		const char *src = hr_json_as_string(hr_json_get(m, "source"));
		bool asks = asks_idmap(m);
		_cleanup_free_ char *path = hr_xasprintf("mounts[%zu]", i), *field = NULL;
		_cleanup_free_ char *view = NULL;
		struct hr_userns_bind b = {.index = i,
					   .source = src,
					   .asks = asks,
					   .in_range = pl->pending,
					   .recursive = hr_userns_has_opt(m, "rbind"),
					   .placeholder = pl->placeholder,
					   .owner = pl->start};
		int r;

		if (!hr_userns_is_bind(m) || !src || (!asks && !s->idmap_volumes))
			continue;
		b.field = asking_field(m, i, asks, &field);
		if (!mount_mapping(ctx, m, path, pool_first, pl, &b.start, &b.size))
			continue;
		if (!as_handed_over(ctx, i, src)) {
			if (asks)
				hr_report_unfixable(ctx, path, src, "%s", NOT_HANDED_OVER);
			continue;
		}
		if ((r = hr_userns_decide_bind(ctx, a, &b, err)) < 0)
			return hr_err_wrap(err, "%s", path);
		if (r == 0)
			continue;
		if (pl->placeholder) {
			hr_report_as(ctx, HR_ACTION_FIX, path, src, NULL,
				     "bind mount would be idmapped (dry run: no mount made)");
			continue;
		}
		view = hr_xasprintf("%s/mounts/%s/vol%zu", hr_idmap_state_dir(ctx->policy),
				    ctx->container_id, i);
		if (!saved)
			saved = hr_json_ensure_object(undo, "mounts");
		hr_json_set(saved, path + 7, hr_json_clone(m));
		hr_report_as(ctx, HR_ACTION_FIX, path, src, view,
			     "bind mount source (beneath a volume root) shown through an idmapped "
			     "mount");
		hr_json_remove(m, "uidMappings");
		hr_json_remove(m, "gidMappings");
		strip_idmap_opts(m);
	}
	return 0;
}

static void set_userns(struct hr_ctx *ctx, const struct hr_userns_plan *pl)
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
	hr_json_set(linux_, "uidMappings", hr_id_mapping_json(pl->start, pl->size));
	hr_json_set(linux_, "gidMappings", hr_id_mapping_json(pl->start, pl->size));
}

static int fix_new_userns(struct hr_ctx *ctx, const struct userns_settings *s, uint32_t pool_first,
			  struct hr_error **err)
{
	struct hr_userns_plan pl = {0};
	struct hr_userns_allow a;
	_cleanup_json_ struct hr_json *undo = hr_json_new(HR_JSON_OBJECT);
	_cleanup_free_ char *after = NULL;
	int r = -1;

	/* Before anything is touched: a live container's range and mounts are its own. */
	if (ctx->container_id && hr_runtime_has(ctx->runtime_root, ctx->container_id))
		return hr_error_set(err, EEXIST, "container with id exists: %s", ctx->container_id);
	hr_userns_allow_load(ctx, &a);
	if (plan_range(ctx, s, pool_first, &pl, err) < 0)
		goto out;
	set_userns(ctx, &pl);
	hr_userns_adjust_shared(ctx, &pl);
	if (hr_userns_preenter_netns(ctx, &pl, undo, err) < 0)
		goto out;
	hr_json_set(undo, "userns", hr_json_new_bool(true));
	after = pl.pending ? hr_xasprintf("{\"type\":\"user\"} 0->(a range of its own, claimed "
					  "once nothing is denied)+%" PRIu32,
					  pl.size)
			   : hr_xasprintf("{\"type\":\"user\"%s%s%s} 0->%" PRIu32 "+%" PRIu32,
					  pl.join ? ",\"path\":\"" : "", pl.join ? pl.join : "",
					  pl.join ? "\"" : "", pl.start, pl.size);
	hr_report_as(ctx, HR_ACTION_FIX, "linux.uidMappings", NULL, after,
		     pl.placeholder ? "dry run: container root would map to a range of its own "
				      "(placeholder: the pool start)"
		     : pl.join	    ? "joins the user namespace owning the namespaces it shares"
			       : "container root maps to an unprivileged host range of its own");
	/* The same decisions for check (placeholder) and create: only the plan differs. */
	if (s->idmap_rootfs && hr_userns_decide_rootfs(ctx, &a, &pl, undo, err) < 0)
		goto out;
	if (fix_mounts(ctx, s, &a, &pl, pool_first, undo, err) < 0)
		goto out;
	if (ctx->plan) {
		ctx->plan->chown_fallback = s->chown_fallback || ctx->policy->idmap_chown_fallback;
		ctx->plan->in_memory = ctx->in_memory;
	}
	hr_userns_keep_locked_flags(ctx);
	if (!pl.placeholder) {
		hr_json_set(undo, "for", hr_json_new_string(ctx->container_id));
		undo_record(ctx, undo);
	}
	r = 0;
out:
	hr_userns_allow_free(&a);
	free(pl.join);
	return r;
}

static bool asks_idmap(const struct hr_json *m)
{
	return !hr_json_is_null(hr_json_get(m, "uidMappings")) ||
	       !hr_json_is_null(hr_json_get(m, "gidMappings")) || hr_userns_has_opt(m, "idmap") ||
	       hr_userns_has_opt(m, "ridmap");
}

/* warn/deny: what fix would have idmapped. */
static void report_asking_mounts(struct hr_ctx *ctx)
{
	struct hr_json *mounts = hr_json_get(ctx->spec, "mounts");

	for (size_t i = 0; mounts && mounts->type == HR_JSON_ARRAY && i < mounts->arr.len; i++) {
		struct hr_json *m = mounts->arr.items[i];
		_cleanup_free_ char *path = NULL;
		if (!hr_userns_is_bind(m) || !asks_idmap(m))
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
	struct hr_userns_plan pl = {0};
	_cleanup_json_ struct hr_json *undo = hr_json_new(HR_JSON_OBJECT);
	uint64_t st = 0, sz = 0;
	bool bad;

	if (path && *path)
		hr_userns_check_join(ctx, path, pool_first);
	bad = check_mappings(ctx, "linux.uidMappings", hr_json_get(linux_, "uidMappings"),
			     pool_first);
	bad |= check_mappings(ctx, "linux.gidMappings", hr_json_get(linux_, "gidMappings"),
			      pool_first);
	if (bad)
		return 0;
	hr_userns_claim_caller(ctx, linux_);
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
	struct hr_userns_allow a;
	hr_userns_allow_load(ctx, &a);
	int r = fix_mounts(ctx, &only_asked, &a, &pl, pool_first, undo, err);
	hr_userns_allow_free(&a);
	if (r < 0)
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
	deny_state_binds(ctx);
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

/*
 * exec: runc enters the container's user namespace first; a network
 * namespace hardrun entered for the container at create (see
 * hr_userns_preenter_netns) is entered here the same way.
 */
static int apply_process(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	(void)settings;
	if (ctx->in_userns || !ctx->container_id)
		return 0;
	return hr_userns_enter_init_netns(ctx->runtime_root, ctx->container_id, err);
}

const struct hr_rule hr_rule_userns = {
    .name = SECTION,
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
    .apply_process = apply_process,
};
