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
 * chosen by annotation).  Container ids are checked to be a single path
 * component before use.
 */
int hr_container_save(const struct hr_policy *policy, const char *id, const char *profile,
		      struct hr_error **err);
/* Returns a malloc'd profile name, or NULL when nothing was recorded. */
char *hr_container_profile(const struct hr_policy *policy, const char *id);

/*
 * Release everything hardrun holds for a container that no longer exists:
 * the idmapped mounts, the id range and the record.  Failures are logged as
 * warnings (the allocator reclaims stale entries later).
 */
void hr_container_release(const struct hr_policy *policy, const char *id);

/*
 * hr_container_release() unless the runtime still has a container of that
 * id in its state root (runc's layout, <runtime_root>/<id>; NULL for runc's
 * default): after a refused or failed create, or a foreground run, nothing
 * is left; a create that failed because the id is taken must not free the
 * live container's range.
 */
void hr_container_release_unless_live(const struct hr_policy *policy, const char *id,
				      const char *runtime_root);

/*
 * create, run and restore through a lower runtime.  The runtime runs as a
 * child: hardrun keeps the bundle lock (`bundle_lock`, from hr_spec_load)
 * until the runtime has read config.json, so a second create from the same
 * bundle cannot replace it first; forwards the signals it receives; and once
 * the runtime exits, releases the container's id range and idmapped mounts
 * when the container is gone (a foreground run, or a failed create).
 * Consumes bundle_lock.  Returns the exit status to exit with.
 */
int hr_delegate_create(const char *runtime, const struct hr_cli *cli,
		       const struct hr_policy *policy, int bundle_lock, struct hr_error **err);

/*
 * `update`: refuse a request that lifts the pids or memory limit above what
 * the container's profile allows.  Returns < 0 with *err when refused.
 */
int hr_update_check(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		    struct hr_error **err);

#endif
