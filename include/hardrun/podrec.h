/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_PODREC_H
#define HARDRUN_PODREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hardrun/error.h"
#include "hardrun/nsinfo.h"

struct hr_policy;

/*
 * hardrun's own records of what it made, the only thing a join or a
 * mapping is judged by (annotations and paths prove nothing):
 *
 *   <state>/pods/<sandbox>     a pod sandbox hardrun made a user namespace
 *                              for: its range, runtime root, and (once
 *                              the runtime has made it, or at the first
 *                              member's join) that namespace's nsfs
 *                              identity
 *   <state>/callers/<id>       host ids a live container's own mapping uses
 *   <state>/callers.lock       flock over every claim of callers/
 */

struct hr_pod {
	uint32_t start, size;
	struct hr_nsid userns; /* the sandbox's user namespace */
	long pid;	       /* the sandbox's init, as its runtime's state names it */
	bool pinned;	       /* userns is the record's (else the live one, unrecorded) */
};

/* Record sandbox as a pod hardrun made, with its id range (at its create). */
int hr_pod_record(const struct hr_policy *p, const char *sandbox, const char *runtime_root,
		  uint32_t start, uint32_t size, struct hr_error **err);

/*
 * The pod `sandbox` as hardrun's records know it, under the same runtime
 * root: 1 and *out filled; 0 when hardrun made no such pod (not a sandbox,
 * another runtime root, a forged id); < 0 with *err when the record exists
 * but the sandbox's user namespace is not the one recorded (or does not
 * map exactly the recorded range).  Never writes: the namespace's identity,
 * once pinned in the record (hr_pod_pin), is compared at every call.
 */
int hr_pod_lookup(const struct hr_policy *p, const char *sandbox, const char *runtime_root,
		  struct hr_pod *out, struct hr_error **err);

/* Pin the sandbox's user namespace identity into its record (once). */
int hr_pod_pin(const struct hr_policy *p, const char *sandbox, const char *runtime_root,
	       struct hr_error **err);

/*
 * The pod a config says it belongs to (a CRI container's sandbox-id), as
 * hardrun's records know it: hr_pod_lookup of that sandbox, 0 for a config
 * that names none.
 */
struct hr_json;
int hr_pod_of(const struct hr_policy *p, const struct hr_json *spec, const char *runtime_root,
	      struct hr_pod *pod, struct hr_error **err);

/* Forget id's pod record and caller claims (delete, refused create). */
void hr_records_forget(const struct hr_policy *p, const char *id);

/* init pid of container id in the lower runtime's state (runc's state.json). */
int hr_runtime_init_pid(const char *runtime_root, const char *id, long *pid, struct hr_error **err);

/* One extent of host ids a mapping uses; kind 'u' or 'g'. */
struct hr_idext {
	char kind;
	uint64_t start, size;
};

/* Pure: the first extent of a overlapping one of b of the same kind, or -1. */
long hr_idext_overlap(const struct hr_idext *a, size_t na, const struct hr_idext *b, size_t nb);

/* Pure: is e inside one of the ranges in allowed (kind ignored)? */
bool hr_idext_inside(const struct hr_idext *e, const struct hr_idext *allowed, size_t n);

/*
 * Claim host ids for container key's own mapping: refused (1, *holder
 * malloc'd) when a live container's claim overlaps them, else written
 * (0).  Entries whose container is gone from its runtime root and older
 * than HR_IDRANGE_GRACE_SEC do not count.  < 0 on error.
 */
int hr_idclaim_caller(const struct hr_policy *p, const char *key, const char *runtime_root,
		      const struct hr_idext *ext, size_t n, char **holder, struct hr_error **err);

/* Read only (no lock, no write): 1 and *holder when a live claim other than
 * key's overlaps ext, else 0.  What the rules decide on. */
int hr_idclaim_holder(const struct hr_policy *p, const char *key, const struct hr_idext *ext,
		      size_t n, char **holder);

/* Drop key's caller claim (provision's undo). */
void hr_idclaim_release(const struct hr_policy *p, const char *key);

/*
 * Claim the rootfs object dev:ino (an overlay an engine mounted in its layer
 * store) for container key: refused (1, *holder malloc'd) while another live
 * container holds it, as hr_idclaim_caller decides liveness; else written (0).
 */
int hr_rootfs_claim(const struct hr_policy *p, const char *key, const char *runtime_root,
		    uint64_t dev, uint64_t ino, char **holder, struct hr_error **err);

#endif
