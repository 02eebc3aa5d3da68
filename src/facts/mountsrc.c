/* SPDX-License-Identifier: Apache-2.0 */
/* Mount sources as resolved objects (see include/hardrun/mountsrc.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/mountsrc.h"
#include "hardrun/util.h"

static int open_noslink(int dirfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (unsigned long long)(flags | O_PATH | O_CLOEXEC | O_NOFOLLOW),
	    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int fail(struct hr_src *s, int e)
{
	s->err = e ? e : EINVAL;
	hr_src_close(s);
	s->err = e ? e : EINVAL;
	return -1;
}

int hr_src_open(const char *base, const char *path, struct hr_src *s)
{
	_cleanup_free_ char *abs = NULL, *real = NULL, *dir = NULL;
	char *slash;

	*s = (struct hr_src)HR_SRC_INIT;
	if (!path || !*path)
		return fail(s, ENOENT);
	abs = path[0] == '/' || !base ? hr_xstrdup(path) : hr_xasprintf("%s/%s", base, path);
	if (abs[0] != '/')
		return fail(s, EINVAL);
	/* The kernel's own resolution, once; then the result is re-walked
	 * without following anything, so a swap in between fails (ELOOP). */
	real = hr_realpath(abs);
	if (!real)
		return fail(s, errno);
	slash = strrchr(real, '/');
	if (strcmp(real, "/") == 0) {
		s->fd = open_noslink(AT_FDCWD, "/", O_DIRECTORY);
	} else {
		dir = slash == real ? hr_xstrdup("/") : hr_xstrndup(real, (size_t)(slash - real));
		s->parent = open_noslink(AT_FDCWD, dir, O_DIRECTORY);
		if (s->parent < 0)
			return fail(s, errno);
		s->fd = open_noslink(s->parent, slash + 1, 0);
	}
	if (s->fd < 0 || fstat(s->fd, &s->st) < 0)
		return fail(s, errno);
	if (S_ISLNK(s->st.st_mode))
		return fail(s, ELOOP); /* became a symlink after it was resolved */
	s->real = hr_steal_ptr(&real);
	return 0;
}

void hr_src_close(struct hr_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->parent >= 0)
		close(s->parent);
	free(s->real);
	*s = (struct hr_src)HR_SRC_INIT;
}

char *hr_fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	return hr_xstrdup(buf);
}

void hr_roots_add(struct hr_roots *r, const char *path)
{
	struct stat st;

	if (!path || path[0] != '/' || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	r->st = hr_xrealloc(r->st, (r->n + 1) * sizeof(*r->st));
	r->paths = hr_xrealloc(r->paths, (r->n + 2) * sizeof(*r->paths));
	r->st[r->n] = st;
	r->paths[r->n++] = hr_xstrdup(path);
	r->paths[r->n] = NULL;
}

void hr_roots_load(struct hr_roots *r, char *const *paths)
{
	for (size_t i = 0; paths && paths[i]; i++)
		hr_roots_add(r, paths[i]);
}

void hr_roots_free(struct hr_roots *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->st);
	memset(r, 0, sizeof(*r));
}

static long root_index(const struct hr_roots *r, const struct stat *st)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->st[i].st_dev == st->st_dev && r->st[i].st_ino == st->st_ino)
			return (long)i;
	return -1;
}

long hr_src_beneath(const struct hr_src *s, const struct hr_roots *r)
{
	bool self = S_ISDIR(s->st.st_mode);
	int start = self ? s->fd : s->parent;
	_cleanup_close_ int cur = -1;

	if (start < 0 || r->n == 0)
		return -1;
	cur = fcntl(start, F_DUPFD_CLOEXEC, 3);
	/* ".." of a mount's root is the mount point's parent: the walk follows
	 * the tree the kernel resolves, whatever bind mounts sit on the way. */
	for (int depth = 0; cur >= 0 && depth < 4096; depth++) {
		struct stat st, up_st;
		int up;
		long i;

		if (fstat(cur, &st) < 0)
			return -1;
		if (!self && (i = root_index(r, &st)) >= 0)
			return i;
		self = false;
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			return -1;
		if (fstat(up, &up_st) < 0 ||
		    (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)) {
			close(up);
			return -1; /* reached / */
		}
		close(cur);
		cur = up;
	}
	return -1;
}

bool hr_src_kernel_fs(const struct hr_src *s)
{
	static const unsigned long magic[] = {
	    PROC_SUPER_MAGIC,	 SYSFS_MAGIC,	   DEVPTS_SUPER_MAGIC, CGROUP_SUPER_MAGIC,
	    CGROUP2_SUPER_MAGIC, SECURITYFS_MAGIC, DEBUGFS_MAGIC,      TRACEFS_MAGIC,
	    BPF_FS_MAGIC,	 NSFS_MAGIC,	   SELINUX_MAGIC,      SMACK_MAGIC,
	};
	struct statfs sf;

	if (s->fd < 0 || fstatfs(s->fd, &sf) < 0)
		return true; /* unknown: treat as the kernel's */
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((unsigned long)sf.f_type == magic[i])
			return true;
	return false;
}

/* ---- overlay options as runc joins them and the kernel reads them ------ */

static char *join_options(const struct hr_json *opts)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; opts && opts->type == HR_JSON_ARRAY && i < opts->arr.len; i++) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		len += o ? strlen(o) + 1 : 0;
	}
	out = hr_xcalloc(1, len);
	for (size_t i = 0; opts && opts->type == HR_JSON_ARRAY && i < opts->arr.len; i++) {
		const char *o = hr_json_as_string(opts->arr.items[i]);
		if (!o)
			continue;
		if (*out)
			strcat(out, ",");
		strcat(out, o);
	}
	return out;
}

/* The kernel's ovl_unescape(): a backslash is dropped and the next byte kept. */
static void unescape(char *s)
{
	char *d = s;

	for (;; s++, d++) {
		if (*s == '\\')
			s++;
		*d = *s;
		if (!*s)
			break;
	}
}

static void push(char ***layers, char ***keys, const char *path, const char *key)
{
	hr_strv_push(layers, path);
	hr_strv_push(keys, key);
}

/* lowerdir=: split on unescaped ':' ("::" marks data-only layers), escapes removed. */
static void split_lowerdir(char *v, char ***layers, char ***keys)
{
	char *start = v, *d = v;

	for (char *s = v;; s++, d++) {
		if (*s == '\\') {
			s++;
		} else if (*s == ':' || *s == '\0') {
			bool end = *s == '\0';
			*d = '\0';
			if (*start)
				push(layers, keys, start, "lowerdir");
			if (end)
				return;
			start = d + 1;
			continue;
		}
		*d = *s;
		if (!*s)
			break; /* a trailing backslash: the kernel stops there too */
	}
	if (*start)
		push(layers, keys, start, "lowerdir");
}

static void one_option(char *opt, char ***layers, char ***keys)
{
	char *v = strchr(opt, '=');

	if (!v || v == opt)
		return;
	*v++ = '\0';
	if (strcmp(opt, "lowerdir") == 0) {
		split_lowerdir(v, layers, keys);
	} else if (strcmp(opt, "upperdir") == 0 || strcmp(opt, "workdir") == 0) {
		unescape(v);
		push(layers, keys, v, opt);
	} else if (strcmp(opt, "lowerdir+") == 0 || strcmp(opt, "datadir+") == 0) {
		_cleanup_free_ char *u = hr_xstrdup(v);
		push(layers, keys, v, opt);
		unescape(u);
		if (strcmp(u, v) != 0)
			push(layers, keys, u, opt);
	}
}

size_t hr_ovl_layers(const struct hr_json *options, char ***layers, char ***keys)
{
	_cleanup_free_ char *data = join_options(options);
	char *tok = data;

	*layers = hr_xcalloc(1, sizeof(char *));
	*keys = hr_xcalloc(1, sizeof(char *));
	/* The kernel's split of mount data: ',' unless escaped by a backslash,
	 * which stays in the option for the per-key parsing above. */
	for (char *p = data;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == ',' || *p == '\0') {
			bool end = *p == '\0';
			*p = '\0';
			one_option(tok, layers, keys);
			if (end)
				break;
			tok = p + 1;
		}
	}
	return hr_strv_len(*layers);
}
