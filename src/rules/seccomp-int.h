/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_RULES_SECCOMP_INT_H
#define HARDRUN_RULES_SECCOMP_INT_H

#include <stdbool.h>

#include "hardrun/json.h"

/*
 * Rewrite the OCI seccomp object sc so that no call can give a file the
 * setuid or setgid bit or a file capability (seccomp-setid.c says how).
 * Idempotent: hardening an already hardened profile changes nothing.
 * Returns -1 only when sc.syscalls is not an array.
 */
int hr_seccomp_forbid_setid(struct hr_json *sc);

/* Does the profile hand calls to an agent (a NOTIFY rule or a listenerPath)? */
bool hr_seccomp_has_notify(const struct hr_json *sc);

/*
 * A copy of base (the default profile) with sc's SCMP_ACT_NOTIFY rules,
 * listenerPath and listenerMetadata on top: base's rules for those calls
 * are taken out, so the agent decides them.
 */
struct hr_json *hr_seccomp_notify_onto(const struct hr_json *sc, const struct hr_json *base);

/*
 * Why listenerPath may not be used (malloc'd), or NULL: an abstract or a
 * relative name, something that is not a socket, or a socket that is (by
 * inode) or lies (resolved) among the runtimes', engines' and buses'.  A
 * missing path passes: the runtime fails to connect.
 */
char *hr_seccomp_listener_refusal(const char *path);

#endif
