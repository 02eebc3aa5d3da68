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
 * for container `id`; with persist false nothing is written (dry run).
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
 * Test hook: pretend the host has AppArmor/SELinux/a Landlock ABI and
 * record the calls hardrun would make (apparmor_parser, setcon, ...) in a
 * string instead of making them.
 */
void hr_lsm_fake_host(bool apparmor, bool selinux, int landlock_abi, const char *lxc_contexts);
const char *hr_lsm_fake_calls(void);

#endif
