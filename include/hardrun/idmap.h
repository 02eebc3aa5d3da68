/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_IDMAP_H
#define HARDRUN_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "hardrun/error.h"

struct hr_policy;

/*
 * Host id ranges for user namespaces, and idmapped mounts that make a rootfs
 * owned by host root appear owned by the container's range.
 *
 * State lives in p->state_dir (default /run/hardrun):
 *   ranges/.lock        flock'd by every allocator call
 *   ranges/<hoststart>  one file per allocated range (key=value lines)
 *   ranges/<hoststart>.<key>  one per container sharing another's range
 *   mounts/<id>/...     idmapped mounts of container <id>
 *
 * The same range serves uids and gids: container id k maps to host
 * host_start + k for both.
 */

/* runc's state root: used when neither the caller nor --root names one. */
#define HR_DEFAULT_RUNTIME_ROOT "/run/runc"

/*
 * Lower runtime's state root: runtime_root if non-NULL (callers pass the
 * command line's, hr_cli.state_root), else runc's default.
 */
const char *hr_runtime_root(const char *runtime_root);

/*
 * Does the lower runtime know a container `id` (its state directory
 * <root>/<id> exists)?  A create for an existing id must not touch that
 * container's range or mounts, nor release them when it fails.
 */
int hr_runtime_probe(const char *runtime_root, const char *id);
bool hr_runtime_has(const char *runtime_root, const char *id);

/* Effective state dir of the policy (p->state_dir, else "/run/hardrun"). */
const char *hr_idmap_state_dir(const struct hr_policy *p);

/* Remove the temporary files of range-entry writers that were killed. */
void hr_idrange_sweep(const struct hr_policy *p);

/*
 * The pool ranges are carved from: the /etc/subuid and /etc/subgid entries
 * of user "hardrun" (their intersection, so one host id is valid as uid and
 * gid) when p->pool_from_subid and the user has entries, else
 * [p->pool_start, p->pool_start + p->pool_size).  Host id 0 is never part
 * of a pool.  *first receives the lowest id of the pool (for "below the
 * pool" checks and dry-run placeholders).
 */
int hr_idpool_first(const struct hr_policy *p, uint32_t *first, struct hr_error **err);

/*
 * The pool's lowest id and one past its highest: a config's own mapping
 * outside the pool must lie at or above *end (ids below belong to host
 * users and their subordinate ranges).
 */
int hr_idpool_bounds(const struct hr_policy *p, uint32_t *first, uint64_t *end,
		     struct hr_error **err);

/*
 * May a config's own mapping use host ids [start, start + size)?  0: the
 * ids lie outside the pool; 1: inside the range key holds (key may be
 * NULL); 2: inside the pool but not key's range, so possibly another
 * container's (refuse).  < 0 on error.
 */
int hr_idpool_check(const struct hr_policy *p, uint64_t start, uint64_t size, const char *key,
		    struct hr_error **err);

/*
 * Allocate a range of `size` host ids (0: p->range_size, else 65536) for
 * `key` (a container id, or a pod's sandbox id) under the policy's pool.
 * Safe against concurrent callers (one flock'd lock file).  A key that
 * already holds a range (a container id reused after a crash or a delete
 * that did not go through hardrun) gets the same range back, unless that
 * range belongs to a live container under another runtime root (error).
 * Before allocating, stale entries are reclaimed: the lower runtime's state
 * directory <runtime_root>/<key> is gone and the entry is older than
 * HR_IDRANGE_GRACE_SEC (so a create in flight is never reclaimed); their
 * idmapped mounts are released too.  runtime_root NULL: hr_runtime_root().
 * bundle may be NULL (recorded for operators only).
 */
int hr_idrange_acquire(const struct hr_policy *p, const char *key, const char *runtime_root,
		       const char *bundle, uint32_t size, uint32_t *host_start,
		       struct hr_error **err);

#define HR_IDRANGE_GRACE_SEC 30

/*
 * Find the range held by key without allocating.  Returns 1 and fills
 * host_start and size when found, 0 when key holds none, < 0 on error.
 */
int hr_idrange_lookup(const struct hr_policy *p, const char *key, uint32_t *host_start,
		      uint32_t *size, struct hr_error **err);

/*
 * Record that container `key` lives in a user namespace using [host_start,
 * host_start + size) that another container owns (a pod member, docker's
 * --network container:X).  While any sharer exists the range stays
 * allocated, even if its owner is deleted first.  Released, reclaimed and
 * looked up like an owned range (state file "<host_start>.<key>").
 */
int hr_idrange_share(const struct hr_policy *p, const char *key, const char *runtime_root,
		     const char *bundle, uint32_t host_start, uint32_t size, struct hr_error **err);

/*
 * The runtime root key's range was allocated under: 1 and *root
 * (malloc'd), 0 when key holds none or the state cannot be read.
 */
int hr_idrange_root_of(const struct hr_policy *p, const char *key, char **root);

/* Free the range held by key; no range is not an error.  Called after delete. */
int hr_idrange_release(const struct hr_policy *p, const char *key, struct hr_error **err);

/*
 * Reclaim every stale entry now (see hr_idrange_acquire).  grace_sec < 0:
 * HR_IDRANGE_GRACE_SEC.  *reclaimed (may be NULL) receives the count.
 */
int hr_idrange_reclaim(const struct hr_policy *p, int grace_sec, unsigned *reclaimed,
		       struct hr_error **err);

/*
 * A user namespace whose uid and gid maps are "0 host_start size"; returns
 * an fd on it (O_CLOEXEC) for MOUNT_ATTR_IDMAP, or < 0 with *err.
 */
int hr_userns_fd(uint32_t host_start, uint32_t size, struct hr_error **err);

/*
 * Make the rootfs at root_path (absolute) appear to the container with
 * ownership shifted into [host_start, host_start + size): place an idmapped
 * view of it at <state_dir>/mounts/<id>/rootfs and return that path in
 * *new_path (malloc'd).  A plain directory is cloned recursively
 * (open_tree) and idmapped; an overlay mount (which itself cannot be
 * idmapped) is rebuilt as a new overlay over idmapped clones of its layers,
 * so nothing is copied.  Where the filesystem cannot be idmapped and
 * chown_fallback is set, the tree is chowned in place instead (O(files)) and
 * *new_path is NULL; without chown_fallback that is an error.  The bundle's
 * rootfs mount is never changed (except by the chown fallback).  No policy
 * is applied here: the userns rule decides what may be idmapped and the
 * create path uses hr_provision_run() on its plan (provision.h).
 */
int hr_idmount_rootfs(const struct hr_policy *p, const char *id, const char *root_path,
		      uint32_t host_start, uint32_t size, bool chown_fallback, char **new_path,
		      struct hr_error **err);

/* The layers of an overlay mount as mountinfo shows them, made absolute. */
struct hr_ovl_paths {
	char **lower, **data; /* NULL-terminated; lower top first */
	char *upper, *work;   /* NULL for a read-only overlay */
	char **extra;	      /* options kept for a rebuilt overlay */
};
void hr_ovl_paths_free(struct hr_ovl_paths *o);

/*
 * Is the object fd the root of an overlay mount?  1 with *o filled (found
 * in /proc/self/mountinfo by the mount id statx reports for fd, not by
 * path), 0 when it is not, < 0 on error.
 */
int hr_ovl_mounted(int fd, struct hr_ovl_paths *o, struct hr_error **err);

struct hr_view;
/*
 * The idmapped, detached tree of view v (provision.h): a clone of the
 * judged object v->fd (recursive for an rbind or the rootfs), or a new
 * overlay over idmapped clones of v->ovl's judged layers.  userns: an fd
 * from hr_userns_fd() for v's mapping.
 */
int hr_idmount_tree(const struct hr_policy *p, const char *id, const struct hr_view *v, int userns,
		    struct hr_error **err);

/*
 * Attach tree at <state_dir>/mounts/<id>/<v->name> (a directory, or an
 * empty file for a file volume); *path receives it.  <state_dir>/mounts/<id>
 * is made v->owner's (mode 0700) so runc can reach the views from inside
 * the user namespace while other host users cannot.
 */
int hr_idmount_attach(const struct hr_policy *p, const char *id, const struct hr_view *v, int tree,
		      char **path, struct hr_error **err);

/*
 * Unmount (MNT_DETACH) everything under <state_dir>/mounts/<id> and remove
 * the (then empty) directories.  Never deletes files: if something stays
 * mounted, the directory stays.  Nothing there is not an error.  Called
 * after delete and when a create fails after idmapping.
 */
int hr_idmount_release(const struct hr_policy *p, const char *id, struct hr_error **err);

/*
 * Chown every inode under path (no symlink following, staying on one
 * filesystem) from container ownership to [host_start, host_start + size):
 * ids below size move to host_start + id; ids already inside another range
 * of the pool starting at pool_first are shifted, so a bundle reused by a
 * later container follows it.  The fallback where idmapping is impossible.
 */
int hr_chown_tree(const char *path, uint32_t host_start, uint32_t size, uint32_t pool_first,
		  struct hr_error **err);

#endif
