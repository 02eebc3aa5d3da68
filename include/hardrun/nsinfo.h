/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_NSINFO_H
#define HARDRUN_NSINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "hardrun/error.h"

/*
 * Namespaces as the kernel names them, not as paths spell them.  A path is
 * opened O_PATH first and checked to be an nsfs file before anything reads
 * it (a FIFO named as a namespace would block an open for reading); only
 * then is it reopened for the ioctls.  Facts are pure data, and the
 * decisions over them (hr_ns_judge) touch nothing, so rules can be
 * unit-tested on made-up facts.
 */

/* A namespace's identity: the nsfs device and inode (what readlink shows). */
struct hr_nsid {
	uint64_t dev, ino;
};

static inline bool hr_nsid_eq(const struct hr_nsid *a, const struct hr_nsid *b)
{
	return a && b && a->dev == b->dev && a->ino == b->ino && a->ino != 0;
}

struct hr_ns_facts {
	struct hr_nsid id;
	int nstype;	      /* CLONE_NEW* (NS_GET_NSTYPE) */
	bool owner_known;     /* NS_GET_USERNS answered */
	struct hr_nsid owner; /* owning user namespace (of a user namespace: its parent) */
	/* The owner is the initial user namespace (its NS_GET_PARENT fails with
	 * EPERM: nothing above it that hardrun can see).  For a user namespace:
	 * it is itself the initial one. */
	bool owner_initial;
};

/* Is a statfs f_type nsfs's?  (Pure.) */
bool hr_ns_fstype_ok(unsigned long f_type);

/* CLONE_NEW* of an OCI namespace type ("network", "pid", ...), 0 if unknown. */
int hr_ns_clone_type(const char *oci_type);

/*
 * Open the namespace file at path for ioctl/setns: O_PATH first, refused
 * unless it is on nsfs (so a FIFO, a socket or a regular file is never
 * opened for reading), then reopened through /proc/self/fd.  Returns the
 * descriptor (O_CLOEXEC) or < 0 with *err naming the path.
 */
int hr_ns_open(const char *path, struct hr_error **err);

/* Facts about the namespace open at fd (from hr_ns_open). */
int hr_ns_inspect(int fd, struct hr_ns_facts *f, struct hr_error **err);

/* hr_ns_open + hr_ns_inspect. */
int hr_ns_resolve(const char *path, struct hr_ns_facts *f, struct hr_error **err);

/* Identity of the namespace hardrun itself is in, of CLONE_NEW* type t. */
int hr_ns_self(int t, struct hr_nsid *id);

enum hr_ns_verdict {
	HR_NS_WRONG_TYPE, /* not a namespace of the type the entry names */
	HR_NS_HOST,	  /* the host's own (or, for user: the initial one) */
	HR_NS_HOST_OWNED, /* owned by the initial user namespace, not hardrun's own
			     (a CNI netns; for pid/ipc/...: a root-made one) */
	HR_NS_POD,	  /* the pod's: its user namespace, or owned by it */
	HR_NS_FOREIGN,	  /* owned by a user namespace hardrun did not make for this pod */
};

/*
 * Judge namespace f joined as CLONE_NEW* type `want`: `host` is hardrun's
 * own namespace of that type (NULL: none known), `pod_userns` the user
 * namespace hardrun's records give this container's pod (NULL: none).
 * Pure: no system call.
 */
enum hr_ns_verdict hr_ns_judge(const struct hr_ns_facts *f, int want, const struct hr_nsid *host,
			       const struct hr_nsid *pod_userns);

#endif
