/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_SECCOMP_H
#define HARDRUN_SECCOMP_H

#include <stdbool.h>
#include <seccomp.h>

#include "hardrun/error.h"
#include "hardrun/json.h"

/*
 * OCI `linux.seccomp` objects: validation against this libseccomp, the
 * never-allowed syscall list, and compilation into a libseccomp filter for
 * the builtin runtime.  Syscall names are taken the way runc hands them to
 * libseccomp: as C strings, so a name is cut at its first NUL byte.
 */

/*
 * Syscalls no container may ever be allowed, whatever its profile says:
 * kernel code loading, kernel-wide state (time, swap, reboot, keyrings),
 * mount-API and namespace escapes, cross-process memory access and the
 * subsystems with a long record of privilege escalations (bpf, io_uring,
 * userfaultfd, perf).  NULL-terminated; every entry is known to libseccomp.
 */
extern const char *const hr_seccomp_never_allowed[];

/* True if libseccomp knows `name` on at least one architecture. */
bool hr_seccomp_syscall_known(const char *name);

/*
 * True if `action` (an OCI SCMP_ACT_* name) may let the syscall run: ALLOW,
 * LOG, TRACE (a tracer decides) and NOTIFY (an outside agent decides).
 * False for ERRNO, KILL*, TRAP and unknown names.
 */
bool hr_seccomp_action_allows(const char *action);

/*
 * True if syscall names a and b are the same syscall: equal names, or names
 * that resolve to the same number on the native architecture or on one of
 * `architectures` (an OCI array of SCMP_ARCH_* strings, may be NULL).
 */
bool hr_seccomp_same_syscall(const char *a, const char *b, const struct hr_json *architectures);

/*
 * A set of syscalls to recognise under any spelling: by name, and by number
 * on the native architecture and on each of `architectures`.  Built once per
 * profile so that checking a name costs one lookup per architecture.
 */
struct hr_seccomp_set;

/*
 * The set of `a` then `b` (NULL-terminated name lists, either may be NULL);
 * indexes run over a, then b.  Aborts on OOM.
 */
struct hr_seccomp_set *hr_seccomp_set_new(const char *const *a, char *const *b,
					  const struct hr_json *architectures);
void hr_seccomp_set_free(struct hr_seccomp_set *set);
size_t hr_seccomp_set_len(const struct hr_seccomp_set *set);
const char *hr_seccomp_set_name(const struct hr_seccomp_set *set, size_t i);
/* Index of the member `name` is the same syscall as, or -1. */
long hr_seccomp_set_find(const struct hr_seccomp_set *set, const char *name);

/* One OCI argument condition ({index, value, valueTwo, op}). */
struct hr_seccomp_arg {
	unsigned index; /* 0 to 5 */
	enum scmp_compare op;
	uint64_t value;	    /* for SCMP_CMP_MASKED_EQ: the mask */
	uint64_t value_two; /* for SCMP_CMP_MASKED_EQ: what the masked argument must equal */
};

/* Read one condition; -1 with *err (err may be NULL) if it is not a valid one. */
int hr_seccomp_arg_read(const struct hr_json *a, struct hr_seccomp_arg *out, struct hr_error **err);

/*
 * Check the shape of an OCI seccomp object without looking at syscall
 * names: known defaultAction and actions, errno values, architectures
 * resolvable by libseccomp, argument indexes and operators, flags.  The
 * error names the offending member ("syscalls[3].args[0].op").
 */
int hr_seccomp_check_structure(const struct hr_json *seccomp, struct hr_error **err);

/*
 * hr_seccomp_check_structure(), plus every syscall name must be known to
 * this libseccomp on some architecture and hold no NUL byte; the error
 * names the syscall.
 */
int hr_seccomp_validate(const struct hr_json *seccomp, struct hr_error **err);

/*
 * Build a libseccomp filter from a valid OCI seccomp object, the way runc
 * does: rules whose action equals the default are skipped, conditions on
 * distinct arguments are ANDed, several conditions on the same argument
 * become one rule each (ORed).  The filter does not set no_new_privs on
 * load (the runtime does, or the caller holds CAP_SYS_ADMIN) and uses the
 * binary-tree layout.  SCMP_ACT_NOTIFY is refused: the builtin runtime has
 * no listener.  Compile in the parent, where errors can still be returned;
 * the child only calls seccomp_load(), last before execve.
 */
int hr_seccomp_compile(const struct hr_json *seccomp, scmp_filter_ctx *out, struct hr_error **err);

static inline void hr_seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define _cleanup_seccomp_ __attribute__((cleanup(hr_seccomp_releasep)))

/*
 * Read and validate the seccomp profile `name` (a file name without '/')
 * from directory dir, or the absolute path `name`.  *out is a JSON object
 * owned by the caller.  Every file is validated, the shipped one too.
 */
int hr_seccomp_load_profile(const char *dir, const char *name, struct hr_json **out,
			    struct hr_error **err);

/* hr_seccomp_load_profile(dir, "default.json", out, err). */
int hr_seccomp_load_default(const char *dir, struct hr_json **out, struct hr_error **err);

#endif
