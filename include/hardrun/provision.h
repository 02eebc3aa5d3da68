/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_PROVISION_H
#define HARDRUN_PROVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hardrun/error.h"
#include "hardrun/json.h"
#include "hardrun/podrec.h"

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

/* Host ids a caller's own mapping uses, claimed under callers.lock (podrec.h). */
#define HR_PLAN_MAX_EXTENTS 64
struct hr_caller_claim {
	size_t n; /* 0: nothing to claim */
	struct hr_idext ext[HR_PLAN_MAX_EXTENTS];
};

/*
 * A network namespace made for this container (or its pod) that its user
 * namespace will not own: provision enters it (hardrun stays there for the
 * runtime's exec) and writes the net.* sysctls the rules allowed.
 */
#define HR_PLAN_MAX_SYSCTLS 64
struct hr_netns_plan {
	char *path;	/* NULL: nothing to enter */
	bool low_ports; /* ip_unprivileged_port_start=0 there */
	bool shift;	/* values in container gids: shift by the claimed range */
	size_t n;
	char *key[HR_PLAN_MAX_SYSCTLS];
	/* as the netns's owner reads it, or (shift) ping_group_range in
	 * container gids, turned into host gids with the range provision claims */
	char *value[HR_PLAN_MAX_SYSCTLS];
};

/*
 * A container SELinux label: the rules put a label with a dry-picked MCS
 * pair into the spec; provision allocates the pair for good and rewrites
 * process.selinuxLabel (and linux.mountLabel) with it.
 */
struct hr_mcs_plan {
	bool want;
	bool mount_label;	   /* also linux.mountLabel (create) */
	char *proc_ctx, *file_ctx; /* lxc_contexts' process/file contexts */
	char *state_dir;	   /* <state_dir>/selinux holds the pairs */
};

struct hr_plan {
	const char *runtime_root; /* the runtime's state root (borrowed; NULL: default) */
	struct hr_range_claim range;
	struct hr_view *views;
	size_t n_views;
	bool chown_fallback; /* rootfs: chown in place where idmapping is impossible */
	bool in_memory;	     /* rootfs left detached for the builtin runtime */
	struct hr_caller_claim callers;
	struct hr_netns_plan netns;
	struct hr_mcs_plan mcs;
	/* a pod sandbox whose user namespace identity is not yet in its
	 * record: provision pins it (hr_pod_pin) */
	char *pod_pin;
};

/* What the netns step did, for its undo (src/provision/netns.c). */
struct hr_netns_done {
	int home;     /* this process's netns before (-1: none opened) */
	bool entered; /* setns done */
	size_t n;
	char *key[HR_PLAN_MAX_SYSCTLS + 1], *old[HR_PLAN_MAX_SYSCTLS + 1];
};
void hr_netns_plan_clear(struct hr_netns_plan *np);
void hr_netns_done_clear(struct hr_netns_done *d);
/* Enter np->path and write its sysctls (ping_group_range shifted by start). */
int hr_provision_netns(const struct hr_netns_plan *np, uint32_t start, struct hr_netns_done *d,
		       struct hr_error **err);
/* Every sysctl back to its earlier value, this process back home. */
void hr_provision_netns_undo(struct hr_netns_done *d);

/* The record of what provision replaced, for the next create from the bundle. */
#define HR_UNDO_ANNOTATION "run.hardrun.userns"

/* [{"containerID":0,"hostID":start,"size":size}]: a container's whole range. */
struct hr_json *hr_id_mapping_json(uint32_t start, uint32_t size);
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
 * made so far is unmounted and the range claimed here released.  Order:
 * range, caller ids, MCS pair, views, pod pin, and the network namespace
 * last (it changes this process: setns); each is undone on a later
 * failure (sysctls get their earlier values back, and this process its
 * own netns).  The rootfs
 * chown fallback (plan->chown_fallback, where the file system cannot be
 * idmapped) cannot be undone, as before.
 */
int hr_provision_run(const struct hr_policy *p, const char *id, const struct hr_plan *plan,
		     struct hr_json *spec, int *rootfs_fd, struct hr_error **err);

#endif
