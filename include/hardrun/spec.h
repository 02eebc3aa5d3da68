/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_SPEC_H
#define HARDRUN_SPEC_H

#include <stdbool.h>

#include "hardrun/error.h"
#include "hardrun/json.h"

/*
 * Typed access to OCI runtime-spec paths in a config tree.  Paths are
 * '/'-separated object keys ("linux/seccomp").  Absent and null members are
 * the same thing (as for runc's decoder).
 */

/*
 * Return the member at path if it has type `want`; NULL without error if it
 * is absent or null; NULL with *err if it (or a parent) has another type.
 * With create, absent/null objects along the path (and the last member, if
 * want is an object or array) are created.
 */
struct hr_json *hr_spec_get(struct hr_json *spec, const char *path, enum hr_json_type want,
			    bool create, struct hr_error **err);

/* The string at path, or NULL when absent; error if not a string. */
int hr_spec_get_string(struct hr_json *spec, const char *path, const char **out,
		       struct hr_error **err);

/* The largest config.json hardrun reads: a larger one is not a config. */
#define HR_SPEC_MAX_BYTES (32u << 20)

/*
 * Load <bundle>/config.json: the bundle must be a directory (opened
 * O_DIRECTORY, path symlinks allowed as runc allows them), config.json must
 * be a regular file and not a symlink.  *dirfd receives the bundle fd, which
 * holds an exclusive flock(2) on the bundle directory until it is closed, so
 * that concurrent creates from one bundle take turns rewriting config.json.
 */
struct hr_json *hr_spec_load(const char *bundle, int *dirfd, struct hr_error **err);

/* The bundle directory, opened and flock(2)ed as by hr_spec_load; -1 with
 * *err on failure. */
int hr_bundle_lock(const char *bundle, struct hr_error **err);

/* The same for file `name` in the (already locked) bundle dirfd. */
struct hr_json *hr_spec_load_at(int dirfd, const char *name, const char *bundle,
				struct hr_error **err);

/* Write the tree to config.json in dirfd (indented, newline-terminated)
 * atomically: a temporary file renamed over it, never through a symlink
 * (hr_write_file_atomic). */
int hr_spec_write(int dirfd, const struct hr_json *spec, struct hr_error **err);

#endif
