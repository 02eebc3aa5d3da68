/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_DELEGATE_H
#define HARDRUN_DELEGATE_H

#include <stdbool.h>

#include "hardrun/cli.h"
#include "hardrun/error.h"

/* The lower-runtime name that selects hardrun's builtin runtime. */
#define HR_RUNTIME_BUILTIN "builtin"

/*
 * Resolve the lower runtime: `requested` (from --hardrun-runtime,
 * HARDRUN_RUNTIME or the policy, in that order of precedence, chosen by the
 * caller) as a path or a name searched on PATH; else "runc" then "crun" on
 * PATH.  A candidate that is this very binary (same device and inode as
 * /proc/self/exe, e.g. hardrun installed as `runc`) is skipped, so hardrun
 * never execs itself in a loop.  Returns a malloc'd absolute path, or
 * HR_RUNTIME_BUILTIN when requested is "builtin" or, with allow_builtin, when
 * nothing else is found.
 */
char *hr_delegate_find(const char *requested, bool allow_builtin, struct hr_error **err);

/* Is the runtime (a path or a name) the program `name`, e.g. "runc"? */
bool hr_runtime_is(const char *runtime, const char *name);

/*
 * Replace this process with the runtime, passing cli->runtime_argv (the
 * caller's argv minus hardrun's flags) and the environment unchanged.  Only
 * returns on failure.
 */
int hr_delegate_exec(const char *runtime, const struct hr_cli *cli, struct hr_error **err);

/* Run the runtime with cli->runtime_argv as a child; *status is its exit code. */
int hr_delegate_run(const char *runtime, const struct hr_cli *cli, int *status,
		    struct hr_error **err);

/*
 * Run `runtime arg` (e.g. --version, features) with stderr discarded and
 * return its whole stdout (malloc'd), or NULL if it failed or printed
 * nothing.
 */
char *hr_delegate_capture(const char *runtime, const char *arg);

#endif
