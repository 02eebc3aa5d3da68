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
 * A config.json a killed lease hand-over left unfinished is replaced by
 * the caller's first (hr_spec_recover).
 */
struct hr_json *hr_spec_load(const char *bundle, int *dirfd, struct hr_error **err);

/* The bundle directory, opened and flock(2)ed as by hr_spec_load; -1 with
 * *err on failure. */
int hr_bundle_lock(const char *bundle, struct hr_error **err);

/* The same for file `name` in the (already locked) bundle dirfd. */
struct hr_json *hr_spec_load_at(int dirfd, const char *name, const char *bundle,
				struct hr_error **err);

/*
 * config.json does not load: a lease hand-over's worker may have died
 * between putting its leased file there and filling it (killed, out of
 * memory).  The caller's file is still linked as
 * .config.json.hardrun-<pid>-kept-<inode> of that create, where inode is
 * the leased file's: rename it back if that file is still the one at
 * config.json (never a killed file hand-over's "-old", an older config, nor
 * over a config.json the caller has written since).  Under the bundle lock
 * (dirfd from hr_bundle_lock), so no live hand-over is mistaken for one.
 * True when a file was put back.
 */
bool hr_spec_recover(int dirfd);

/* The tree as config.json's text (indented, newline-terminated). */
int hr_spec_serialize(const struct hr_json *spec, char **out, size_t *len, struct hr_error **err);

/* Write the tree to config.json in dirfd atomically; the replaced file stays
 * linked as *old for the caller to unlink (see hr_write_file_atomic_keep_old). */
int hr_spec_write(int dirfd, const struct hr_json *spec, char **old, struct hr_error **err);

#endif
