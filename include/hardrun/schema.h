/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_SCHEMA_H
#define HARDRUN_SCHEMA_H

#include "hardrun/error.h"
#include "hardrun/json.h"

/*
 * Check the types and ranges of the OCI runtime-spec fields of a config (or,
 * with `process_only`, of a process object for exec) before any rule looks
 * at it.  runc would refuse a config whose `process.user.uid` is "0" or -1
 * only after hardrun had rewritten the bundle; checking first means a bad
 * config is refused with a clear error and the bundle is left untouched.
 * Unknown fields are not checked (they are kept as they are).  A whole
 * config must have a process object (create, run, restore, check).
 */
int hr_schema_check(const struct hr_json *spec, bool process_only, struct hr_error **err);

#endif
