/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `mounts`: no bind of sensitive host paths, nosuid/nodev on
 * every bind, no shared propagation towards the host, a read-only /sys, no
 * second procfs/sysfs that would escape the masks, and the standard masked
 * and read-only paths always present.
 *
 * Host paths are matched twice: after lexical normalisation and after
 * resolving symlinks on the host the way the kernel will when runc mounts
 * them, so `/tmp/x -> /var/run/docker.sock` is seen as the socket.  A bind
 * source is then judged by identity (device and inode), since a hardlink or
 * a bind mount of a denied file carries no trace of its name, and a UNIX
 * socket must be listed in `allowSockets` (default: none).  The source is
 * opened once and that object is what is judged and what the runtime is
 * handed (a view under hardrun's state dir, made by provision), so a
 * symlink swapped after the decision changes nothing (mounts-src.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/mountsrc.h"
#include "hardrun/path.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"
#include "mounts-int.h"

#define SECTION "mounts"

/*
 * Deny-list entry syntax: "/path" denies the path and every parent of it (a
 * bind of /var exposes /var/lib/docker); a trailing "/" "**" also denies
 * everything below it; a ":rw" suffix applies the entry only to writable
 * mounts.  Storage directories (/var/lib/docker, /var/lib/kubelet) are not
 * subtrees: the engines bind per-container files (resolv.conf, volumes)
 * from below them.
 */
static const char *const default_deny[] = {
    "/",
    "/etc",
    "/etc/kubernetes/**",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/ssh/**",
    "/etc/hardrun/**",
    "/proc/**",
    "/sys/**:rw",
    "/dev/**",
    "/boot/**",
    "/lib/modules/**",
    "/usr/lib/modules/**",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/docker/**",
    "/run/containerd",
    "/var/run/containerd",
    "/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock.ttrpc",
    "/run/containerd/s/**",
    "/run/containerd/runc/**",
    "/run/containerd/io.containerd.runtime.v2.task/**",
    "/run/k3s/containerd/containerd.sock",
    "/run/crio/**",
    "/var/run/crio/crio.sock",
    "/run/podman/**",
    "/run/dockershim.sock",
    "/run/cri-dockerd.sock",
    "/run/buildkit/**",
    "/run/systemd/private",
    "/run/dbus/**", /* the system bus socket is 0666: any uid may talk to systemd, polkit */
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pki/**",
    "/run/runc/**",
    "/run/hardrun/**",
    "/root/**",
    NULL,
};

static const char *const default_masked[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};

static const char *const default_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void free_settings(void *p)
{
	struct mounts_settings *s = p;

	if (!s)
		return;
	for (size_t i = 0; i < s->n_deny; i++) {
		free(s->deny[i].path);
		free(s->deny[i].text);
	}
	free(s->deny);
	hr_strv_free(s->masked);
	hr_strv_free(s->readonly);
	hr_strv_free(s->allow_sockets);
	free(s);
}

static int add_deny(struct mounts_settings *s, const char *text, const char *file,
		    struct hr_error **err)
{
	_cleanup_free_ char *t = hr_xstrdup(text);
	struct deny_entry e = {0};
	size_t n = strlen(t);

	if (n > 3 && strcmp(t + n - 3, ":rw") == 0) {
		e.rw_only = true;
		t[n -= 3] = '\0';
	}
	if (n > 3 && strcmp(t + n - 3, "/**") == 0) {
		e.subtree = true;
		t[n -= 3] = '\0';
	}
	if (t[0] != '/')
		return hr_error_set(err, 0, "%s: %s.denyHostPaths: `%s` is not an absolute path",
				    file, SECTION, text);
	e.path = hr_mounts_normalise(t);
	e.text = hr_xstrdup(text);
	s->deny = hr_xrealloc(s->deny, (s->n_deny + 1) * sizeof(*s->deny));
	s->deny[s->n_deny++] = e;
	return 0;
}

static int get_list(const struct hr_json *section, const char *key, const char *const def[],
		    char ***out, const char *file, struct hr_error **err)
{
	if (section && hr_policy_get_strv(section, key, out, file, SECTION, err) < 0)
		return -1;
	if (!*out)
		*out = hr_strv_dup((char *const *)def);
	for (char **p = *out; *p; p++)
		if ((*p)[0] != '/')
			return hr_error_set(err, 0, "%s: %s.%s: `%s` is not an absolute path", file,
					    SECTION, key, *p);
	return 0;
}

static int parse(const struct hr_json *section, const char *file, void **settings,
		 struct hr_error **err)
{
	static const char *const keys[] = {"denyHostPaths", "readonlyRootfs", "maskedPaths",
					   "readonlyPaths", "allowSockets",   NULL};
	static const char *const no_sockets[] = {NULL};
	struct mounts_settings *s = hr_xcalloc(1, sizeof(*s));
	_cleanup_strv_ char **deny = NULL;

	if (section && hr_policy_check_keys(section, file, SECTION, keys, err) < 0)
		goto fail;
	if (get_list(section, "denyHostPaths", default_deny, &deny, file, err) < 0)
		goto fail;
	for (char **p = deny; *p; p++)
		if (add_deny(s, *p, file, err) < 0)
			goto fail;
	if (section && hr_policy_get_bool(section, "readonlyRootfs", &s->readonly_rootfs, file,
					  SECTION, err) < 0)
		goto fail;
	if (get_list(section, "maskedPaths", default_masked, &s->masked, file, err) < 0 ||
	    get_list(section, "readonlyPaths", default_readonly, &s->readonly, file, err) < 0 ||
	    get_list(section, "allowSockets", no_sockets, &s->allow_sockets, file, err) < 0)
		goto fail;
	for (char **p = s->allow_sockets; *p; p++) {
		char *n = hr_mounts_normalise(*p);
		free(*p);
		*p = n;
	}
	*settings = s;
	return 0;
fail:
	free_settings(s);
	return -1;
}

/* Every element of a mount's options must be a string: runc would refuse anything else. */
static int options_of(struct hr_json *m, size_t i, struct hr_json **opts, struct hr_error **err)
{
	*opts = hr_json_get(m, "options");
	if (hr_json_is_null(*opts)) {
		*opts = NULL;
		return 0;
	}
	if ((*opts)->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "mounts[%zu].options: expected array, got %s", i,
				    hr_json_type_name((*opts)->type));
	for (size_t k = 0; k < (*opts)->arr.len; k++)
		if (!hr_json_as_string((*opts)->arr.items[k]))
			return hr_error_set(err, 0, "mounts[%zu].options[%zu]: expected string", i,
					    k);
	return 0;
}

/* Loose on purpose: anything that might be a bind is checked as one. */
static bool is_bind(const char *type, const struct hr_json *opts)
{
	if (type && strcasecmp(type, "bind") == 0)
		return true;
	for (size_t k = 0; opts && k < opts->arr.len; k++) {
		const char *o = hr_json_as_string(opts->arr.items[k]);
		if (strcasecmp(o, "bind") == 0 || strcasecmp(o, "rbind") == 0)
			return true;
	}
	return false;
}

/* Rewrite options: drop every `drop` string, then append `add` when missing. */
static void edit_opts(struct hr_json *m, const char *const drop[], const char *const add[])
{
	struct hr_json *opts = hr_json_ensure_array(m, "options");

	for (size_t k = opts->arr.len; k-- > 0;) {
		const char *o = hr_json_as_string(opts->arr.items[k]);
		for (size_t d = 0; drop && drop[d]; d++)
			if (strcmp(o, drop[d]) == 0) {
				hr_json_array_remove(opts, k);
				break;
			}
	}
	for (size_t a = 0; add && add[a]; a++)
		if (!hr_mounts_has_opt(opts, add[a]))
			hr_json_append(opts, hr_json_new_string(add[a]));
}

/*
 * Additive hardening (nosuid/nodev, read-only /sys, masked paths, a required
 * read-only root) takes nothing a workload legitimately needs from the host,
 * so `deny` applies it as a fix instead of refusing the container; only
 * `warn` leaves it undone.  Everything that exposes the host is per action.
 */
static bool harden(struct hr_ctx *ctx, const char *path, const char *before, const char *after,
		   const char *reason)
{
	if (ctx->cur_action == HR_ACTION_DENY) {
		hr_report_as(ctx, HR_ACTION_FIX, path, before, after, "%s", reason);
		return true;
	}
	return hr_report(ctx, path, before, after, "%s", reason);
}

/* Report a needed option rewrite; apply it when the action (or `always`) says so. */
static void fix_opts(struct hr_ctx *ctx, struct hr_json *m, size_t i, const char *const drop[],
		     const char *const add[], bool always, const char *reason)
{
	_cleanup_json_ struct hr_json *copy = hr_json_clone(m);
	_cleanup_free_ char *path = hr_xasprintf("mounts[%zu].options", i);
	_cleanup_free_ char *before = NULL;
	_cleanup_free_ char *after = NULL;

	edit_opts(copy, drop, add);
	before = hr_json_brief(hr_json_get(m, "options"));
	after = hr_json_brief(hr_json_get(copy, "options"));
	if (always ? harden(ctx, path, before, after, reason)
		   : hr_report(ctx, path, before, after, "%s", reason))
		edit_opts(m, drop, add);
}

/*
 * The userns rule runs first and may have replaced a bind source with an
 * idmapped view under hardrun's state directory: what the container sees
 * through it is the original source, so that is what must be judged.  A
 * view without an original stays as it is and meets the deny list.
 */
static const char *effective_source(struct hr_ctx *ctx, const struct hr_json *m, size_t i,
				    const char *src)
{
	const char *sd = ctx->policy ? ctx->policy->state_dir : NULL;
	const struct hr_json *om = ctx->original ? hr_json_get(ctx->original, "mounts") : NULL;

	if (!src || !sd || !*sd || !om || om->type != HR_JSON_ARRAY || i >= om->arr.len)
		return src;
	_cleanup_free_ char *n = hr_mounts_normalise(src);
	_cleanup_free_ char *d = hr_mounts_normalise(sd);
	const struct hr_json *o = om->arr.items[i];
	const char *osrc = hr_json_as_string(hr_json_get(o, "source"));
	const char *odst = hr_json_as_string(hr_json_get(o, "destination"));
	const char *dst = hr_json_as_string(hr_json_get(m, "destination"));
	if (!hr_mounts_path_under(n, d) || !osrc || !odst || !dst || strcmp(odst, dst) != 0)
		return src;
	return osrc;
}

static void check_bind(struct hr_ctx *ctx, const struct mounts_settings *s,
		       const struct host_ids *h, struct hr_json *m, size_t i, const char *src,
		       struct hr_json *opts)
{
	static const char *const nosuid_drop[] = {"suid", "dev", NULL};
	static const char *const nosuid_add[] = {"nosuid", "nodev", NULL};
	static const char *const shared_drop[] = {"shared", "rshared", NULL};
	static const char *const shared_add[] = {"rprivate", NULL};
	_cleanup_free_ char *where = hr_xasprintf("mounts[%zu].source", i);

	src = effective_source(ctx, m, i, src);
	if (src)
		hr_mounts_judge_source(ctx, s, h, where, i, src, opts);
	if (!hr_mounts_has_opt(opts, "nosuid") || !hr_mounts_has_opt(opts, "nodev") ||
	    hr_mounts_has_opt(opts, "suid") || hr_mounts_has_opt(opts, "dev"))
		fix_opts(ctx, m, i, nosuid_drop, nosuid_add, true,
			 "bind mounts must be nosuid,nodev: a setuid binary or device node "
			 "from the host must not work in the container");
	opts = hr_json_get(m, "options");
	if (hr_mounts_has_opt(opts, "shared") || hr_mounts_has_opt(opts, "rshared"))
		fix_opts(ctx, m, i, shared_drop, shared_add, false,
			 "shared propagation would let container mounts appear on the host");
}

/* procfs and sysfs: only at their place, sysfs read-only; elsewhere they escape the masks. */
static void check_kernfs(struct hr_ctx *ctx, struct hr_json *m, size_t i, const char *type,
			 const char *dest, struct hr_json *opts)
{
	static const char *const ro_drop[] = {"rw", NULL};
	static const char *const ro_add[] = {"ro", NULL};
	_cleanup_free_ char *d = hr_mounts_normalise(dest ? dest : "/");
	_cleanup_free_ char *where = hr_xasprintf("mounts[%zu].destination", i);
	bool proc = strcasecmp(type, "proc") == 0;

	if (strcmp(d, proc ? "/proc" : "/sys") != 0) {
		hr_report_unfixable(ctx, where, dest,
				    "a second %s at `%s` would bypass the masked and read-only "
				    "paths",
				    type, dest ? dest : "");
		return;
	}
	if (!proc && hr_mounts_opts_writable(opts))
		fix_opts(ctx, m, i, ro_drop, ro_add, true, "/sys must be mounted read-only");
}

static int check_mount(struct hr_ctx *ctx, const struct mounts_settings *s,
		       const struct host_ids *h, struct hr_json *m, size_t i, struct hr_error **err)
{
	const char *type = NULL, *src = NULL, *dest = NULL;
	struct hr_json *opts = NULL;

	if (m->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "mounts[%zu]: expected object, got %s", i,
				    hr_json_type_name(m->type));
	if (hr_spec_get_string(m, "type", &type, err) < 0 ||
	    hr_spec_get_string(m, "source", &src, err) < 0 ||
	    hr_spec_get_string(m, "destination", &dest, err) < 0 ||
	    options_of(m, i, &opts, err) < 0)
		return hr_err_wrap(err, "mounts[%zu]", i);
	if (is_bind(type, opts)) {
		check_bind(ctx, s, h, m, i, src, opts);
	} else if (type && strcasecmp(type, "overlay") == 0) {
		hr_mounts_check_overlay(ctx, s, h, i, opts);
	} else if (type && (strcasecmp(type, "proc") == 0 || strcasecmp(type, "sysfs") == 0)) {
		check_kernfs(ctx, m, i, type, dest, opts);
	}
	return 0;
}

static bool list_has(const struct hr_json *arr, const char *want)
{
	_cleanup_free_ char *w = hr_mounts_normalise(want);

	for (size_t k = 0; arr && k < arr->arr.len; k++) {
		_cleanup_free_ char *n = hr_mounts_normalise(hr_json_as_string(arr->arr.items[k]));
		if (strcmp(n, w) == 0)
			return true;
	}
	return false;
}

static int ensure_paths(struct hr_ctx *ctx, const char *key, char *const want[],
			struct hr_error **err)
{
	_cleanup_free_ char *path = hr_xasprintf("linux/%s", key);
	_cleanup_free_ char *where = hr_xasprintf("linux.%s", key);
	struct hr_json *arr = hr_spec_get(ctx->spec, path, HR_JSON_ARRAY, false, err);

	if (!arr && *err)
		return -1;
	for (size_t k = 0; arr && k < arr->arr.len; k++)
		if (!hr_json_as_string(arr->arr.items[k]) ||
		    hr_json_as_string(arr->arr.items[k])[0] != '/')
			return hr_error_set(err, 0, "%s[%zu]: expected an absolute path", where, k);
	for (char *const *p = want; *p; p++) {
		if (list_has(arr, *p))
			continue;
		_cleanup_free_ char *why = hr_xasprintf("`%s` must be in %s", *p, key);
		if (!harden(ctx, where, NULL, *p, why))
			continue;
		if (!arr && !(arr = hr_spec_get(ctx->spec, path, HR_JSON_ARRAY, true, err)))
			return -1;
		hr_json_append(arr, hr_json_new_string(*p));
	}
	return 0;
}

/*
 * The root.path to judge: when the userns rule replaced it in this run with
 * an idmapped view, the container sees the view's source (ctx->rootfs_source,
 * which only that rule sets); otherwise the path as it stands, so a state-dir
 * path handed over in the config is judged as it is, as for bind sources.
 */
static char *rootfs_to_judge(const struct hr_ctx *ctx, const char *cur)
{
	return hr_xstrdup(ctx->rootfs_source[0] ? ctx->rootfs_source : cur);
}

/* The deny entry the root filesystem at real (resolved) would expose, or NULL. */
static const struct deny_entry *rootfs_denied(const struct mounts_settings *s,
					      const struct host_ids *h, const char *real,
					      bool writable, bool *same_file)
{
	const struct file_id *f;
	struct stat st;

	*same_file = false;
	/* Equal to an entry or a parent of one; not below a subtree entry, since
	 * engines keep bundles there (containerd's io.containerd.runtime.v2.task). */
	for (size_t i = 0; i < s->n_deny; i++)
		if ((!s->deny[i].rw_only || writable) &&
		    hr_mounts_path_under(s->deny[i].path, real))
			return &s->deny[i];
	if (stat(real, &st) == 0 && (f = hr_mounts_host_ids_find(h, &st, true, writable))) {
		*same_file = true;
		return f->deny;
	}
	return NULL;
}

/*
 * A bundle whose root.path is the host's / (`rootfs -> /`) or a denied host
 * directory (/etc) runs the container on the host's own files, whatever
 * the mounts say: refused, and `/` whatever the deny list.
 */
static int check_rootfs_host(struct hr_ctx *ctx, const struct mounts_settings *s,
			     const struct host_ids *h, struct hr_error **err)
{
	const char *rp = NULL, *sd = ctx->policy ? ctx->policy->state_dir : NULL;
	const struct hr_json *roj = hr_json_get_path(ctx->spec, "root/readonly");
	bool ro = roj && roj->type == HR_JSON_BOOL && roj->boolean, same = false;
	const struct deny_entry *e = NULL;

	if (hr_spec_get_string(ctx->spec, "root/path", &rp, err) < 0)
		return -1;
	if (!rp)
		return 0;
	_cleanup_free_ char *judged = rootfs_to_judge(ctx, rp);
	_cleanup_free_ char *abs = judged[0] == '/' || !ctx->bundle
				       ? hr_xstrdup(judged)
				       : hr_xasprintf("%s/%s", ctx->bundle, judged);
	_cleanup_free_ char *real = hr_realpath(abs);
	if (!real)
		return 0; /* runc cannot use a missing rootfs either */
	/* A view the userns rule made this run was replaced by its source above:
	 * anything still in the state dir is another container's view. */
	_cleanup_free_ char *rsd = sd && *sd ? hr_mounts_resolve_host(sd) : NULL;
	if (rsd && hr_mounts_path_under(real, rsd)) {
		hr_report_unfixable(ctx, "root.path", rp,
				    "the root filesystem `%s` lies in hardrun's state directory: "
				    "another container's idmapped view, not an image",
				    judged);
		return 0;
	}
	if (strcmp(real, "/") != 0 && !(e = rootfs_denied(s, h, real, !ro, &same)))
		return 0;
	hr_report_unfixable(ctx, "root.path", rp,
			    "the root filesystem is the host's `%s`%s (root.path `%s`)%s%s%s: "
			    "the container would run on the host's own files",
			    e && same ? e->path : real, same ? ", the same directory" : "", judged,
			    e ? ", denied by `" : "", e ? e->text : "", e ? "`" : "");
	return 0;
}

static int check_root(struct hr_ctx *ctx, const struct mounts_settings *s, struct hr_error **err)
{
	struct hr_json *root = hr_spec_get(ctx->spec, "root", HR_JSON_OBJECT, false, err);
	struct hr_json *ro;

	if (!root && *err)
		return -1;
	ro = root ? hr_json_get(root, "readonly") : NULL;
	if (!hr_json_is_null(ro) && ro->type != HR_JSON_BOOL)
		return hr_error_set(err, 0, "root.readonly: expected bool, got %s",
				    hr_json_type_name(ro->type));
	if (!s->readonly_rootfs || (!hr_json_is_null(ro) && ro->boolean))
		return 0;
	if (!harden(ctx, "root.readonly", hr_json_is_null(ro) ? NULL : "false", "true",
		    "the profile requires a read-only root filesystem"))
		return 0;
	if (!root && !(root = hr_spec_get(ctx->spec, "root", HR_JSON_OBJECT, true, err)))
		return -1;
	hr_json_set(root, "readonly", hr_json_new_bool(true));
	return 0;
}

static int check_propagation(struct hr_ctx *ctx, struct hr_error **err)
{
	const char *p = NULL;

	if (hr_spec_get_string(ctx->spec, "linux/rootfsPropagation", &p, err) < 0)
		return -1;
	if (!p || (strcmp(p, "shared") != 0 && strcmp(p, "rshared") != 0))
		return 0;
	if (hr_report(ctx, "linux.rootfsPropagation", p, "rprivate",
		      "shared root propagation would let container mounts reach the host")) {
		struct hr_json *lx = hr_spec_get(ctx->spec, "linux", HR_JSON_OBJECT, false, err);
		if (!lx)
			return -1;
		hr_json_set(lx, "rootfsPropagation", hr_json_new_string("rprivate"));
	}
	return 0;
}

static int apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct mounts_settings *s = settings;
	struct hr_json *mounts = NULL;
	_cleanup_free_ struct file_id *ids = NULL;
	struct host_ids h = {0};
	int r = 0;

	if (ctx->spec->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "config: expected object");
	mounts = hr_spec_get(ctx->spec, "mounts", HR_JSON_ARRAY, false, err);
	if (!mounts && *err)
		return -1;
	hr_mounts_host_ids_load(&h, s);
	ids = h.ids;
	for (size_t i = 0; r == 0 && mounts && i < mounts->arr.len; i++)
		r = check_mount(ctx, s, &h, mounts->arr.items[i], i, err);
	if (r < 0)
		return -1;
	if (check_root(ctx, s, err) < 0 || check_rootfs_host(ctx, s, &h, err) < 0 ||
	    check_propagation(ctx, err) < 0 ||
	    ensure_paths(ctx, "maskedPaths", s->masked, err) < 0 ||
	    ensure_paths(ctx, "readonlyPaths", s->readonly, err) < 0)
		return -1;
	return 0;
}

const struct hr_rule hr_rule_mounts = {
    .name = "mounts",
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
    .apply_process = NULL,
};
