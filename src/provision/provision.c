/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Carrying out a plan the rules made (include/hardrun/provision.h): the
 * idmapped views of the objects the userns rule judged, made from the very
 * descriptors it judged, so nothing swapped on a path in between is
 * mounted.  Runs only after every rule has passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/lsm.h"
#include "hardrun/mountsrc.h"
#include "hardrun/podrec.h"
#include "hardrun/provision.h"
#include "hardrun/util.h"

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

void hr_ovl_fds_free(struct hr_ovl_fds *o)
{
	close_all(o->lower, o->n_lower);
	close_all(o->data, o->n_data);
	if (o->upper >= 0)
		close(o->upper);
	if (o->work >= 0)
		close(o->work);
	free(o->upper_name);
	free(o->work_name);
	hr_strv_free(o->extra);
	memset(o, 0, sizeof(*o));
	o->upper = o->work = -1;
}

void hr_plan_free(struct hr_plan *pl)
{
	for (size_t i = 0; pl && i < pl->n_views; i++) {
		if (pl->views[i].fd >= 0)
			close(pl->views[i].fd);
		hr_ovl_fds_free(&pl->views[i].ovl);
	}
	if (pl) {
		free(pl->views);
		pl->views = NULL;
		pl->n_views = 0;
		hr_netns_plan_clear(&pl->netns);
		free(pl->mcs.proc_ctx);
		free(pl->mcs.file_ctx);
		free(pl->mcs.state_dir);
		memset(&pl->mcs, 0, sizeof(pl->mcs));
		free(pl->pod_pin);
		pl->pod_pin = NULL;
		pl->callers.n = 0;
	}
}

void hr_plan_mount_removed(struct hr_plan *pl, size_t index)
{
	size_t k = 0;

	for (size_t i = 0; pl && i < pl->n_views; i++) {
		struct hr_view *v = &pl->views[i];
		if (!v->rootfs && v->index == index) {
			if (v->fd >= 0)
				close(v->fd);
			hr_ovl_fds_free(&v->ovl);
			continue;
		}
		if (!v->rootfs && v->index > index)
			v->index--;
		pl->views[k++] = *v;
	}
	if (pl)
		pl->n_views = k;
}

struct hr_view *hr_plan_add_view(struct hr_plan *pl)
{
	struct hr_view *v;

	pl->views = hr_xrealloc(pl->views, (pl->n_views + 1) * sizeof(*pl->views));
	v = &pl->views[pl->n_views++];
	memset(v, 0, sizeof(*v));
	v->fd = v->ovl.upper = v->ovl.work = -1;
	return v;
}

static int chown_fallback(const struct hr_policy *p, const struct hr_view *v, struct hr_error **err)
{
	_cleanup_free_ char *path = hr_fd_path(v->fd);
	uint32_t first = 0;

	if (!path || path[0] != '/')
		return hr_error_set(err, errno, "rootfs: path of the judged object");
	if (hr_idpool_first(p, &first, err) < 0 ||
	    hr_chown_tree(path, v->start, v->size, first, err) < 0)
		return hr_err_wrap(err, "chown fallback for rootfs %s", path);
	return 0;
}

/* Point spec at the view; undo (may be NULL) records what was there. */
static int point_spec(struct hr_json *spec, const struct hr_view *v, const char *path,
		      struct hr_json *undo)
{
	struct hr_json *m = NULL, *mounts = hr_json_get(spec, "mounts");
	struct hr_json *root = hr_json_ensure_object(spec, "root");

	if (v->rootfs) {
		if (undo && hr_json_get(root, "path"))
			hr_json_set(undo, "root", hr_json_clone(hr_json_get(root, "path")));
		hr_json_set(root, "path", hr_json_new_string(path));
		return 0;
	}
	if (!mounts || mounts->type != HR_JSON_ARRAY || v->index >= mounts->arr.len)
		return -1;
	m = mounts->arr.items[v->index];
	if (undo) {
		struct hr_json *saved = hr_json_ensure_object(undo, "mounts");
		char key[24];
		snprintf(key, sizeof(key), "%zu", v->index);
		if (!hr_json_get(saved, key))
			hr_json_set(saved, key, hr_json_clone(m));
	}
	hr_json_set(m, "source", hr_json_new_string(path));
	return 0;
}

/* A plain (not idmapped) detached clone of the judged object: a pinned bind. */
static int clone_plain(const struct hr_view *v, struct hr_error **err)
{
	int fd = open_tree(v->fd, "",
			   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
			       (v->dir && v->recursive ? AT_RECURSIVE : 0));

	return fd < 0 ? hr_error_set(err, errno, "clone mount of the bind source") : fd;
}

#define CHOWNED (-2) /* the rootfs was chowned in place: no view */

/* The detached tree of v: a plain clone, or idmapped; CHOWNED after the fallback. */
static int view_tree(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		     const struct hr_view *v, struct hr_error **err)
{
	_cleanup_close_ int userns = -1;
	struct hr_error *why = NULL;
	int tree;

	if (!v->idmap)
		return clone_plain(v, err);
	if ((userns = hr_userns_fd(v->start, v->size, err)) < 0)
		return -1;
	tree = hr_idmount_tree(p, id, v, userns, &why);
	if (tree >= 0)
		return tree;
	if (!v->rootfs || !plan->chown_fallback) {
		hr_error_clear(err);
		*err = why;
		return v->rootfs ? hr_err_wrap(err, "rootfs cannot be idmapped and the policy does "
						    "not allow the chown fallback "
						    "(userns.chownFallback)")
				 : -1;
	}
	hr_error_clear(&why);
	return chown_fallback(p, v, err) < 0 ? -1 : CHOWNED; /* root.path stays */
}

static int make_view(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		     const struct hr_view *v, struct hr_json *spec, struct hr_json *undo,
		     int *rootfs_fd, struct hr_error **err)
{
	_cleanup_free_ char *path = NULL;
	int t = view_tree(p, id, plan, v, err);
	_cleanup_close_ int tree = t >= 0 ? t : -1;

	if (t < 0)
		return t == CHOWNED ? 0 : -1;
	if (v->rootfs && plan->in_memory) {
		/* root.path stays: the builtin runtime attaches the tree over it */
		*rootfs_fd = hr_steal_fd(&tree);
		return 0;
	}
	if (hr_idmount_attach(p, id, v, tree, &path, err) < 0)
		return -1;
	if (point_spec(spec, v, path, undo) < 0)
		return hr_error_set(err, EINVAL, "mounts[%zu] vanished from the config", v->index);
	return 0;
}

/* Merge what provision replaced into the spec's undo record. */
static void record_undo(struct hr_json *spec, struct hr_json *undo)
{
	struct hr_json *ann = NULL;
	const char *text = NULL;
	struct hr_json *rec = NULL;
	_cleanup_free_ char *out = NULL;

	if (undo->obj.len == 0)
		return;
	ann = hr_json_ensure_object(spec, "annotations");
	text = hr_json_as_string(hr_json_get(ann, HR_UNDO_ANNOTATION));
	rec = text ? hr_json_parse(text, strlen(text), NULL, NULL) : NULL;
	if (!rec || rec->type != HR_JSON_OBJECT) {
		hr_json_free(rec);
		rec = hr_json_new(HR_JSON_OBJECT);
	}
	/* What a rule recorded first (the source before it stripped options) wins. */
	for (size_t i = 0; i < undo->obj.len; i++) {
		const char *k = undo->obj.members[i].key;
		const struct hr_json *v = undo->obj.members[i].value;
		struct hr_json *have = hr_json_get(rec, k);
		if (!have) {
			hr_json_set(rec, k, hr_json_clone(v));
			continue;
		}
		for (size_t j = 0;
		     have->type == HR_JSON_OBJECT && v->type == HR_JSON_OBJECT && j < v->obj.len;
		     j++)
			if (!hr_json_get(have, v->obj.members[j].key))
				hr_json_set(have, v->obj.members[j].key,
					    hr_json_clone(v->obj.members[j].value));
	}
	if (ann && hr_json_serialize(rec, false, &out, NULL, NULL) == 0)
		hr_json_set(ann, HR_UNDO_ANNOTATION, hr_json_new_string(out));
	hr_json_free(rec);
}

struct hr_json *hr_id_mapping_json(uint32_t start, uint32_t size)
{
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY), *m = hr_json_new(HR_JSON_OBJECT);

	hr_json_set(m, "containerID", hr_json_new_uint(0));
	hr_json_set(m, "hostID", hr_json_new_uint(start));
	hr_json_set(m, "size", hr_json_new_uint(size));
	hr_json_append(arr, m);
	return arr;
}

/*
 * The range first: the views are made with it.  A range of its own is
 * written into the mapping the userns rule left for it (after the
 * runtime's "exists" check, which the rule made); a share only records
 * that this container holds its pod's range.  *claimed: release on failure.
 */
static int claim_range(const struct hr_policy *p, const struct hr_range_claim *c,
		       struct hr_json *spec, uint32_t *start, bool *claimed, struct hr_error **err)
{
	struct hr_json *linux_ = hr_json_get(spec, "linux");

	*start = c->start;
	*claimed = false;
	switch (c->how) {
	case HR_RANGE_NONE:
		return 0;
	case HR_RANGE_SHARE:
		if (hr_idrange_share(p, c->key, c->runtime_root, c->bundle, c->start, c->size,
				     err) < 0)
			return -1;
		*claimed = true;
		return 0;
	case HR_RANGE_ACQUIRE:
		if (hr_idrange_acquire(p, c->key, c->runtime_root, c->bundle, c->size, start, err) <
		    0)
			return -1;
		*claimed = true;
		if (c->pod_record &&
		    hr_pod_record(p, c->key, c->runtime_root, *start, c->size, err) < 0)
			return -1;
		hr_json_set(linux_, "uidMappings", hr_id_mapping_json(*start, c->size));
		hr_json_set(linux_, "gidMappings", hr_id_mapping_json(*start, c->size));
		return 0;
	}
	return 0;
}

/* The caller's own host ids, claimed under the lock (the rules decided unlocked). */
static int claim_callers(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
			 bool *claimed, struct hr_error **err)
{
	_cleanup_free_ char *holder = NULL;
	int r;

	if (plan->callers.n == 0)
		return 0;
	r = hr_idclaim_caller(p, id, plan->runtime_root, plan->callers.ext, plan->callers.n,
			      &holder, err);
	if (r == 1)
		return hr_error_set(err, EBUSY,
				    "linux.uidMappings: host ids of this mapping were claimed by "
				    "live container `%s` meanwhile",
				    holder);
	*claimed = r == 0;
	return r;
}

/* The MCS pair for good, and the labels the rules dry-picked rewritten with it. */
static int claim_mcs(const struct hr_mcs_plan *m, const char *id, struct hr_json *spec,
		     bool *claimed, struct hr_error **err)
{
	unsigned pair[2];
	_cleanup_free_ char *label = NULL, *mlabel = NULL;

	if (!m->want)
		return 0;
	if (hr_lsm_mcs_allocate(m->state_dir, id, true, pair, err) < 0)
		return -1;
	*claimed = true;
	label = hr_lsm_selinux_label(m->proc_ctx, pair[0], pair[1]);
	mlabel = hr_lsm_selinux_label(m->file_ctx, pair[0], pair[1]);
	if (!label || !mlabel)
		return hr_error_set(err, EINVAL, "SELinux label with c%u,c%u", pair[0], pair[1]);
	hr_json_set(hr_json_ensure_object(spec, "process"), "selinuxLabel",
		    hr_json_new_string(label));
	if (m->mount_label)
		hr_json_set(hr_json_ensure_object(spec, "linux"), "mountLabel",
			    hr_json_new_string(mlabel));
	return 0;
}

/* What provision has done so far, undone unless committed. */
struct txn {
	bool range, callers, mcs, views;
	struct hr_netns_done netns;
};

static void txn_undo(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		     struct txn *t)
{
	/* Reverse order: the netns step changed this process last. */
	hr_provision_netns_undo(&t->netns);
	if (t->views)
		hr_idmount_release(p, id, NULL);
	if (t->mcs)
		hr_lsm_mcs_release(plan->mcs.state_dir, id, NULL);
	if (t->callers)
		hr_idclaim_release(p, id);
	if (t->range && plan->range.pod_record)
		hr_records_forget(p, plan->range.key);
	if (t->range)
		hr_idrange_release(p, plan->range.key, NULL);
}

static bool plan_empty(const struct hr_plan *plan)
{
	return !plan ||
	       (plan->n_views == 0 && plan->range.how == HR_RANGE_NONE && plan->callers.n == 0 &&
		!plan->mcs.want && !plan->netns.path && !plan->pod_pin);
}

static int make_views(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		      uint32_t start, struct hr_json *spec, struct hr_json *undo, int *tree,
		      struct hr_error **err)
{
	for (size_t i = 0; i < plan->n_views; i++) {
		struct hr_view v = plan->views[i];
		if (v.in_range)
			v.start = v.owner = start;
		if (make_view(p, id, plan, &v, spec, plan->in_memory ? NULL : undo, tree, err) < 0)
			return hr_err_wrap(err, "%s", v.name);
	}
	return 0;
}

int hr_provision_run(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		     struct hr_json *spec, int *rootfs_fd, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *undo = hr_json_new(HR_JSON_OBJECT);
	struct txn t = {.netns = {.home = -1}};
	uint32_t start = 0;
	int tree = -1;

	if (rootfs_fd)
		*rootfs_fd = -1;
	if (plan_empty(plan))
		return 0;
	if (!id)
		return hr_error_set(err, EINVAL, "provision without a container id");
	if (claim_range(p, &plan->range, spec, &start, &t.range, err) < 0) {
		hr_err_wrap(err, "id range");
		goto fail;
	}
	if (claim_callers(p, id, plan, &t.callers, err) < 0 ||
	    claim_mcs(&plan->mcs, id, spec, &t.mcs, err) < 0)
		goto fail;
	/* Leftovers of an earlier container with this id would shadow the new views. */
	t.views = plan->n_views > 0;
	if (t.views && (hr_idmount_release(p, id, err) < 0 ||
			make_views(p, id, plan, start, spec, undo, &tree, err) < 0))
		goto fail;
	if (plan->pod_pin && hr_pod_pin(p, plan->pod_pin, plan->runtime_root, err) < 0)
		goto fail;
	if (hr_provision_netns(&plan->netns, start, &t.netns, err) < 0)
		goto fail;
	/* Committed. */
	hr_netns_done_clear(&t.netns);
	record_undo(spec, undo);
	if (rootfs_fd)
		*rootfs_fd = tree;
	else if (tree >= 0)
		close(tree);
	return 0;
fail:
	/* All or nothing: a half-made provision never reaches a runtime. */
	if (tree >= 0)
		close(tree);
	txn_undo(p, id, plan, &t);
	return -1;
}

/* Open every layer of o into v->ovl (no policy: the caller judged or trusts them). */
static int open_layers(struct hr_view *v, const struct hr_ovl_paths *o, struct hr_error **err)
{
	size_t nl = hr_strv_len(o->lower), nd = hr_strv_len(o->data);

	v->ovl.lower = hr_xcalloc(nl + 1, sizeof(int));
	v->ovl.data = hr_xcalloc(nd + 1, sizeof(int));
	for (size_t i = 0; i < nl; i++, v->ovl.n_lower++)
		if ((v->ovl.lower[i] = open(o->lower[i], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return hr_error_set(err, errno, "overlay layer %s", o->lower[i]);
	for (size_t i = 0; i < nd; i++, v->ovl.n_data++)
		if ((v->ovl.data[i] = open(o->data[i], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return hr_error_set(err, errno, "overlay layer %s", o->data[i]);
	if (o->upper) {
		v->ovl.upper = open(o->upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
		v->ovl.work = open(o->work, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (v->ovl.upper < 0 || v->ovl.work < 0)
			return hr_error_set(err, errno, "overlay upper/work %s", o->upper);
		v->ovl.upper_name = hr_xstrdup(strrchr(o->upper, '/') + 1);
		v->ovl.work_name = hr_xstrdup(strrchr(o->work, '/') + 1);
	}
	v->ovl.extra = hr_strv_dup(o->extra ? o->extra : (char *[]){NULL});
	return 0;
}

int hr_idmount_rootfs(const struct hr_policy *p, const char *id, const char *root_path,
		      uint32_t host_start, uint32_t size, bool chown_fallback, char **new_path,
		      struct hr_error **err)
{
	struct hr_plan plan = {.chown_fallback = chown_fallback};
	struct hr_view *v = hr_plan_add_view(&plan);
	struct hr_ovl_paths o = {0};
	_cleanup_json_ struct hr_json *spec = hr_json_new(HR_JSON_OBJECT);
	int r = -1, ovl;

	*new_path = NULL;
	snprintf(v->name, sizeof(v->name), "rootfs");
	v->rootfs = v->dir = v->recursive = v->idmap = true;
	v->start = v->owner = host_start;
	v->size = size;
	v->fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (v->fd < 0) {
		hr_error_set(err, errno, "rootfs %s", root_path);
		goto out;
	}
	ovl = hr_ovl_mounted(v->fd, &o, err);
	if (ovl < 0 || (ovl == 1 && open_layers(v, &o, err) < 0))
		goto out;
	v->is_ovl = ovl == 1;
	if (hr_provision_run(p, id, &plan, spec, NULL, err) < 0)
		goto out;
	const char *rp = hr_json_as_string(hr_json_get_path(spec, "root/path"));
	*new_path = rp ? hr_xstrdup(rp) : NULL;
	r = 0;
out:
	hr_ovl_paths_free(&o);
	hr_plan_free(&plan);
	return r;
}
