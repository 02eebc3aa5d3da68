/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_PROVISION_H
#define HARDRUN_PROVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hardrun/error.h"
#include "hardrun/json.h"

struct hr_policy;

/*
 * Decide, then provision.  The rules read the spec, the policy and facts
 * about resolved objects, and write what must be made into a plan; they
 * never mount.  hr_provision_run() carries the plan out once every rule has
 * passed (create; never for check), as one transaction: either every view
 * exists and the spec names it, or nothing was made.
 */

/* An overlay rebuilt over idmapped clones of its layers, each a judged object. */
struct hr_ovl_fds {
	int *lower; /* top first; O_PATH fds owned by the plan */
	size_t n_lower;
	int *data; /* data-only layers */
	size_t n_data;
	int upper, work;  /* -1 for a read-only overlay */
	char *upper_name; /* their names in their common parent */
	char *work_name;
	char **extra; /* options passed through (redirect_dir=, metacopy=, userxattr) */
};

/* One idmapped view of a judged object under <stateDir>/mounts/<id>/<name>. */
struct hr_view {
	char name[24]; /* "rootfs" or "vol<index>" */
	bool rootfs;   /* else a volume: mounts[index].source */
	size_t index;
	int fd;		/* the object the rules judged (O_PATH), owned by the plan */
	bool idmap;	/* idmapped with start/size; else a plain clone (a pinned bind) */
	bool dir;	/* a directory (else a file volume) */
	bool recursive; /* rbind: submounts too */
	bool is_ovl;	/* an overlay's root: rebuilt over `ovl` */
	struct hr_ovl_fds ovl;
	uint32_t start, size; /* the mapping: container id 0 is host id start */
	uint32_t owner;	      /* host uid of the container's root: owns mounts/<id> */
	bool in_range;	      /* start and owner are the container's range, known at provision */
};

/* The container's host id range, claimed by provision (idmap.c's allocator). */
enum hr_range_how {
	HR_RANGE_NONE,	  /* nothing to claim (own mapping, dry run, rootless) */
	HR_RANGE_ACQUIRE, /* a range of its own: start known only once acquired */
	HR_RANGE_SHARE,	  /* another container's (a pod's) range, held while this one lives */
};

struct hr_range_claim {
	enum hr_range_how how;
	const char *key;	  /* the container id (borrowed) */
	const char *runtime_root; /* borrowed, may be NULL */
	const char *bundle;	  /* borrowed, may be NULL */
	uint32_t start, size;	  /* SHARE: the owner's range; ACQUIRE: size only */
	bool pod_record;	  /* ACQUIRE for a CRI sandbox: record the pod with it */
};

struct hr_plan {
	struct hr_range_claim range;
	struct hr_view *views;
	size_t n_views;
	bool chown_fallback; /* rootfs: chown in place where idmapping is impossible */
	bool in_memory;	     /* rootfs left detached for the builtin runtime */
};

/* The record of what provision replaced, for the next create from the bundle. */
#define HR_UNDO_ANNOTATION "run.hardrun.userns"

void hr_plan_free(struct hr_plan *pl);
/* A zeroed view appended to the plan (fds at -1). */
struct hr_view *hr_plan_add_view(struct hr_plan *pl);
/*
 * A later rule removed mounts[index] from the config: its view (if any) is
 * dropped and the views of the mounts after it follow their mount, so a
 * view is never made for, or patched into, another mount than the one the
 * rules judged.  Every rule that removes a mount after views were planned
 * calls this.
 */
void hr_plan_mount_removed(struct hr_plan *pl, size_t index);
void hr_ovl_fds_free(struct hr_ovl_fds *o);

/*
 * Claim the plan's id range (written into linux.uidMappings/gidMappings and
 * into every view marked in_range), then make every view of plan for
 * container id and point spec at it (root.path or mounts[index].source; in
 * memory, root.path stays and *rootfs_fd gets the detached tree), recording
 * what it replaced in the spec's HR_UNDO_ANNOTATION (not in memory: that
 * config never reaches the bundle).  All or nothing: on failure every view
 * made so far is unmounted and the range claimed here released.  The rootfs
 * chown fallback (plan->chown_fallback, where the file system cannot be
 * idmapped) cannot be undone, as before.
 */
int hr_provision_run(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		     struct hr_json *spec, int *rootfs_fd, struct hr_error **err);

#endif
