/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The userns rule's allowlist: what may be shown to the container through
 * an idmapped mount.  An idmapped view makes host root's files container
 * root's, which is the point for the container's own image and volumes and
 * a host takeover anywhere else.  So only two kinds of object qualify:
 *
 *  - the rootfs, when root.path lies beneath the bundle directory (and,
 *    when it is an overlay the platform mounted there, its layers are not
 *    hardrun's views), or is an overlay an engine mounted in its layer
 *    store (a layer root: Docker's and Podman's rootfs live there; every
 *    layer must lie beneath a layer root too), claimed by this container
 *    alone while it lives;
 *  - a bind source beneath one of the policy's volume roots and beneath no
 *    layer root (image layers are every container's of that image).
 *
 * A rootfs never lies in a volume: volumes are shared with every container
 * that names them, so another container could idmap-bind it and write
 * host-root-owned files into this one.
 *
 * Everything is decided on the object the source resolves to, opened once;
 * the plan carries that descriptor to provision, which mounts exactly it.
 * Nothing here allocates, mounts or enters a namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/mountsrc.h"
#include "hardrun/path.h"
#include "hardrun/podrec.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "userns-int.h"

/*
 * containers/storage (podman) keeps a container's bundle at
 * <graphroot>/overlay-containers/<id>/userdata and its rootfs and volumes at
 * <graphroot>/overlay and <graphroot>/volumes.  The bundle path comes from
 * the engine's command line, not from config.json, so the storage it names
 * is that engine's, wherever `--root` put it.
 */
static void storage_roots(struct hr_roots *layers, struct hr_roots *volumes, const char *bundle)
{
	_cleanup_free_ char *b = hr_path_normalise(bundle), *o = NULL, *v = NULL;
	char *p = NULL, *q = NULL;

	for (char *s = b; (s = strstr(s, "/overlay-containers/")); s++)
		p = s;
	if (!p || p == b)
		return;
	q = strchr(p + strlen("/overlay-containers/"), '/');
	if (!q || strcmp(q, "/userdata") != 0)
		return;
	*p = '\0';
	o = hr_xasprintf("%s/overlay", b);
	v = hr_xasprintf("%s/volumes", b);
	hr_roots_add(layers, o);
	hr_roots_add(volumes, v);
}

void hr_userns_allow_load(const struct hr_ctx *ctx, struct hr_userns_allow *a)
{
	memset(a, 0, sizeof(*a));
	if (ctx->bundle)
		hr_roots_add(&a->bundle, ctx->bundle);
	hr_roots_load(&a->volumes, ctx->policy->volume_roots);
	hr_roots_load(&a->layers, ctx->policy->layer_roots);
	if (ctx->bundle)
		storage_roots(&a->layers, &a->volumes, ctx->bundle);
	hr_roots_add(&a->state, hr_idmap_state_dir(ctx->policy));
}

void hr_userns_allow_free(struct hr_userns_allow *a)
{
	hr_roots_free(&a->bundle);
	hr_roots_free(&a->volumes);
	hr_roots_free(&a->layers);
	hr_roots_free(&a->state);
}

/* The state dir itself counts: its views are other containers'. */
static bool in_state(const struct hr_userns_allow *a, const struct hr_src *s)
{
	return hr_src_beneath(s, &a->state) >= 0 ||
	       (a->state.n && s->st.st_dev == a->state.st[0].st_dev &&
		s->st.st_ino == a->state.st[0].st_ino);
}

/* Steal the judged layers' fds into the view. */
static void take_layer(int **fds, size_t *n, struct hr_src *s)
{
	*fds = hr_xrealloc(*fds, (*n + 1) * sizeof(int));
	(*fds)[(*n)++] = s->fd;
	s->fd = -1;
}

static char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return hr_xstrdup(s ? s + 1 : p);
}

/*
 * One overlay layer: opened, judged, and handed to the view.  ok: the roots
 * it must lie beneath (NULL: the platform mounted it beneath the bundle);
 * a bind's layers never lie in a layer store.  false: denied (reported).
 */
static bool judge_layer(struct hr_ctx *ctx, const struct hr_userns_allow *a, const char *field,
			const char *path, const struct hr_roots *ok, struct hr_src *s)
{
	if (hr_src_open(NULL, path, s) < 0) {
		hr_report_unfixable(ctx, field, path, "overlay layer `%s` cannot be opened: %s",
				    path, strerror(s->err));
		return false;
	}
	if (in_state(a, s)) {
		hr_report_unfixable(ctx, field, path,
				    "overlay layer `%s` lies in hardrun's state directory: another "
				    "container's view",
				    path);
		return false;
	}
	if (!ok)
		return true;
	if (hr_src_beneath(s, ok) >= 0 && (ok == &a->layers || hr_src_beneath(s, &a->layers) < 0))
		return true;
	hr_report_unfixable(ctx, field, path,
			    "overlay layer `%s` (resolves to `%s`) lies outside the policy's %s: "
			    "it would be idmapped",
			    path, s->real, ok == &a->layers ? "layerRoots" : "volumeRoots");
	return false;
}

/*
 * The layers of the overlay whose root is v->fd, each judged against ok
 * (NULL: the overlay was mounted beneath the bundle, by the platform, for
 * this container) and moved into v->ovl.  false: denied (reported) or error.
 */
static int judge_overlay(struct hr_ctx *ctx, const struct hr_userns_allow *a, const char *field,
			 struct hr_view *v, const struct hr_roots *want, struct hr_error **err)
{
	struct hr_ovl_paths o = {0};
	int r = hr_ovl_mounted(v->fd, &o, err), ok = 1;

	if (r <= 0)
		return r < 0 ? -1 : 1;
	v->is_ovl = true;
	for (char **l = o.lower; ok && l && *l; l++) {
		struct hr_src s = HR_SRC_INIT;
		if ((ok = judge_layer(ctx, a, field, *l, want, &s)))
			take_layer(&v->ovl.lower, &v->ovl.n_lower, &s);
		hr_src_close(&s);
	}
	for (char **l = o.data; ok && l && *l; l++) {
		struct hr_src s = HR_SRC_INIT;
		if ((ok = judge_layer(ctx, a, field, *l, want, &s)))
			take_layer(&v->ovl.data, &v->ovl.n_data, &s);
		hr_src_close(&s);
	}
	for (int k = 0; ok && o.upper && k < 2; k++) {
		struct hr_src s = HR_SRC_INIT;
		const char *p = k ? o.work : o.upper;
		if ((ok = judge_layer(ctx, a, field, p, want, &s))) {
			*(k ? &v->ovl.work : &v->ovl.upper) = s.fd;
			*(k ? &v->ovl.work_name : &v->ovl.upper_name) = base_name(p);
			s.fd = -1;
		}
		hr_src_close(&s);
	}
	v->ovl.extra = hr_strv_dup(o.extra ? o.extra : (char *[]){NULL});
	hr_ovl_paths_free(&o);
	return ok;
}

static char *view_path(const struct hr_ctx *ctx, const char *name)
{
	if (!ctx->container_id)
		return NULL;
	return hr_xasprintf("%s/mounts/%s/%s", hr_idmap_state_dir(ctx->policy), ctx->container_id,
			    name);
}

/*
 * An engine's rootfs in its layer store is the overlay it mounted there for
 * one container: the object is an overlay's root (its own st_dev, not its
 * parent's), and no other live container claimed it.  A plain directory
 * there is an image layer, every container's of that image.
 */
static bool layer_rootfs_ok(struct hr_ctx *ctx, const char *rp, const struct hr_src *s)
{
	struct statfs sf;
	struct stat up;
	_cleanup_free_ char *holder = NULL;
	struct hr_error *e = NULL;
	int r;

	if (fstatfs(s->fd, &sf) < 0 || sf.f_type != OVERLAYFS_SUPER_MAGIC || s->parent < 0 ||
	    fstat(s->parent, &up) < 0 || up.st_dev == s->st.st_dev) {
		hr_report_unfixable(
		    ctx, "root.path", rp,
		    "root.path `%s` lies in an engine's layer store (layerRoots) but "
		    "is not an overlay mounted there: image layers are shared by "
		    "every container of the image",
		    rp);
		return false;
	}
	if (!ctx->container_id)
		return true; /* dry run: nothing to claim */
	r = hr_rootfs_claim(ctx->policy, ctx->container_id, ctx->runtime_root,
			    (uint64_t)s->st.st_dev, (uint64_t)s->st.st_ino, &holder, &e);
	if (r < 0) {
		hr_report_unfixable(ctx, "root.path", rp, "%s", e->msg);
		hr_error_clear(&e);
		return false;
	}
	if (r == 1)
		hr_report_unfixable(ctx, "root.path", rp,
				    "root.path `%s` is the rootfs of live container `%s`: a rootfs "
				    "belongs to one container",
				    rp, holder);
	return r == 0;
}

/* Where root.path resolves: 1 beneath the bundle, 0 a layer store's overlay, -1 denied. */
static int rootfs_place(struct hr_ctx *ctx, const struct hr_userns_allow *a, const char *rp,
			const struct hr_src *s)
{
	if (!S_ISDIR(s->st.st_mode)) {
		hr_report_unfixable(ctx, "root.path", rp, "root.path `%s` is not a directory", rp);
		return -1;
	}
	if (in_state(a, s)) {
		hr_report_unfixable(ctx, "root.path", rp,
				    "rootfs inside hardrun's state directory is another "
				    "container's view");
		return -1;
	}
	/* First: a bundle inside a volume does not make its rootfs this one's. */
	if (hr_src_beneath(s, &a->volumes) >= 0) {
		hr_report_unfixable(
		    ctx, "root.path", rp,
		    "root.path `%s` resolves to `%s`, inside a volume (volumeRoots): "
		    "volumes are shared with every container that names them, so "
		    "they cannot hold a rootfs",
		    rp, s->real);
		return -1;
	}
	if (hr_src_beneath(s, &a->bundle) >= 0)
		return 1;
	if (hr_src_beneath(s, &a->layers) >= 0)
		return layer_rootfs_ok(ctx, rp, s) ? 0 : -1;
	hr_report_unfixable(ctx, "root.path", rp,
			    "root.path `%s` resolves to `%s`, outside the bundle directory and the "
			    "policy's layerRoots: idmapping it would give container root the "
			    "host's files there",
			    rp, s->real);
	return -1;
}

int hr_userns_decide_rootfs(struct hr_ctx *ctx, const struct hr_userns_allow *a,
			    const struct hr_userns_plan *pl, struct hr_json *undo,
			    struct hr_error **err)
{
	const char *rp = hr_json_as_string(hr_json_get_path(ctx->spec, "root/path"));
	struct hr_src s = HR_SRC_INIT;
	struct hr_view tmp = {.fd = -1, .ovl = {.upper = -1, .work = -1}}, *v = &tmp;
	_cleanup_free_ char *view = view_path(ctx, "rootfs");
	int place, r = 0;

	if (!rp)
		return hr_error_set(err, 0, "config has no root.path to idmap");
	if (hr_src_open(ctx->bundle, rp, &s) < 0) {
		hr_report_unfixable(ctx, "root.path", rp, "root.path `%s` cannot be opened: %s", rp,
				    strerror(s.err));
		return 0;
	}
	if ((place = rootfs_place(ctx, a, rp, &s)) < 0)
		goto out;
	if (!pl->placeholder && ctx->plan)
		v = hr_plan_add_view(ctx->plan);
	snprintf(v->name, sizeof(v->name), "rootfs");
	v->rootfs = v->dir = v->recursive = v->idmap = true;
	v->fd = s.fd;
	s.fd = -1;
	v->start = v->owner = pl->start;
	v->size = pl->size;
	v->in_range = pl->pending;
	r = judge_overlay(ctx, a, "root.path", v, place == 1 ? NULL : &a->layers, err);
	if (r <= 0)
		goto out;
	r = 0;
	snprintf(ctx->rootfs_source, sizeof(ctx->rootfs_source), "%s", rp);
	if (!view || ctx->in_memory) {
		hr_report_as(ctx, HR_ACTION_FIX, "root.path", rp, rp,
			     view ? "rootfs shown through an idmapped mount, attached by the "
				    "builtin runtime in the container's own mount namespace"
				  : "rootfs would be shown through an idmapped mount (dry run)");
		goto out;
	}
	hr_json_set(undo, "root", hr_json_new_string(rp));
	hr_report_as(ctx, HR_ACTION_FIX, "root.path", rp, view,
		     "rootfs shown through an idmapped mount: files owned by host root appear "
		     "owned by container root");
out:
	if (v == &tmp) {
		if (tmp.fd >= 0)
			close(tmp.fd);
		hr_ovl_fds_free(&tmp.ovl);
	}
	hr_src_close(&s);
	return r < 0 ? -1 : 0;
}

/* Refuse (asked) or quietly skip (only the profile's idmapVolumes would have). */
static bool refuse(struct hr_ctx *ctx, bool asks, const char *field, const char *src,
		   const char *why)
{
	if (asks)
		hr_report_unfixable(ctx, field, src, "%s", why);
	return false;
}

int hr_userns_decide_bind(struct hr_ctx *ctx, const struct hr_userns_allow *a,
			  const struct hr_userns_bind *b, struct hr_error **err)
{
	struct hr_src s = HR_SRC_INIT;
	struct hr_view tmp = {.fd = -1, .ovl = {.upper = -1, .work = -1}}, *v = &tmp;
	_cleanup_free_ char *why = NULL;
	bool ok = false;
	int r = 0;

	if (hr_src_open(ctx->bundle, b->source, &s) < 0) {
		why = hr_xasprintf("idmapped bind source `%s` cannot be opened: %s", b->source,
				   strerror(s.err));
		return refuse(ctx, b->asks, b->field, b->source, why);
	}
	if (hr_src_beneath(&s, &a->layers) >= 0) {
		why = hr_xasprintf("`%s` asks for an idmapped mount of `%s` (resolves to `%s`), "
				   "which lies in an engine's layer store (layerRoots): image "
				   "layers and rootfs there are other containers' too",
				   b->field, b->source, s.real);
		ok = refuse(ctx, b->asks, b->field, b->source, why);
		goto out;
	}
	if (hr_src_kernel_fs(&s) || hr_src_beneath(&s, &a->volumes) < 0 || in_state(a, &s)) {
		why = hr_xasprintf("`%s` asks for an idmapped mount of `%s` (resolves to `%s`), "
				   "which lies outside the policy's volumeRoots: only container "
				   "volumes are idmapped",
				   b->field, b->source, s.real);
		ok = refuse(ctx, b->asks, b->field, b->source, why);
		goto out;
	}
	if (S_ISREG(s.st.st_mode) && s.st.st_nlink > 1) {
		why = hr_xasprintf("idmapped bind source `%s` is a file with %ju links: it may be "
				   "a host file's hardlink",
				   b->source, (uintmax_t)s.st.st_nlink);
		ok = refuse(ctx, b->asks, b->field, b->source, why);
		goto out;
	}
	if (ctx->plan && !b->placeholder)
		v = hr_plan_add_view(ctx->plan);
	snprintf(v->name, sizeof(v->name), "vol%zu", b->index);
	v->index = b->index;
	v->idmap = true;
	v->dir = S_ISDIR(s.st.st_mode);
	v->recursive = b->recursive;
	v->start = b->start;
	v->size = b->size;
	v->owner = b->owner;
	v->in_range = b->in_range;
	v->fd = s.fd;
	s.fd = -1;
	r = v->dir ? judge_overlay(ctx, a, b->field, v, &a->volumes, err) : 1;
	ok = r > 0;
out:
	if (v == &tmp) {
		if (tmp.fd >= 0)
			close(tmp.fd);
		hr_ovl_fds_free(&tmp.ovl);
	} else if (!ok) {
		/* denied after the view was added: drop it again */
		if (v->fd >= 0)
			close(v->fd);
		hr_ovl_fds_free(&v->ovl);
		ctx->plan->n_views--;
	}
	hr_src_close(&s);
	return r < 0 ? -1 : ok;
}
