/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_LSM_H
#define HARDRUN_LSM_H

#include <stdbool.h>
#include <stddef.h>

#include "hardrun/error.h"

/*
 * The MAC rule's host-side state (src/rules/lsm.c).  SELinux MCS category
 * pairs are allocated per container under <state_dir>/selinux with a file
 * lock, so no two live containers share one.
 */

/*
 * Allocate (or, for the same id, return again) a category pair c<a>,c<b>
 * for container `id`; with persist false nothing is created, locked or
 * written (the rules' dry pick: id's own pair if it holds one).
 */
int hr_lsm_mcs_allocate(const char *state_dir, const char *id, bool persist, unsigned out[2],
			struct hr_error **err);

/* Free the pair of container `id`; no pair is not an error. */
int hr_lsm_mcs_release(const char *state_dir, const char *id, struct hr_error **err);

/*
 * Pure helpers, exported for unit tests: pick the lowest free pair a < b
 * among ncat categories given the used pairs; build a label from a base
 * context and a pair; read `key` from lxc_contexts text.
 */
int hr_lsm_mcs_pick(const unsigned (*used)[2], size_t n, unsigned ncat, unsigned out[2]);
char *hr_lsm_selinux_label(const char *base, unsigned a, unsigned b);
char *hr_lsm_lxc_context(const char *text, const char *key);

/*
 * What the LSM rule asks of the host: hardrun uses the real host's; the
 * unit tests install a stand-in (tests/unit/fake-lsm.c, never linked into
 * hardrun) that makes AppArmor/SELinux look on and records the calls it
 * would make.  apparmor_load loads (or keeps) the shipped hardrun-default
 * profile; lxc_contexts gives SELinux's lxc_contexts text and where it was
 * read.  hr_lsm_set_host(NULL) goes back to the real host.
 */
struct hr_policy;
struct hr_lsm_host {
	bool (*apparmor_on)(void);
	bool (*selinux_on)(void);
	int (*landlock_abi)(void); /* <= 0: none */
	bool (*apparmor_loaded)(const char *name);
	int (*apparmor_load)(const struct hr_policy *policy, struct hr_error **err);
	int (*lxc_contexts)(char **text, const char **path, struct hr_error **err);
	bool (*context_valid)(const char *label);
};
void hr_lsm_set_host(const struct hr_lsm_host *host);

#endif
