/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's root filesystem, built by the child inside its new mount
 * namespace.  Destinations are resolved with openat2(RESOLVE_IN_ROOT), so a
 * symlink planted in the image (/proc -> /host/proc) can never make a mount
 * land outside the rootfs; mounts then target the resolved O_PATH fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "rt.h"

#define FDPATH_MAX 32
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static const char *default_devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

static int openat2_in(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {.flags = (unsigned)flags | O_CLOEXEC,
			       .mode = mode,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/*
 * path's last component made in its existing parent (a directory, or an
 * empty file when `file`): an O_PATH fd of it, or -1 with ENOENT when the
 * parent is missing too.  The new name is opened beneath the parent with no
 * symlink followed, so a link swapped in meanwhile cannot redirect it.
 */
static int create_last(int rootfd, char *path, bool file)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	_cleanup_close_ int parent = -1;
	char *slash = strrchr(path, '/'), *name;

	if (!slash || !slash[1]) {
		errno = ENOENT;
		return -1;
	}
	*slash = 0;
	parent = openat2_in(rootfd, path[0] ? path : "/", O_PATH | O_DIRECTORY, 0);
	*slash = '/';
	if (parent < 0)
		return -1;
	name = slash + 1;
	if (file) {
		int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				0644);
		if (fd < 0 && errno != EEXIST)
			return -1;
		if (fd >= 0)
			close(fd);
	} else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
		return -1;
	}
	return (int)syscall(SYS_openat2, parent, name, &how, sizeof(how));
}

/* mkdir -p of path (and for a file, create it) inside the root; O_PATH fd of it. */
static int make_target(int rootfd, const char *path, bool file)
{
	char buf[4096];
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat2_in(rootfd, path, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = 0;
	/* Mostly only the last component is missing (dev/null on the new /dev) */
	fd = create_last(rootfd, buf, file);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	/* a parent is missing too: each directory from the root down, then the last */
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = 0;
		fd = create_last(rootfd, buf, false);
		*p = '/';
		if (fd < 0)
			return -1;
		close(fd);
	}
	return create_last(rootfd, buf, file);
}

static void fdpath(char *buf, int fd)
{
	snprintf(buf, FDPATH_MAX, "/proc/self/fd/%d", fd);
}

/* Flags a bind remount must keep: the kernel locks them when they came from outside the userns. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs st;
	unsigned long f = 0;

	if (statvfs(path, &st) < 0)
		return 0;
	if (st.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (st.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (st.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (st.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (st.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (st.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (st.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* runc's recursive options, on the mount at `path` and every mount under it. */
static void set_rec_attrs(const struct hr_rt_mount *m, const char *path, int sync)
{
	struct mount_attr attr = {.attr_set = m->rec_set, .attr_clr = m->rec_clr};

	if (m->rec &&
	    syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		hr_rt_die(sync, errno, "mount %s: apply its recursive options", m->dest);
}

static int bind_remount(const char *target, unsigned long flags, unsigned long clear)
{
	unsigned long f = (locked_flags(target) & ~clear) | flags;
	return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | f, NULL);
}

/*
 * The resolved target of a mount that is not a proc filesystem must not be
 * the rootfs's /proc nor inside a proc filesystem: a symlink in the image
 * (/p -> /proc) can make a name the parent accepted land there.  Inside
 * proc only the lxcfs files the parent let through by their own name.
 */
static void check_not_proc(int rootfd, const struct hr_rt_mount *m, int fd, int sync)
{
	_cleanup_close_ int procfd = openat2_in(rootfd, "/proc", O_PATH, 0);
	struct stat a, b;
	struct statfs sf;

	if (fstat(fd, &a) < 0 || fstatfs(fd, &sf) < 0)
		hr_rt_die(sync, errno, "mount %s: inspect the mount point", m->dest);
	if (sf.f_type == PROC_SUPER_MAGIC && strncmp(m->dest, "/proc/", 6) == 0 &&
	    !S_ISDIR(a.st_mode))
		return;
	if (sf.f_type == PROC_SUPER_MAGIC ||
	    (procfd >= 0 && fstat(procfd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
		hr_rt_die(sync, EINVAL,
			  "mount %s: its destination resolves to /proc, where only proc may be "
			  "mounted",
			  m->dest);
}

static int do_bind(int rootfd, const struct hr_rt_mount *m, int srcfd, int sync)
{
	char src[FDPATH_MAX];
	const unsigned long changes = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
				      MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
	_cleanup_close_ int fd = -1;
	char path[FDPATH_MAX];
	struct stat st;

	if (srcfd >= 0)
		fdpath(src, srcfd);
	else
		snprintf(src, sizeof(src), "%s", "");
	if ((srcfd >= 0 ? fstat(srcfd, &st) : stat(m->source, &st)) < 0)
		hr_rt_die(sync, errno, "mount %s: source %s", m->dest, m->source);
	fd = make_target(rootfd, m->dest, !S_ISDIR(st.st_mode));
	if (fd < 0)
		hr_rt_die(sync, errno, "mount %s: create the mount point", m->dest);
	check_not_proc(rootfd, m, fd, sync);
	fdpath(path, fd);
	if (mount(srcfd >= 0 ? src : m->source, path, NULL, MS_BIND | (m->flags & MS_REC), NULL) <
	    0)
		hr_rt_die(sync, errno, "bind %s on %s", m->source, m->dest);
	/* the O_PATH fd still names the covered dentry: resolve the new mount */
	close(fd);
	fd = openat2_in(rootfd, m->dest, O_PATH, 0);
	if (fd < 0)
		hr_rt_die(sync, errno, "mount %s: reopen", m->dest);
	fdpath(path, fd);
	if (((m->flags | m->clear) & changes) &&
	    bind_remount(path, m->flags & changes, m->clear) < 0)
		hr_rt_die(sync, errno, "remount %s with its options", m->dest);
	for (size_t i = 0; i < m->n_propagation; i++)
		if (mount(NULL, path, NULL, m->propagation[i], NULL) < 0)
			hr_rt_die(sync, errno, "mount %s: propagation", m->dest);
	set_rec_attrs(m, path, sync);
	return 0;
}

/* devpts with gid=5 fails when gid 5 is not mapped: retry without it. */
static char *strip_gid_option(const char *data)
{
	char *out = calloc(1, strlen(data) + 1), *copy = strdup(data), *save = NULL;

	if (!out || !copy) {
		free(out);
		free(copy);
		return NULL;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strncmp(t, "gid=", 4) == 0)
			continue;
		if (*out)
			strcat(out, ",");
		strcat(out, t);
	}
	free(copy);
	return out;
}

/* sysfs and cgroupfs cannot always be mounted in a user namespace: fall back to a bind. */
static int bind_host_fallback(int rootfd, const struct hr_rt_mount *m, const char *host, int sync)
{
	struct hr_rt_mount b = *m;

	b.source = (char *)host;
	b.flags = (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) | MS_REC;
	b.clear = 0;
	b.n_propagation = 0;
	return do_bind(rootfd, &b, -1, sync);
}

static int do_mount(int rootfd, const struct hr_rt_mount *m, int srcfd, int sync)
{
	_cleanup_close_ int fd = -1;
	char path[FDPATH_MAX];
	unsigned long flags = m->flags & ~(MS_REMOUNT | MS_REC);
	const char *type = m->type;
	int r;

	if (m->bind)
		return do_bind(rootfd, m, srcfd, sync);
	fd = make_target(rootfd, m->dest, false);
	if (fd < 0)
		hr_rt_die(sync, errno, "mount %s: create the mount point", m->dest);
	if (strcmp(type, "proc") != 0)
		check_not_proc(rootfd, m, fd, sync);
	fdpath(path, fd);
	r = mount(m->source, path, type, flags, m->data);
	if (r < 0 && errno == EINVAL && strcmp(type, "devpts") == 0 && m->data) {
		char *d = strip_gid_option(m->data);
		r = d ? mount(m->source, path, type, flags, d) : -1;
		free(d);
	}
	if (r < 0 && (errno == EPERM || errno == EBUSY) && strcmp(type, "sysfs") == 0)
		return bind_host_fallback(rootfd, m, "/sys", sync);
	if (r < 0)
		hr_rt_die(sync, errno, "mount %s (%s)", m->dest, m->type);
	if (m->n_propagation == 0 && !m->rec)
		return 0;
	/* the O_PATH fd still names the covered dentry: resolve the new mount */
	close(fd);
	fd = openat2_in(rootfd, m->dest, O_PATH, 0);
	if (fd < 0)
		hr_rt_die(sync, errno, "mount %s: reopen", m->dest);
	fdpath(path, fd);
	for (size_t i = 0; i < m->n_propagation; i++)
		if (mount(NULL, path, NULL, m->propagation[i], NULL) < 0)
			hr_rt_die(sync, errno, "mount %s: propagation", m->dest);
	set_rec_attrs(m, path, sync);
	return 0;
}

/*
 * cgroupfs: cgroup2 where the host is v2 (our own cgroup namespace makes it
 * show only our subtree).  On v1 a tmpfs with, per controller, a read-only
 * bind of the container's own cgroup, never the host's whole hierarchy.
 */
static void mount_cgroup(int rootfd, const struct hr_rt_config *c, const struct hr_rt_mount *m,
			 int sync)
{
	struct hr_rt_mount t = *m;
	struct statfs sf;
	DIR *d;
	struct dirent *de;

	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		t.type = "cgroup2";
		if (do_mount(rootfd, &t, -1, sync) == 0)
			return;
	}
	t.type = "tmpfs";
	t.source = "tmpfs";
	t.data = "mode=755";
	t.flags = m->flags & ~MS_RDONLY;
	do_mount(rootfd, &t, -1, sync);
	d = opendir("/sys/fs/cgroup");
	while (d && (de = readdir(d))) {
		char host[4096], dest[4096];
		struct stat st;
		struct hr_rt_mount b = {.source = host,
					.dest = dest,
					.type = "bind",
					.bind = true,
					.flags = MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID |
						 MS_NODEV | MS_NOEXEC};
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s/%s", de->d_name, c->cgroups_path);
		if (stat(host, &st) < 0)
			continue;
		snprintf(dest, sizeof(dest), "%s/%s", m->dest, de->d_name);
		do_bind(rootfd, &b, -1, sync);
	}
	if (d)
		closedir(d);
	if (m->flags & MS_RDONLY) {
		_cleanup_close_ int fd = openat2_in(rootfd, m->dest, O_PATH, 0);
		char path[FDPATH_MAX];
		fdpath(path, fd);
		if (fd < 0 || bind_remount(path, MS_RDONLY, 0) < 0)
			hr_rt_die(sync, errno, "remount %s read-only", m->dest);
	}
}

static bool has_mount(const struct hr_rt_config *c, const char *dest)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (strcmp(c->mounts[i].dest, dest) == 0)
			return true;
	return false;
}

/* /proc and /dev exist in every container, whether or not the config lists them. */
static void default_mounts(int rootfd, const struct hr_rt_config *c, int sync)
{
	struct hr_rt_mount proc = {.source = "proc",
				   .dest = "/proc",
				   .type = "proc",
				   .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC};
	struct hr_rt_mount dev = {.source = "tmpfs",
				  .dest = "/dev",
				  .type = "tmpfs",
				  .flags = MS_NOSUID | MS_STRICTATIME,
				  .data = "mode=755,size=65536k"};
	if (!has_mount(c, "/proc"))
		do_mount(rootfd, &proc, -1, sync);
	if (!has_mount(c, "/dev"))
		do_mount(rootfd, &dev, -1, sync);
}

/* Device nodes cannot be created in a user namespace: bind the host's. */
static void default_devices_and_links(int rootfd, int sync)
{
	static const char *links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},
	    {"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"},
	    {"/proc/self/fd/2", "/dev/stderr"},
	};
	_cleanup_close_ int devfd = openat2_in(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);

	if (devfd < 0)
		hr_rt_die(sync, errno, "open /dev in the rootfs");
	for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
		char host[64], dest[64];
		struct hr_rt_mount m = {.dest = dest,
					.source = host,
					.type = "bind",
					.bind = true,
					.flags = MS_NOSUID | MS_NOEXEC};
		snprintf(host, sizeof(host), "/dev/%s", default_devices[i]);
		snprintf(dest, sizeof(dest), "/dev/%s", default_devices[i]);
		/* stat(2), not access(2): access checks with the real ids, and
		 * while this init's ids change in its new user namespace that
		 * failed now and then (EPERM, about one start in 400 here), which
		 * was taken for "no such device" and left the container without
		 * /dev/null.  Only a device the host lacks is skipped. */
		struct stat st;
		if (stat(host, &st) < 0) {
			if (errno == ENOENT)
				continue;
			hr_rt_die(sync, errno, "device %s", host);
		}
		do_bind(rootfd, &m, -1, sync);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], devfd, links[i][1] + 5) < 0 && errno != EEXIST)
			hr_rt_die(sync, errno, "symlink %s", links[i][1]);
	if (faccessat(devfd, "pts/ptmx", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(devfd, "ptmx", 0);
		if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
			hr_rt_die(sync, errno, "symlink /dev/ptmx");
	}
}

/*
 * Still as the host uid, before setresuid(0) inside: the bundle and bind
 * sources may sit under directories only host root may traverse.  Later
 * steps use these fds, never the paths.
 */
static int rootfs_fd = -1;
static int *source_fds;

int hr_rt_prepare_rootfs(const struct hr_rt_config *c, int sync)
{
	/* nothing we mount may propagate back to the host */
	if (mount(NULL, "/", NULL, c->rootfs_propagation, NULL) < 0)
		hr_rt_die(sync, errno, "set the propagation of /");
	if (c->rootfs_tree >= 0) {
		/* hardrun's idmapped view, made detached: mounted in our namespace only */
		if (syscall(SYS_move_mount, c->rootfs_tree, "", AT_FDCWD, c->rootfs,
			    MOVE_MOUNT_F_EMPTY_PATH) < 0)
			hr_rt_die(sync, errno, "attach the idmapped rootfs on %s", c->rootfs);
		close(c->rootfs_tree);
	} else if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
		hr_rt_die(sync, errno, "bind the rootfs %s", c->rootfs);
	}
	rootfs_fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfs_fd < 0)
		hr_rt_die(sync, errno, "open the rootfs %s", c->rootfs);
	source_fds = calloc(c->n_mounts + 1, sizeof(int));
	if (!source_fds)
		hr_rt_die(sync, ENOMEM, "mount sources");
	for (size_t i = 0; i < c->n_mounts; i++) {
		source_fds[i] = -1;
		if (!c->mounts[i].bind)
			continue;
		source_fds[i] = open(c->mounts[i].source, O_PATH | O_CLOEXEC);
		if (source_fds[i] < 0)
			hr_rt_die(sync, errno, "mount %s: source %s", c->mounts[i].dest,
				  c->mounts[i].source);
	}
	return 0;
}

/*
 * linux.devices: mknod where we may (no new user namespace), else a bind of
 * the host's node with the same number: a user namespace cannot mknod, and
 * its own nodes would not open anyway.  The devices cgroup decides access.
 */
static void make_devices(int rootfd, const struct hr_rt_config *c, int sync)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct hr_rt_device *d = &c->devices[i];
		mode_t kind = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		dev_t rdev = makedev(d->major, d->minor);
		struct stat st;

		if (!(c->clone_flags & CLONE_NEWUSER)) {
			char dir[4096];
			const char *base = strrchr(d->path, '/') + 1;
			_cleanup_close_ int dfd = -1;

			snprintf(dir, sizeof(dir), "%.*s", (int)(base - d->path), d->path);
			dfd = make_target(rootfd, dir, false);
			/* by name under the resolved parent: a planted symlink is replaced, not
			 * followed */
			if (dfd < 0 || (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) ||
			    mknodat(dfd, base, kind | d->mode, rdev) < 0 ||
			    fchownat(dfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			    fchmodat(dfd, base, d->mode, 0) < 0)
				hr_rt_die(sync, errno, "create device %s", d->path);
			continue;
		}
		if (stat(d->path, &st) < 0 || (st.st_mode & S_IFMT) != kind || st.st_rdev != rdev)
			hr_rt_die(sync, ENODEV,
				  "device %s: no host node %u:%u to bind in a user namespace",
				  d->path, d->major, d->minor);
		struct hr_rt_mount m = {.source = d->path,
					.dest = d->path,
					.type = "bind",
					.bind = true,
					.flags = MS_NOSUID | MS_NOEXEC};
		do_bind(rootfd, &m, -1, sync);
	}
}

int hr_rt_setup_rootfs(const struct hr_rt_config *c, int sync)
{
	default_mounts(rootfs_fd, c, sync);
	for (size_t i = 0; i < c->n_mounts; i++) {
		if (strcmp(c->mounts[i].type, "cgroup") == 0)
			mount_cgroup(rootfs_fd, c, &c->mounts[i], sync);
		else
			do_mount(rootfs_fd, &c->mounts[i], source_fds[i], sync);
		if (source_fds[i] >= 0)
			close(source_fds[i]);
	}
	default_devices_and_links(rootfs_fd, sync);
	make_devices(rootfs_fd, c, sync);
	return 0;
}

static void pivot(int sync)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0 || fchdir(rootfs_fd) < 0)
		hr_rt_die(sync, errno, "open the rootfs for pivot_root");
	/* pivot onto itself, then detach the old root stacked under "." */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		hr_rt_die(sync, errno, "pivot_root");
	if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		hr_rt_die(sync, errno, "detach the old root");
}

static void mask_path(const char *p, int sync)
{
	struct stat st;

	if (lstat(p, &st) < 0) {
		if (errno == ENOENT)
			return;
		hr_rt_die(sync, errno, "masked path %s", p);
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=0") < 0)
			hr_rt_die(sync, errno, "mask %s", p);
	} else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
		hr_rt_die(sync, errno, "mask %s", p);
	}
}

static void readonly_path(const char *p, int sync)
{
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return;
		hr_rt_die(sync, errno, "read-only path %s", p);
	}
	if (bind_remount(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) < 0)
		hr_rt_die(sync, errno, "remount %s read-only", p);
}

static void write_sysctl(const char *kv, int sync)
{
	const char *eq = strchr(kv, '=');
	char path[512];
	_cleanup_close_ int fd = -1;
	size_t n = 0;

	if (!eq || (size_t)(eq - kv) > 256)
		hr_rt_die(sync, EINVAL, "sysctl %s", kv);
	n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - kv), kv);
	for (char *p = path + 10; p < path + n; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || write(fd, eq + 1, strlen(eq + 1)) < 0)
		hr_rt_die(sync, errno, "sysctl %.*s", (int)(eq - kv), kv);
}

/* After the createContainer hooks: the rest is inside the new root. */
int hr_rt_finish_rootfs(const struct hr_rt_config *c, int sync)
{
	pivot(sync);
	close(rootfs_fd);
	for (char **s = c->sysctl; s && *s; s++)
		write_sysctl(*s, sync);
	/* masks after sysctls (they may hide /proc/sys), read-only last of all */
	for (char **p = c->readonly; p && *p; p++)
		readonly_path(*p, sync);
	for (char **p = c->masked; p && *p; p++)
		mask_path(*p, sync);
	if (c->root_readonly && bind_remount("/", MS_RDONLY, 0) < 0)
		hr_rt_die(sync, errno, "remount / read-only");
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		hr_rt_die(sync, errno, "sethostname");
	if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		hr_rt_die(sync, errno, "setdomainname");
	return 0;
}
