/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mounts rule's judgement of host paths: the deny list, matched on the
 * path as written, on the path of the object it opens to, and on that
 * object's identity; the bind source opened once and pinned (a plain view
 * of the judged object planned for provision); overlay layers as the
 * kernel parses them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/mountsrc.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "hardrun/path.h"
#include "mounts-int.h"

/* hr_path_normalise(), and /var/run is /run (a symlink on every distribution that matters). */
char *hr_mounts_normalise(const char *path)
{
	char *out = hr_path_normalise(path);
	size_t n = strlen(out);

	if (n >= 8 && strncmp(out, "/var/run", 8) == 0 && (out[8] == '\0' || out[8] == '/'))
		memmove(out, out + 4, n - 3);
	return out;
}

/* True if p is dir or lies below it. */
bool hr_mounts_path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* hr_path_resolve_host(), with /var/run folded to /run; NULL on a symlink loop. */
char *hr_mounts_resolve_host(const char *path)
{
	_cleanup_free_ char *r = hr_path_resolve_host(path);

	return r ? hr_mounts_normalise(r) : NULL;
}

/* The deny entry covering host path p (normalised), or NULL. */
const struct deny_entry *hr_mounts_denied(const struct mounts_settings *s, const char *p,
					  bool writable)
{
	for (size_t i = 0; i < s->n_deny; i++) {
		const struct deny_entry *e = &s->deny[i];
		if (e->rw_only && !writable)
			continue;
		if (hr_mounts_path_under(e->path, p))
			return e; /* p is the entry or one of its parents */
		if (e->subtree && hr_mounts_path_under(p, e->path))
			return e;
	}
	return NULL;
}

/* Check one host path (bind source, overlay dir); reports and returns 1 if denied. */
int hr_mounts_check_host_path(struct hr_ctx *ctx, const struct mounts_settings *s,
			      const char *where, const char *raw, bool writable, const char *opened,
			      char **resolved)
{
	_cleanup_free_ char *abs = NULL;
	_cleanup_free_ char *lex = NULL;
	_cleanup_free_ char *real = NULL;
	const struct deny_entry *e;

	if (raw[0] == '/' || !ctx->bundle)
		abs = hr_xasprintf("/%s", raw);
	else
		abs = hr_xasprintf("%s/%s", ctx->bundle, raw);
	lex = hr_mounts_normalise(abs);
	/* opened: the path of the object already opened (what will be mounted) */
	real = opened ? hr_mounts_normalise(opened) : hr_mounts_resolve_host(abs);
	if (!real) {
		hr_report_unfixable(ctx, where, raw,
				    "host path `%s` cannot be resolved (symlink loop)", raw);
		return 1;
	}
	e = hr_mounts_denied(s, lex, writable);
	if (!e)
		e = hr_mounts_denied(s, real, writable);
	if (!e) {
		if (resolved)
			*resolved = hr_steal_ptr(&real);
		return 0;
	}
	if (strcmp(lex, real) != 0)
		hr_report_unfixable(ctx, where, raw,
				    "host path `%s` resolves to `%s`, denied by `%s`", raw, real,
				    e->text);
	else
		hr_report_unfixable(ctx, where, raw, "host path `%s` is denied by `%s`%s", raw,
				    e->text, writable ? " (mounted writable)" : "");
	return 1;
}

static void host_ids_add(struct host_ids *h, const char *path, const struct deny_entry *e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	h->ids = hr_xrealloc(h->ids, (h->len + 1) * sizeof(*h->ids));
	h->ids[h->len++] = (struct file_id){st.st_dev, st.st_ino, e};
}

/* stat() every deny-listed and allowed path that exists; missing ones cannot be bound. */
void hr_mounts_host_ids_load(struct host_ids *h, const struct mounts_settings *s)
{
	for (size_t i = 0; i < s->n_deny; i++)
		host_ids_add(h, s->deny[i].path, &s->deny[i]);
	for (char **p = s->allow_sockets; *p; p++)
		host_ids_add(h, *p, NULL);
}

const struct file_id *hr_mounts_host_ids_find(const struct host_ids *h, const struct stat *st,
					      bool deny, bool writable)
{
	for (size_t i = 0; i < h->len; i++) {
		const struct file_id *f = &h->ids[i];
		if (f->dev != st->st_dev || f->ino != st->st_ino || !f->deny != !deny)
			continue;
		if (!deny || !f->deny->rw_only || writable)
			return f;
	}
	return NULL;
}

/*
 * A bind exposes a file, not a path: a hardlink to the docker socket, or a
 * bind mount of it at /tmp/x/d.sock, passes every path check above.  So the
 * resolved source is compared by identity with the deny list, and any UNIX
 * socket needs to be listed in allowSockets, by path or identity.
 */
void hr_mounts_check_bind_identity(struct hr_ctx *ctx, const struct mounts_settings *s,
				   const struct host_ids *h, const char *where, const char *raw,
				   const char *real, const struct stat *opened, bool writable)
{
	const struct file_id *f;
	struct stat st;

	if (opened)
		st = *opened;
	else if (stat(real, &st) < 0)
		return; /* runc creates a missing source as an empty directory */
	if ((f = hr_mounts_host_ids_find(h, &st, true, writable))) {
		hr_report_unfixable(ctx, where, raw,
				    "host path `%s` is the same file as `%s` (a hardlink or bind "
				    "mount of it), denied by `%s`",
				    raw, f->deny->path, f->deny->text);
		return;
	}
	if (!S_ISSOCK(st.st_mode) || hr_strv_contains(s->allow_sockets, real) ||
	    hr_mounts_host_ids_find(h, &st, false, writable))
		return;
	hr_report_unfixable(ctx, where, raw,
			    "host path `%s` is a UNIX socket: runtime and agent sockets (docker, "
			    "containerd, ssh-agent) are how container escapes start; list it in "
			    "mounts.allowSockets to share it",
			    raw);
}

/*
 * The host uid of the container's root (the runtime binds the views from
 * inside the user namespace, as that uid): the spec's mapping of container
 * id 0, as the userns rule left it; 0 without a user namespace.
 */
static uint32_t container_root(const struct hr_ctx *ctx)
{
	const struct hr_json *maps = hr_json_get_path(ctx->spec, "linux/uidMappings");
	uint64_t c = 1, h = 0;

	for (size_t i = 0; maps && maps->type == HR_JSON_ARRAY && i < maps->arr.len; i++)
		if (hr_json_as_uint64(hr_json_get(maps->arr.items[i], "containerID"), &c) &&
		    c == 0 && hr_json_as_uint64(hr_json_get(maps->arr.items[i], "hostID"), &h) &&
		    h <= UINT32_MAX)
			return (uint32_t)h;
	return 0;
}

/* The view the userns rule planned for mounts[i] (an idmapped volume), or NULL. */
static const struct hr_view *planned_view(const struct hr_ctx *ctx, size_t i)
{
	for (size_t v = 0; ctx->plan && v < ctx->plan->n_views; v++)
		if (!ctx->plan->views[v].rootfs && ctx->plan->views[v].index == i)
			return &ctx->plan->views[v];
	return NULL;
}

/*
 * A bind is judged on the object its source opens to, and the runtime is
 * handed that object: a view of it under hardrun's state directory (which
 * no one else can write), so a symlink swapped on the source's path after
 * this decision changes nothing.  An idmapped volume's object is the one
 * the userns rule opened; every other source is opened here.  Kernel
 * pseudo file systems are judged but not pinned (their objects are the
 * kernel's, and /proc/self would be hardrun's own).  A source that cannot
 * be opened is judged by its path as before; the runtime will fail on it.
 */
void hr_mounts_judge_source(struct hr_ctx *ctx, const struct mounts_settings *s,
			    const struct host_ids *h, const char *where, size_t i, const char *src,
			    const struct hr_json *opts)
{
	_cleanup_free_ char *real = NULL, *vreal = NULL;
	const struct hr_view *view = planned_view(ctx, i);
	struct hr_src o = HR_SRC_INIT;
	bool w = hr_mounts_opts_writable(opts);
	size_t denials = ctx->findings.denials;
	struct stat vst;

	if (view && fstat(view->fd, &vst) == 0 && (vreal = hr_fd_path(view->fd))) {
		if (hr_mounts_check_host_path(ctx, s, where, src, w, vreal, &real) == 0)
			hr_mounts_check_bind_identity(ctx, s, h, where, src, real, &vst, w);
		return;
	}
	if (hr_src_open(ctx->bundle, src, &o) < 0) {
		if (hr_mounts_check_host_path(ctx, s, where, src, w, NULL, &real) == 0)
			hr_mounts_check_bind_identity(ctx, s, h, where, src, real, NULL, w);
		return;
	}
	if (hr_mounts_check_host_path(ctx, s, where, src, w, o.real, &real) == 0)
		hr_mounts_check_bind_identity(ctx, s, h, where, src, real, &o.st, w);
	if (ctx->findings.denials == denials && ctx->plan && ctx->container_id && !ctx->in_userns &&
	    !hr_src_kernel_fs(&o)) {
		struct hr_view *v = hr_plan_add_view(ctx->plan);
		snprintf(v->name, sizeof(v->name), "vol%zu", i);
		v->index = i;
		v->dir = S_ISDIR(o.st.st_mode);
		v->recursive = hr_mounts_has_opt(opts, "rbind");
		v->owner = container_root(ctx);
		/* a range of its own is claimed at provision: the mapping holds a placeholder */
		v->in_range = ctx->plan->range.how == HR_RANGE_ACQUIRE;
		v->fd = o.fd;
		o.fd = -1;
	}
	hr_src_close(&o);
}

/*
 * Overlay layers are host paths the kernel looks up at mount(2), before
 * pivot_root.  They are judged as the kernel will read them: runc joins the
 * options with ',' and the kernel splits and unescapes them
 * (hr_ovl_layers), so `lowerdir+=/etc`, `index=off,lowerdir=/etc:...` and
 * `lowerdir=/et\c` are all /etc.  Every layer then passes the bind-source
 * policy, resolved and by identity; a relative layer (looked up from
 * wherever the runtime's cwd is) cannot be judged and is refused.
 */
void hr_mounts_check_overlay(struct hr_ctx *ctx, const struct mounts_settings *s,
			     const struct host_ids *h, size_t i, const struct hr_json *opts)
{
	_cleanup_strv_ char **layers = NULL, **keys = NULL;
	_cleanup_free_ char *where = hr_xasprintf("mounts[%zu].options", i);

	hr_ovl_layers(opts, &layers, &keys);
	for (size_t k = 0; layers[k]; k++) {
		_cleanup_free_ char *real = NULL;
		bool w = strcmp(keys[k], "upperdir") == 0 || strcmp(keys[k], "workdir") == 0;
		if (layers[k][0] != '/') {
			hr_report_unfixable(ctx, where, layers[k],
					    "overlay %s `%s` is a relative path: the runtime would "
					    "look it up from its working directory",
					    keys[k], layers[k]);
			continue;
		}
		if (hr_mounts_check_host_path(ctx, s, where, layers[k], w, NULL, &real) == 0)
			hr_mounts_check_bind_identity(ctx, s, h, where, layers[k], real, NULL, w);
	}
}
