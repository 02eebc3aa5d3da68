/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_MOUNTSRC_H
#define HARDRUN_MOUNTSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "hardrun/json.h"

/*
 * Mount sources as objects, not names.  A source is opened once (the
 * kernel's own resolution, symlinks followed as mount(2) follows them) and
 * from then on every decision and the idmapped view that is finally
 * mounted use that descriptor, so swapping a symlink on the path after the
 * decision changes nothing.  Where an object lies is found by walking ".."
 * up from it and comparing device and inode numbers with the allowed
 * roots, never by comparing path strings.
 */

struct hr_src {
	int fd;		/* O_PATH|O_CLOEXEC on the object, -1 when not opened */
	int parent;	/* O_PATH on the directory holding it, -1 for "/" */
	int err;	/* errno of a failed open (ELOOP: the path changed while resolved) */
	struct stat st; /* the object */
	char *real;	/* the path it had when opened, for messages only */
};

#define HR_SRC_INIT                                                                                \
	{                                                                                          \
		.fd = -1, .parent = -1                                                             \
	}

/*
 * Open `path` (absolute, or relative to `base` when base is non-NULL) as
 * mount(2) would find it.  The path is resolved once, then every component
 * is re-opened with RESOLVE_NO_SYMLINKS, so a path changed in between fails
 * (ELOOP) instead of naming another object.  Returns 0, or -1 with s->err.
 */
int hr_src_open(const char *base, const char *path, struct hr_src *s);
void hr_src_close(struct hr_src *s);

/* The path the kernel gives an open fd now (/proc/self/fd), NULL if none. */
char *hr_fd_path(int fd);

/* Directories whose contents belong to containers, opened once. */
struct hr_roots {
	struct stat *st;
	char **paths; /* as the policy wrote them, for messages */
	size_t n;
};

/* stat() every path (following symlinks: the list is the host's own); missing ones are skipped. */
void hr_roots_load(struct hr_roots *r, char *const *paths);
void hr_roots_add(struct hr_roots *r, const char *path);
void hr_roots_free(struct hr_roots *r);

/*
 * Index of the root strictly beneath which the object s lies (walking ".."
 * from it, across mount points as the kernel does), or -1.  An object that
 * is a root itself is not beneath it.
 */
long hr_src_beneath(const struct hr_src *s, const struct hr_roots *r);

/* Is the object on a kernel pseudo file system (proc, sysfs, devtmpfs, cgroup...)? */
bool hr_src_kernel_fs(const struct hr_src *s);

/*
 * Every layer path the kernel looks up for an overlay mount with these OCI
 * options: runc joins the options with ',' into one data string; the kernel
 * splits it on unescaped ',', takes `lowerdir=` (split on unescaped ':',
 * "::" before data-only layers, backslashes removed), `upperdir=` and
 * `workdir=` (backslashes removed), `lowerdir+=` and `datadir+=` (taken
 * literally; their unescaped spelling is listed too, for kernels that
 * differ).  *keys receives, per layer, the option key it came from.
 * Returns the number of layers; both vectors are NULL-terminated.
 */
size_t hr_ovl_layers(const struct hr_json *options, char ***layers, char ***keys);

#endif
