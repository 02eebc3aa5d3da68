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

#endif
