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
 * with `profile` and a new owner token (into owner; "" for an id hardrun
 * keeps nothing for).  From then on only this create may release what is
 * held under the id, until it is deleted.
 */
int hr_container_claim(const struct hr_policy *policy, const char *id, const char *profile,
		       char owner[HR_OWNER_LEN], struct hr_error **err);
/* Returns a malloc'd profile name, or NULL when nothing was recorded. */
char *hr_container_profile(const struct hr_policy *policy, const char *id);

/*
 * The create path writes its id's record and its id range without looking
 * for the temporaries of writers that were killed (a directory read each,
 * hr_write_file_atomic_unswept): this looks, for id and in the ranges,
 * once the runtime has started (the keeper) or the container runs.
 */
void hr_container_sweep(const struct hr_policy *policy, const char *id);

/*
 * Release everything hardrun holds for the container id (idmapped mounts,
 * id range, SELinux categories, record) unless the runtime still has a
 * container of that id in its state root (runc's layout,
 * <runtime_root>/<id>; NULL for runc's default), or `owner` is given and a
 * newer create has claimed the id since (owner "": nothing was claimed,
 * nothing to release; NULL: whoever claimed it, for delete).  After a refused or failed create,
 * or a foreground run, nothing is left; a create that failed because the id
 * is taken does not free the live container's range; the late release of a
 * container never frees what a new container of the same id holds.
 * Failures are logged as warnings (the allocator reclaims stale entries
 * later).
 */
void hr_container_release_unless_live(const struct hr_policy *policy, const char *id,
				      const char *runtime_root, const char *owner);

/*
 * create, run and restore through a lower runtime.  hardrun execs the
 * runtime (same pid, signals, descriptors and exit status as a direct
 * call) after forking a keeper, which holds the bundle lock (`bundle_lock`,
 * from hr_spec_load) until the runtime has read config.json, so that a
 * second create from the same bundle cannot replace it first, and, once
 * the runtime exits, releases what `owner` claimed when the container is
 * gone (a foreground run, or a failed create).  Without pidfd_open (Linux
 * before 5.3) the runtime runs as hardrun's child instead, with the bundle
 * locked until it exits.  old_config (or NULL), the replaced config.json
 * still linked in the bundle, is unlinked beside the runtime's start, not
 * before it.  Consumes bundle_lock.  Returns only on failure,
 * or (as parent) with the exit status to exit with.
 */
int hr_delegate_create(const char *runtime, const struct hr_cli *cli,
		       const struct hr_policy *policy, int bundle_lock, const char *old_config,
		       const char *owner, struct hr_error **err);

/*
 * create/run with a leased file at config.json (hr_handover_prepare
 * done): fork the worker that hardens and fills it, exec the runtime at once.
 * Consumes ho.  Returns only on failure.
 */
struct hr_handover;
int hr_delegate_handover(const char *runtime, const struct hr_cli *cli,
			 const struct hr_policy *policy, struct hr_handover *ho,
			 struct hr_error **err);

/*
 * `update`: refuse a request that lifts the pids or memory limit above what
 * the container's profile allows.  Returns < 0 with *err when refused.
 */
int hr_update_check(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		    struct hr_error **err);

#endif
