/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_FEATURES_H
#define HARDRUN_FEATURES_H

#include "hardrun/error.h"

/*
 * `hardrun features`: the lower runtime's `features` JSON with `user` among
 * the namespaces and mountExtensions.idmap.enabled true (hardrun idmaps
 * mounts itself), because containerd's CRI refuses `hostUsers: false` pods
 * on a handler that does not advertise both.  Prints to stdout; returns the
 * exit code.
 */
int hr_features_main(const char *runtime, struct hr_error **err);

#endif
