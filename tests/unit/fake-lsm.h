/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_TEST_FAKE_LSM_H
#define HARDRUN_TEST_FAKE_LSM_H

#include <stdbool.h>

/*
 * A stand-in LSM host for unit tests, which run where AppArmor and SELinux
 * are off: it makes them look on, records the calls hardrun would make
 * (apparmor_parser, security_check_context) instead of making them, and can
 * hide Landlock (landlock_abi 0; < 0 keeps the kernel's).  All off and
 * nothing given: back to the real host.
 */
void hr_lsm_fake_host(bool apparmor, bool selinux, int landlock_abi, const char *lxc_contexts);
const char *hr_lsm_fake_calls(void);

#endif
