/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_RULES_RESOURCES_H
#define HARDRUN_RULES_RESOURCES_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "hardrun/error.h"
#include "hardrun/rules.h"

/* A `runc update` flag that was not given. */
#define HR_UPDATE_UNSET LLONG_MIN

/*
 * Check a `runc update` request against the resources rule's settings (the
 * `settings` pointer of the profile's "resources" rule config).
 * resources_json is the text given with `-r FILE` / `-r -` (a LinuxResources
 * object) or NULL; pids_flag, memory_flag and swap_flag are the values of
 * --pids-limit, --memory and --memory-swap (bytes), HR_UPDATE_UNSET when not
 * given.  A request that would lift the pids limit above the profile's
 * maximum (or to unlimited), or the memory or memory+swap limit above the
 * profile's memoryLimit, is recorded as a
 * finding through hr_report_unfixable(): the caller sets ctx->cur_rule to
 * "resources" and ctx->cur_action to the rule's action first (when cur_rule
 * is NULL this function uses "resources" and `deny`), then refuses the
 * update when ctx->findings.denials > 0.  Returns < 0 with *err for an
 * unreadable or mistyped request (refuse it too).
 */
int hr_resources_check_update(struct hr_ctx *ctx, const void *settings, const char *resources_json,
			      long long pids_flag, long long memory_flag, long long swap_flag,
			      struct hr_error **err);

/*
 * Whether a limit the host cannot apply (no cgroup controller for it, device
 * rules on cgroup v2 under the builtin runtime) must stop the container:
 * the profile's `resources.unapplied`, "deny" (the default) or "warn".
 * `settings` is the resources rule's, NULL when the profile has none.
 */
bool hr_resources_unapplied_fatal(const void *settings);

/*
 * Whether namespace file `path` is the host's namespace of `type` (an OCI
 * type: "pid", "network", "mount", "ipc", "uts", "cgroup", "user", "time"):
 * same device and inode as /proc/1/ns/<t> or hardrun's own /proc/self/ns/<t>.
 * Returns < 0 with *err when path cannot be inspected (callers fail closed).
 * Shared by the namespaces and resources rules.
 */
int hr_ns_path_is_host(const char *type, const char *path, bool *is_host, struct hr_error **err);

/* Is sysctl key in the resources rule's allow list (settings NULL: the default list)? */
bool hr_resources_sysctl_listed(const void *settings, const char *key);

/* What the host's cgroup file systems say about a linux.cgroupsPath. */
struct hr_cgroup_facts {
	bool is_root;	     /* it names a hierarchy's root */
	bool exists;	     /* a cgroup of that path exists in some hierarchy */
	unsigned long tasks; /* non-zero: it, or a cgroup below it, has tasks */
	/* a cgroup above it (below the hierarchy's root, outside hardrun's own
	 * cgroup and its parents) holds tasks in a hierarchy whose limits count
	 * children (pids, memory, unified): another container's */
	bool under_tasks;
	char under[256]; /* that cgroup, for the message */
};

/*
 * Gather them: the path as runc's cgroupfs manager reads it (absolute, or
 * relative to hardrun's own cgroup, which the runtime it execs shares), and
 * as the systemd form "slice:prefix:name" expands, in every v1 hierarchy
 * that limits something and in the unified one.
 */
void hr_cgroup_facts(const char *cgroups_path, struct hr_cgroup_facts *f);

/* Why a cgroupsPath with these facts is refused, NULL when it may be used.  Pure. */
const char *hr_cgroup_verdict(const struct hr_cgroup_facts *f);

/*
 * Judge one linux.resources.unified entry: NULL when it may stay; else the
 * reason, with fix[] the value to write instead ("" : remove the key).
 * pids_max is the profile's pids limit, memory_max its memory limit (<= 0:
 * none).  Pure.
 */
const char *hr_unified_verdict(const char *key, const char *value, int64_t pids_max,
			       int64_t memory_max, char fix[32]);

#endif
