/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_PATH_H
#define HARDRUN_PATH_H

#include <stdbool.h>

/*
 * Lexical normalisation of a path, as the rules compare host and container
 * paths.  Purely textual: no file system access, no symlink resolution, so
 * the result names the same file as `path` only where no symlink is
 * involved; rules that care resolve separately.
 *
 * - the result is always absolute: a relative path is taken from /;
 * - repeated slashes collapse, "." and empty components vanish;
 * - ".." removes the previous component and never climbs above /
 *   ("/../etc" is "/etc");
 * - no trailing slash except for "/" itself; "" gives "/".
 *
 * Returns a malloc'd string, never NULL (allocation failure aborts).
 */
char *hr_path_normalise(const char *path);

/*
 * The same walk, stopping at the first prefix (after a component is
 * appended) for which stop(prefix) is true: that prefix is returned and
 * *stopped set; later components, ".." included, are not applied, for a
 * prefix whose ".." the kernel would not resolve lexically (a magic link in
 * /proc/self/fd).  stop NULL is hr_path_normalise(); stopped may be NULL.
 */
char *hr_path_normalise_until(const char *path, bool (*stop)(const char *prefix), bool *stopped);

/*
 * Resolve symlinks in an absolute host path as the kernel will when a
 * runtime mounts it, without requiring the target to exist: a missing
 * component ends the walk and the rest is appended lexically.  The result
 * is normalised as by hr_path_normalise().  Returns NULL on a symlink loop
 * (more than 40 links) or an unreadable link.  Reads the file system, so
 * the answer holds only as long as nobody changes the symlinks on the way.
 */
char *hr_path_resolve_host(const char *path);

#endif
