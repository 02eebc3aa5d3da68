/* SPDX-License-Identifier: Apache-2.0 */
/* Idmapped rootfs and volumes (see include/hardrun/idmap.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/provision.h"
#include "hardrun/util.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

#define HR_MAX_LAYERS 128

static int detach_tree(const char *dir, struct hr_error **err);

static int write_map(pid_t pid, const char *file, uint32_t start, uint32_t size,
		     struct hr_error **err)
{
	_cleanup_free_ char *path = hr_xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "0 %" PRIu32 " %" PRIu32 "\n", start, size);

	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return hr_error_set(err, errno, "write %s", path);
	return 0;
}

static int exit_at_once(void *arg)
{
	(void)arg;
	return 0;
}

/*
 * A user namespace with the given maps, as an fd.  Its first member is a
 * child that exits at once: clone(CLONE_VM | CLONE_VFORK) copies no page
 * tables and lets us go on only after it exited, and until we reap it the
 * zombie still names the namespace in /proc/<pid>/{uid_map,gid_map,ns/user},
 * cheaper than a forked child that unshares and waits.
 */
int hr_userns_fd(uint32_t host_start, uint32_t size, struct hr_error **err)
{
	char stack[16384] __attribute__((aligned(16)));
	int fd = -1;
	pid_t pid;

	if (host_start == 0 || size == 0 || (uint64_t)host_start + size > UINT32_MAX)
		return hr_error_set(err, EINVAL, "invalid id range %" PRIu32 "+%" PRIu32,
				    host_start, size);
	pid = clone(exit_at_once, stack + sizeof(stack),
		    CLONE_NEWUSER | CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		return hr_error_set(err, errno, "create a user namespace");
	/* The maps are written from outside, by root, so no setgroups deny is needed. */
	if (write_map(pid, "uid_map", host_start, size, err) == 0 &&
	    write_map(pid, "gid_map", host_start, size, err) == 0) {
		_cleanup_free_ char *ns = hr_xasprintf("/proc/%d/ns/user", (int)pid);
		fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			hr_error_set(err, errno, "open %s", ns);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

/* A detached, idmapped clone of the mount tree at path (dirfd-relative). */
static int clone_idmapped(int dirfd, const char *path, int userns, bool recursive,
			  struct hr_error **err)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
	_cleanup_close_ int fd = open_tree(dirfd, path, flags | (*path ? 0 : AT_EMPTY_PATH));

	if (fd < 0)
		return hr_error_set(err, errno, "clone mount of %s", path);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return hr_error_set(err, errno, "idmap mount of %s", path);
	return hr_steal_fd(&fd);
}

/* Container root (an unprivileged host uid) must reach its rootfs through here. */
static int traversable(const char *dir, struct hr_error **err)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return hr_error_set(err, errno, "stat %s", dir);
	if ((st.st_mode & 0011) != 0011 && chmod(dir, (st.st_mode & 07777) | 0011) < 0)
		return hr_error_set(err, errno, "chmod %s", dir);
	return 0;
}

/* <state>/mounts/<id>[/name]; mode 0711: container root must traverse it. */
static char *mount_dir(const struct hr_policy *p, const char *id, const char *name, bool dir,
		       uint32_t owner, struct hr_error **err)
{
	_cleanup_free_ char *base = hr_xasprintf("%s/mounts/%s", hr_idmap_state_dir(p), id);
	_cleanup_free_ char *path = NULL;

	if (!hr_file_name_ok(id)) {
		hr_error_set(err, EINVAL, "invalid container id `%s`", id);
		return NULL;
	}
	_cleanup_free_ char *mounts = hr_xasprintf("%s/mounts", hr_idmap_state_dir(p));

	if (hr_mkdir_p(base, 0700, err) < 0 || traversable(hr_idmap_state_dir(p), err) < 0 ||
	    traversable(mounts, err) < 0) {
		hr_err_wrap(err, "idmapped mount dir");
		return NULL;
	}
	/*
	 * The container's root must reach its views (runc resolves root.path
	 * inside the user namespace), other host users must not: the
	 * container's own directory belongs to its range's root, mode 0700.
	 */
	if (chown(base, owner, owner) < 0 || chmod(base, 0700) < 0) {
		hr_error_set(err, errno, "chown %s", base);
		return NULL;
	}
	path = hr_xasprintf("%s/%s", base, name);
	if (dir) {
		if (mkdir(path, 0711) < 0 && errno != EEXIST) {
			hr_error_set(err, errno, "mkdir %s", path);
			return NULL;
		}
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			hr_error_set(err, errno, "create %s", path);
			return NULL;
		}
		close(fd);
	}
	return hr_steal_ptr(&path);
}

static int attach(int fd, const char *target, struct hr_error **err)
{
	if (move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return hr_error_set(err, errno, "attach idmapped mount at %s", target);
	return 0;
}

/* Undo mountinfo's octal escapes (\040 etc.) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

void hr_ovl_paths_free(struct hr_ovl_paths *o)
{
	hr_strv_free(o->lower);
	hr_strv_free(o->data);
	hr_strv_free(o->extra);
	free(o->upper);
	free(o->work);
	memset(o, 0, sizeof(*o));
}

/* Split a mountinfo lowerdir value on unescaped ':'; layers after "::" are data-only. */
static void split_lower(char *v, char ***out, char ***data)
{
	char *start = v, *w = v;

	for (char *s = v;; s++) {
		if (*s == '\\' && s[1] == ':') {
			*w++ = ':';
			s++;
		} else if (*s == ':' || *s == '\0') {
			bool end = *s == '\0';
			*w = '\0';
			if (*start)
				hr_strv_push(out, start);
			else if (!end && start != v)
				out = data;
			if (end)
				return;
			start = w = s + 1;
		} else {
			*w++ = *s;
		}
	}
}

static void ovl_option(struct hr_ovl_paths *o, char *opt)
{
	/* Not "volatile": its dirty marker would refuse the next start on our workdir. */
	static const char *const keep[] = {"redirect_dir=", "metacopy=", "userxattr", NULL};
	char *v = NULL;

	unescape(opt);
	v = strchr(opt, '=');
	if (hr_startswith(opt, "lowerdir=") || hr_startswith(opt, "lowerdir+=")) {
		split_lower(v + 1, &o->lower, &o->data);
	} else if (hr_startswith(opt, "datadir+=")) {
		hr_strv_push(&o->data, v + 1);
	} else if (hr_startswith(opt, "upperdir=")) {
		free(o->upper);
		o->upper = hr_xstrdup(v + 1);
	} else if (hr_startswith(opt, "workdir=")) {
		free(o->work);
		o->work = hr_xstrdup(v + 1);
	} else {
		for (const char *const *k = keep; *k; k++)
			if (hr_startswith(opt, *k))
				hr_strv_push(&o->extra, opt);
	}
}

static char *dir_name(const char *path)
{
	char *d = hr_xstrdup(path), *slash = strrchr(d, '/');

	if (slash == d)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	return d;
}

/* base/rel if rel is relative and names a directory there; NULL if it does not. */
static char *resolve_in(const char *base, const char *rel)
{
	struct stat st;
	char *p = NULL;

	if (rel[0] == '/')
		return hr_xstrdup(rel);
	if (!base)
		return NULL;
	p = hr_xasprintf("%s/%s", base, rel);
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return p;
	free(p);
	return NULL;
}

static int absolute_all(const char *mnt, const char *base, char **v, struct hr_error **err)
{
	for (; v && *v; v++) {
		char *abs = resolve_in(base, *v);
		if (!abs)
			return hr_error_set(
			    err, EINVAL, "overlay at %s: layer `%s` cannot be resolved", mnt, *v);
		free(*v);
		*v = abs;
	}
	return 0;
}

/*
 * Docker's overlay2 and containers/storage mount with short relative layer
 * paths ("l/ABC", "<id>/diff") from their storage root when the options
 * would not fit a page, and mountinfo shows them as given.  Both keep the
 * mount point at <root>/<id>/merged, so relative paths resolve against the
 * mount point's grandparent; anything that does not resolve is an error.
 */
static int ovl_absolute(const char *mnt, struct hr_ovl_paths *o, struct hr_error **err)
{
	_cleanup_free_ char *parent = dir_name(mnt), *base = dir_name(parent);
	char *uw[] = {o->upper, o->work, NULL};

	if (absolute_all(mnt, base, o->lower, err) < 0 ||
	    absolute_all(mnt, base, o->data, err) < 0 || absolute_all(mnt, base, uw, err) < 0)
		return -1;
	o->upper = uw[0];
	o->work = uw[1];
	return 0;
}

/* The options of mount mnt_id, if it is an overlay; *mnt gets its mount point. */
static char *ovl_mountinfo(uint64_t mnt_id, char **mnt, struct hr_error **err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	char *opts = NULL;
	size_t cap = 0;

	if (!f) {
		hr_error_set(err, errno, "open /proc/self/mountinfo");
		return NULL;
	}
	while (!opts && getline(&line, &cap, f) >= 0) {
		char *fields[6] = {0}, *sep = strstr(line, " - "), *s = line, *so;
		if (!sep)
			continue;
		for (int i = 0; i < 6 && s; i++)
			fields[i] = strsep(&s, " ");
		if (!fields[4] || strtoull(fields[0], NULL, 10) != mnt_id)
			continue;
		/* sep+3: "<fstype> <source> <super options>\n" */
		if (strncmp(sep + 3, "overlay ", 8) != 0)
			break;
		unescape(fields[4]);
		*mnt = hr_xstrdup(fields[4]);
		so = strrchr(sep + 3, ' ');
		opts = hr_xstrdup(so ? so + 1 : "");
		opts[strcspn(opts, "\n")] = '\0';
	}
	if (!opts)
		hr_error_set(err, ENOENT, "mount %" PRIu64 " is not an overlay in mountinfo",
			     mnt_id);
	return opts;
}

static bool is_overlay_root(int fd, uint64_t *mnt_id, struct hr_error **err)
{
	struct statfs sf;
	struct statx sx;
	struct stat parent;
	_cleanup_close_ int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fstatfs(fd, &sf) < 0 || statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
					  STATX_BASIC_STATS | STATX_MNT_ID, &sx) < 0) {
		hr_error_set(err, errno, "stat mount source");
		return false;
	}
	if ((unsigned long)sf.f_type != OVERLAYFS_SUPER_MAGIC || !S_ISDIR(sx.stx_mode))
		return false;
	if (up < 0 || fstat(up, &parent) < 0) {
		hr_error_set(err, errno, "stat parent of mount source");
		return false;
	}
	*mnt_id = sx.stx_mnt_id;
	/* Only the overlay's own root can be rebuilt from its layers. */
	return makedev(sx.stx_dev_major, sx.stx_dev_minor) != parent.st_dev;
}

int hr_ovl_mounted(int fd, struct hr_ovl_paths *o, struct hr_error **err)
{
	_cleanup_free_ char *opts = NULL, *mnt = NULL;
	struct hr_error *e2 = NULL;
	uint64_t id = 0;
	char *save = NULL;

	memset(o, 0, sizeof(*o));
	if (!is_overlay_root(fd, &id, &e2)) {
		if (!e2)
			return 0;
		hr_error_clear(err);
		*err = e2;
		return -1;
	}
	opts = ovl_mountinfo(id, &mnt, err);
	if (!opts)
		return -1;
	for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save))
		ovl_option(o, t);
	if (!o->lower || (!o->upper != !o->work))
		return hr_error_set(err, EINVAL, "overlay at %s: layers not understood", mnt);
	if (hr_strv_len(o->lower) + hr_strv_len(o->data) > HR_MAX_LAYERS)
		return hr_error_set(err, E2BIG, "overlay at %s: too many layers", mnt);
	return ovl_absolute(mnt, o, err) < 0 ? -1 : 1;
}

/* Idmapped clone of the object lfd attached at dir/name; *fd gets an O_PATH fd on it. */
static int layer_attach(int lfd, int userns, const char *dir, const char *name, int *fd,
			struct hr_error **err)
{
	_cleanup_free_ char *target = hr_xasprintf("%s/%s", dir, name);
	_cleanup_close_ int m = clone_idmapped(lfd, "", userns, false, err);

	if (m < 0)
		return -1;
	if (mkdir(target, 0700) < 0 && errno != EEXIST)
		return hr_error_set(err, errno, "mkdir %s", target);
	if (attach(m, target, err) < 0)
		return -1;
	*fd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return *fd < 0 ? hr_error_set(err, errno, "open %s", target) : 0;
}

static int fsconfig_fd(int fsfd, const char *key, int fd, struct hr_error **err)
{
	if (fsconfig(fsfd, FSCONFIG_SET_FD, key, NULL, fd) < 0)
		return hr_error_set(err, errno, "overlay: set %s", key);
	return 0;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The judged layer `fd` is still `name` in parent (nothing renamed in between). */
static bool child_is(int parent, const char *name, int fd)
{
	_cleanup_close_ int c = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	return c >= 0 && same_file(c, fd);
}

/*
 * Upper and work must share one mount: idmap their common parent once.  The
 * original overlay stays mounted with its own workdir, which two live
 * overlays must never share (each cleans it at mount; a volatile one leaves
 * a marker that refuses any other), so ours is a sibling "<work>.hardrun",
 * created by root on the real directory (root has no id in the idmapped view).
 */
static int ovl_upper(int fsfd, const struct hr_ovl_fds *o, int userns, const char *dir,
		     struct hr_error **err)
{
	_cleanup_free_ char *ours = hr_xasprintf("%s.hardrun", o->work_name);
	_cleanup_close_ int pu = openat(o->upper, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int pw = openat(o->work, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int m = -1, u = -1, w = -1;

	if (pu < 0 || pw < 0 || !same_file(pu, pw) || !child_is(pu, o->upper_name, o->upper) ||
	    !child_is(pu, o->work_name, o->work))
		return hr_error_set(err, EINVAL, "overlay upperdir and workdir are not siblings");
	if (mkdirat(pu, ours, 0700) < 0 && errno != EEXIST)
		return hr_error_set(err, errno, "mkdir %s", ours);
	if (layer_attach(pu, userns, dir, "upper", &m, err) < 0)
		return -1;
	u = openat(m, o->upper_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	w = openat(m, ours, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (u < 0 || w < 0)
		return hr_error_set(err, errno, "open overlay upper/work");
	if (fsconfig_fd(fsfd, "upperdir", u, err) < 0 || fsconfig_fd(fsfd, "workdir", w, err) < 0)
		return -1;
	return 0;
}

/*
 * overlayfs does its own work (workdir setup, copy-up) with the creator's
 * credentials, on idmapped layers where host uid 0 has no mapping (EOVERFLOW,
 * and the overlay silently comes up read-only).  So the superblock is
 * created with fsuid/fsgid = the range's root, keeping every capability,
 * and the caller's credentials are restored right after.
 */
static int create_as_range(int fsfd, uint32_t host_start, struct hr_error **err)
{
	cap_t caps = cap_get_proc();
	uid_t ou = (uid_t)setfsuid((uid_t)-1);
	gid_t og = (gid_t)setfsgid((gid_t)-1);
	int r = 0, saved = 0;

	if (!caps)
		return hr_error_set(err, errno, "cap_get_proc");
	setfsgid(host_start);
	setfsuid(host_start);
	/* setfsuid away from 0 cleared the file capabilities from the effective set. */
	if (cap_set_proc(caps) < 0 || fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		saved = errno;
		r = -1;
	}
	setfsuid(ou);
	setfsgid(og);
	if (cap_set_proc(caps) < 0 && r == 0) {
		saved = errno;
		r = -1;
	}
	cap_free(caps);
	if (r < 0)
		return hr_error_set(err, saved, "create overlay over idmapped layers");
	return 0;
}

static int ovl_layers_attach(int fsfd, const int *fds, size_t n, const char *key, char prefix,
			     int userns, const char *dir, struct hr_error **err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int lfd = -1;
		char name[24];
		snprintf(name, sizeof(name), "%c%zu", prefix, i);
		if (layer_attach(fds[i], userns, dir, name, &lfd, err) < 0 ||
		    fsconfig_fd(fsfd, key, lfd, err) < 0)
			return -1;
	}
	return 0;
}

static int ovl_configure(int fsfd, const struct hr_ovl_fds *o, int userns, uint32_t host_start,
			 const char *dir, struct hr_error **err)
{
	if (ovl_layers_attach(fsfd, o->lower, o->n_lower, "lowerdir+", 'l', userns, dir, err) < 0 ||
	    ovl_layers_attach(fsfd, o->data, o->n_data, "datadir+", 'd', userns, dir, err) < 0)
		return -1;
	if (o->upper >= 0 && ovl_upper(fsfd, o, userns, dir, err) < 0)
		return -1;
	for (char **e = o->extra; e && *e; e++) {
		_cleanup_free_ char *k = hr_xstrdup(*e);
		char *v = strchr(k, '=');
		if (v)
			*v++ = '\0';
		if (fsconfig(fsfd, v ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, k, v, 0) < 0)
			return hr_error_set(err, errno, "overlay: set %s", k);
	}
	return create_as_range(fsfd, host_start, err);
}

/*
 * A new overlay over idmapped clones of the judged layers.  overlayfs
 * refuses detached mounts as layers ("failed to clone upperpath"), so the
 * clones are attached under <state>/mounts/<id>/layers while the overlay is
 * built; it holds private clones of them, so they are detached again right
 * after.  Returns the detached overlay mount fd.
 */
static int ovl_rebuild(const struct hr_policy *p, const char *id, const struct hr_ovl_fds *o,
		       int userns, uint32_t host_start, struct hr_error **err)
{
	_cleanup_close_ int fsfd = -1;
	_cleanup_free_ char *dir = mount_dir(p, id, "layers", true, host_start, err);
	int r = -1;

	if (!dir)
		return hr_err_wrap(err, "overlay");
	fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		hr_error_set(err, errno, "fsopen overlay");
	} else if (ovl_configure(fsfd, o, userns, host_start, dir, err) == 0) {
		r = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
		if (r < 0)
			hr_error_set(err, errno, "fsmount overlay");
	}
	if (detach_tree(dir, r < 0 ? NULL : err) < 0 && r >= 0) {
		close(r);
		r = -1;
	}
	if (r < 0)
		hr_err_wrap(err, "overlay rebuilt over idmapped layers");
	return r;
}

int hr_idmount_tree(const struct hr_policy *p, const char *id, const struct hr_view *v, int userns,
		    struct hr_error **err)
{
	if (v->is_ovl)
		return ovl_rebuild(p, id, &v->ovl, userns, v->start, err);
	return clone_idmapped(v->fd, "", userns, v->dir && v->recursive, err);
}

int hr_idmount_attach(const struct hr_policy *p, const char *id, const struct hr_view *v, int tree,
		      char **path, struct hr_error **err)
{
	_cleanup_free_ char *target = mount_dir(p, id, v->name, v->dir, v->owner, err);

	if (!target || attach(tree, target, err) < 0)
		return hr_err_wrap(err, "idmapped view %s", v->name);
	*path = hr_steal_ptr(&target);
	return 0;
}

/* Mount points at or under dir, in mountinfo order (parents before children). */
static int mounts_under(const char *dir, char ***out, struct hr_error **err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, n = strlen(dir);

	if (!f)
		return hr_error_set(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) >= 0) {
		char *s = line, *mp = NULL;
		for (int i = 0; i < 5 && s; i++)
			mp = strsep(&s, " ");
		if (!mp)
			continue;
		unescape(mp);
		if (strncmp(mp, dir, n) == 0 && (mp[n] == '/' || mp[n] == '\0'))
			hr_strv_push(out, mp);
	}
	return 0;
}

static int rmdir_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* Never unlink files: a file here means a mount is still on top of it. */
	if (type == FTW_DP)
		rmdir(path);
	else if (type == FTW_F && st->st_size == 0)
		unlink(path); /* empty bind-mount target of a file volume */
	return 0;
}

/* Detach every mount at or under dir, then remove the emptied directories. */
static int detach_tree(const char *dir, struct hr_error **err)
{
	_cleanup_strv_ char **mps = NULL;
	struct stat st;
	size_t n;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : hr_error_set(err, errno, "stat %s", dir);
	if (mounts_under(dir, &mps, err) < 0)
		return -1;
	/* Children first, so a parent's detach never hides a child we still list. */
	for (n = hr_strv_len(mps); n > 0; n--)
		if (umount2(mps[n - 1], MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return hr_error_set(err, errno, "unmount %s", mps[n - 1]);
	nftw(dir, rmdir_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (lstat(dir, &st) == 0)
		return hr_error_set(err, ENOTEMPTY, "%s still holds files after unmount", dir);
	return 0;
}

int hr_idmount_release(const struct hr_policy *p, const char *id, struct hr_error **err)
{
	_cleanup_free_ char *dir = NULL;

	if (!hr_file_name_ok(id))
		return 0;
	dir = hr_xasprintf("%s/mounts/%s", hr_idmap_state_dir(p), id);
	if (detach_tree(dir, err) < 0)
		return hr_err_wrap(err, "release idmapped mounts of `%s`", id);
	return 0;
}

static uint32_t chown_first, chown_start, chown_size;

static uint32_t shift_id(uint32_t id)
{
	uint32_t rel = id;

	/* An id of an earlier range (the bundle was used before) follows to the new one. */
	if (id >= chown_first)
		rel = (id - chown_first) % chown_size;
	return rel < chown_size ? chown_start + rel : id;
}

static int chown_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uid_t u = shift_id(st->st_uid);
	gid_t g = shift_id(st->st_gid);
	(void)ftw;

	if (type == FTW_NS || type == FTW_DNR)
		return -1;
	if ((u != st->st_uid || g != st->st_gid) && lchown(path, u, g) < 0)
		return -1;
	/* chown clears set-id bits; restore them for regular files and dirs. */
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    chmod(path, st->st_mode & 07777) < 0)
		return -1;
	return 0;
}

int hr_chown_tree(const char *path, uint32_t host_start, uint32_t size, uint32_t pool_first,
		  struct hr_error **err)
{
	if (!size || !host_start)
		return hr_error_set(err, EINVAL, "invalid id range for chown");
	chown_first = pool_first ? pool_first : host_start;
	chown_start = host_start;
	chown_size = size;
	if (nftw(path, chown_cb, 64, FTW_PHYS | FTW_MOUNT) != 0)
		return hr_error_set(err, errno, "chown %s into range %" PRIu32, path, host_start);
	return 0;
}
