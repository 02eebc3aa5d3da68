/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the userns rule: src/rules/userns.c and src/rules/userns-ns.c. */
#ifndef HARDRUN_RULES_USERNS_INT_H
#define HARDRUN_RULES_USERNS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "hardrun/error.h"
#include "hardrun/json.h"
#include "hardrun/mountsrc.h"
#include "hardrun/podrec.h"
#include "hardrun/rules.h"

#define HR_CRI_TYPE	  "io.kubernetes.cri.container-type"
#define HR_CRI_SANDBOX_ID "io.kubernetes.cri.sandbox-id"

/* What the fix decided: the range and how the container gets it. */
struct hr_userns_plan {
	uint32_t start, size;
	char *join;	  /* user namespace path to join (pod member), or NULL */
	const char *key;  /* range owner: container id or sandbox id */
	bool placeholder; /* dry run: no range allocated */
	bool pending;	  /* the range is claimed by provision: start is the pool's */
	bool own_userns;  /* the config brought the user namespace (and its mounts' maps) */
};

/*
 * The pod this container belongs to by hardrun's records (CRI container
 * with a sandbox-id hardrun made): 1 and *pod filled, 0 none, < 0 error.
 */
int hr_userns_pod_of(const struct hr_ctx *ctx, struct hr_pod *pod, struct hr_error **err);

/* Deny joining any user namespace by path but the pod's (hr_userns_pod_of). */
void hr_userns_check_join(struct hr_ctx *ctx, const char *path, uint32_t pool_first);

/*
 * A CRI pod member joins the sandbox's user namespace and shares its
 * mapping, only when hardrun's records hold `sandbox` as a pod it made
 * under this runtime root (hr_pod_lookup): the annotation alone proves
 * nothing.  Fills pl.
 */
int hr_userns_plan_pod_member(struct hr_ctx *ctx, const char *sandbox, uint32_t pool_first,
			      struct hr_userns_plan *pl, struct hr_error **err);

/*
 * After the user namespace is set: what only a namespace's owner may do
 * (mount sysfs and mqueue, name the uts namespace, ping_group_range beyond
 * the mapping) is adjusted to what the container will own.
 */
void hr_userns_adjust_shared(struct hr_ctx *ctx, const struct hr_userns_plan *pl);

/*
 * A network namespace joined by path that the container's user namespace
 * will not own is entered by this process now (with a container id) and
 * dropped from the config, since runc 1.1 could not enter it.  When it was
 * made for this container or pod (owned by the initial user namespace, not
 * the host's, no process in it or the recorded pod sandbox's), the net.*
 * sysctls asked for are written there by hardrun and dropped from the
 * config, and low ports are opened; elsewhere they are refused.  Dropped
 * entries are kept in undo (the HR_UNDO record) for the bundle's next use.
 */
int hr_userns_preenter_netns(struct hr_ctx *ctx, const struct hr_userns_plan *pl,
			     struct hr_json *undo, struct hr_error **err);

/* Will the container's network namespace belong to its user namespace? */
bool hr_userns_netns_owned(const struct hr_ctx *ctx, const struct hr_userns_plan *pl);

/* ping_group_range clamped to the mapping's size (userns-netns.c). */
void hr_userns_clamp_ping_range(struct hr_ctx *ctx, uint32_t size);

/* exec: enter the network namespace of container id's init (no-op if ours);
 * root: the runtime's state root. */
int hr_userns_enter_init_netns(const char *root, const char *id, struct hr_error **err);

/* Is [start, start+size) inside one of the policy's userns.callerRanges (*shared: may be shared)?
 */
bool hr_userns_in_caller_range(const struct hr_policy *p, uint64_t start, uint64_t size,
			       bool *shared);

/* What a caller's own mapping may use, for refusals (malloc'd). */
char *hr_userns_caller_ranges(const struct hr_policy *p);

/*
 * A config's own mapping outside hardrun's pool: refused unless above the
 * pool and claimed by no other live container; the claim for this one
 * (with a container id) goes into ctx->plan.  Findings only.
 */
void hr_userns_claim_caller(struct hr_ctx *ctx, const struct hr_json *linux_);

/* Name the locked flags of every bind source's mount (runc 1.1 remounts binds). */
void hr_userns_keep_locked_flags(struct hr_ctx *ctx);

/* ---- the idmap allowlist (userns-mounts.c): decides, never mounts ---- */

struct hr_userns_allow {
	struct hr_roots bundle;	 /* the bundle directory */
	struct hr_roots volumes; /* the policy's volumeRoots: bind sources */
	struct hr_roots layers;	 /* the policy's layerRoots: engine-mounted rootfs */
	struct hr_roots state;	 /* hardrun's state dir: other containers' views */
};

void hr_userns_allow_load(const struct hr_ctx *ctx, struct hr_userns_allow *a);
void hr_userns_allow_free(struct hr_userns_allow *a);

/*
 * root.path is idmapped only when it resolves beneath the bundle directory
 * or a volume root (overlay layers judged too); else a denial naming
 * root.path.  With a container id and ctx->plan, the judged object becomes
 * the plan's rootfs view; the undo record gets the old root.path.
 */
int hr_userns_decide_rootfs(struct hr_ctx *ctx, const struct hr_userns_allow *a,
			    const struct hr_userns_plan *pl, struct hr_json *undo,
			    struct hr_error **err);

struct hr_userns_bind {
	size_t index;	    /* mounts[index] */
	const char *field;  /* what asked: mounts[i].options, .uidMappings, or .source */
	const char *source; /* as the config names it */
	bool asks;	    /* the config asked for an idmap (refuse when not allowed) */
	bool recursive;	    /* rbind */
	bool placeholder;   /* dry run: judge, plan nothing */
	bool in_range;	    /* start/owner are the container's range, known at provision */
	uint32_t start, size, owner;
};

/*
 * A bind source is idmapped only when it resolves beneath a volume root.
 * 1: planned (a view of the judged object); 0: not idmapped (a denial was
 * recorded when b->asks); < 0 on error.
 */
int hr_userns_decide_bind(struct hr_ctx *ctx, const struct hr_userns_allow *a,
			  const struct hr_userns_bind *b, struct hr_error **err);

bool hr_userns_is_bind(const struct hr_json *m);
bool hr_userns_has_opt(const struct hr_json *m, const char *want);

#endif
