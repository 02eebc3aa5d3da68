/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_LIFECYCLE_H
#define HARDRUN_LIFECYCLE_H

#include "hardrun/cli.h"
#include "hardrun/error.h"
#include "hardrun/profile.h"

/*
 * What hardrun remembers about a container between its commands, kept under
 * policy->state_dir/containers/<id>: the profile it was created with, so
 * that `exec` and `update` are judged by the same profile (including one
 * chosen by annotation), and the owner, a random token of the create that
 * wrote it.  Container ids are checked to be a single path component
 * before use.
 */
#define HR_OWNER_LEN 17 /* 16 hex digits and NUL */

/*
 * Claim id for a create that is about to allocate for it: write the record
 * with `profile`, a new owner token (into owner; "" for an id hardrun
 * keeps nothing for) and the runtime root.  From then on only this create
 * may release what is held under the id, until it is deleted, and only a
 * delete under the same runtime root.  Refused (EEXIST, record untouched,
 * owner "") when the runtime under runtime_root still has a container of
 * that id: the caller must stop, the id is the live container's.
 */
int hr_container_claim(const struct hr_policy *policy, const char *id, const char *runtime_root,
		       const char *profile, char owner[HR_OWNER_LEN], struct hr_error **err);
/* Returns a malloc'd profile name, or NULL when nothing was recorded. */
char *hr_container_profile(const struct hr_policy *policy, const char *id);

/* Remove the temporaries of killed writers of id's record and of the id
 * ranges: the keeper's housekeeping once the runtime has started. */
void hr_container_sweep(const struct hr_policy *policy, const char *id);

/*
 * Release everything hardrun holds for the container id (idmapped mounts,
 * id range, SELinux categories, record) unless the runtime still has a
 * container of that id in its state root (runc's layout,
 * <runtime_root>/<id>; NULL for runc's default), or `owner` is given and a
 * newer create has claimed the id since (owner "": nothing was claimed,
 * nothing to release; NULL: whoever claimed it, for delete, and then only
 * when the id was created under the same runtime root).  After a refused or failed create,
 * or a foreground run, nothing is left; a create that failed because the id
 * is taken does not free the live container's range; the late release of a
 * container never frees what a new container of the same id holds.
 * Failures are logged as warnings (the allocator reclaims stale entries
 * later).
 */
void hr_container_release_unless_live(const struct hr_policy *policy, const char *id,
				      const char *runtime_root, const char *owner);

/*
 * What a create hands over besides config.json.  record runs in the keeper
 * once hardrun has been replaced by the runtime (the audit record: off the
 * runtime's path), drop in hardrun just before the exec (frees what only
 * the keeper needs); either may be NULL.
 */
struct hr_handoff {
	int bundle_lock;   /* from hr_spec_load; consumed */
	const char *owner; /* the create's claim on the id (hr_container_claim) */
	void (*record)(void *ctx);
	void (*drop)(void *ctx);
	void *ctx;
};

/*
 * create, run and restore through a lower runtime, config.json already
 * hardened and written.  hardrun execs the runtime (same pid, signals,
 * descriptors and exit status as a direct call) after forking a keeper,
 * which records the decision, holds the bundle lock until the runtime has
 * read config.json, so that a second create from the same bundle cannot
 * replace it first, and, once the runtime exits, releases what `owner`
 * claimed when the container is gone (a foreground run, or a failed
 * create).  Without pidfd_open (Linux before 5.3) the runtime runs as
 * hardrun's child instead, with the bundle locked until it exits.  Returns
 * only on failure, or (as parent) with the exit status to exit with.
 */
int hr_delegate_create(const char *runtime, const struct hr_cli *cli,
		       const struct hr_policy *policy, struct hr_handoff *ho,
		       struct hr_error **err);

/*
 * `update`: refuse a request that lifts the pids or memory limit above what
 * the container's profile allows.  Returns < 0 with *err when refused.
 */
int hr_update_check(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		    struct hr_error **err);

#endif
