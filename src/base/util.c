/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/testpoint.h"
#include "hardrun/util.h"

static void oom(void)
{
	static const char msg[] = "hardrun: out of memory\n";
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to do */
	}
	abort();
}

void *hr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *hr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *hr_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *hr_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *hr_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *hr_xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

size_t hr_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void hr_strv_push(char ***v, const char *s)
{
	size_t n = hr_strv_len(*v);
	*v = hr_xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = hr_xstrdup(s);
	(*v)[n + 1] = NULL;
}

bool hr_strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void hr_strv_free(char **v)
{
	hr_strvfreep(&v);
}

char **hr_strv_dup(char *const *v)
{
	char **r = hr_xcalloc(hr_strv_len(v) + 1, sizeof(char *));
	for (size_t i = 0; v && v[i]; i++)
		r[i] = hr_xstrdup(v[i]);
	return r;
}

bool hr_startswith(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int hr_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *outlen,
		    struct hr_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return hr_error_set(err, 0, "`%s` is a symlink: refusing to follow it",
					    name);
		return hr_error_set(err, errno, "open `%s`", name);
	}
	if (fstat(fd, &st) < 0)
		return hr_error_set(err, errno, "stat `%s`", name);
	if (!S_ISREG(st.st_mode))
		return hr_error_set(err, 0, "`%s` is not a regular file", name);
	if ((size_t)st.st_size > max)
		return hr_error_set(err, 0, "`%s` is too large (%lld bytes, limit %zu)", name,
				    (long long)st.st_size, max);
	/* /proc files say 0 bytes: start at a page, not at one byte. */
	cap = st.st_size ? (size_t)st.st_size + 1 : 4096;
	buf = hr_xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1)
				return hr_error_set(err, 0, "`%s` is too large (limit %zu bytes)",
						    name, max);
			cap *= 2;
			buf = hr_xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hr_error_set(err, errno, "read `%s`", name);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max)
		return hr_error_set(err, 0, "`%s` is too large (limit %zu bytes)", name, max);
	buf[len] = '\0';
	*out = hr_steal_ptr(&buf);
	if (outlen)
		*outlen = len;
	return 0;
}

ssize_t hr_read_small_at(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The first /etc/passwd entry for which match() holds, or NULL. */
static struct passwd *passwd_find(bool (*match)(const struct passwd *, const void *),
				  const void *arg)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (match(pw, arg))
			return pw;
	return NULL;
}

static bool name_is(const struct passwd *pw, const void *name)
{
	return strcmp(pw->pw_name, name) == 0;
}

static bool uid_is(const struct passwd *pw, const void *uid)
{
	return pw->pw_uid == *(const uid_t *)uid;
}

int hr_passwd_uid(const char *name, uid_t *uid)
{
	struct passwd *pw = passwd_find(name_is, name);

	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

char *hr_passwd_name(uid_t uid)
{
	struct passwd *pw = passwd_find(uid_is, &uid);

	return pw ? hr_xstrdup(pw->pw_name) : NULL;
}

char *hr_realpath(const char *path)
{
	char link[64], buf[PATH_MAX];
	int fd = open(path, O_PATH | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	/* No /proc, or a path the kernel cannot name plainly: the slow way. */
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1 || buf[0] != '/')
		return realpath(path, NULL);
	buf[n] = '\0';
	if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0)
		return realpath(path, NULL);
	return hr_xstrdup(buf);
}

int hr_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void hr_sweep_stale_temps(int dirfd, const char *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	_cleanup_free_ char *prefix = name ? hr_xasprintf(".%s.hardrun-", name) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		const char *p = NULL;
		if (prefix && strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			p = e->d_name + strlen(prefix);
		else if (!prefix && e->d_name[0] == '.' && (p = strstr(e->d_name + 1, ".hardrun-")))
			p += strlen(".hardrun-");
		char *end = NULL;
		long pid = p ? strtol(p, &end, 10) : 0;
		if (pid > 0 && *end == '-' && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(dirfd, e->d_name, 0);
	}
	closedir(d);
}

/*
 * A temporary file in the same directory, renamed over name: every reader
 * sees the old file or the whole new one.  A killed writer's temporaries of
 * name are removed first (hr_sweep_stale_temps).
 */
int hr_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			 struct hr_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *tmp = NULL;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return hr_error_set(
			    err, 0, "`%s` is a symlink: refusing to write through it", name);
		if (!S_ISREG(st.st_mode))
			return hr_error_set(err, 0, "`%s` is not a regular file", name);
		mode = st.st_mode & 07777;
	} else if (errno != ENOENT) {
		return hr_error_set(err, errno, "stat `%s`", name);
	}

	hr_sweep_stale_temps(dirfd, name);
	for (int attempt = 0; fd < 0; attempt++) {
		free(tmp);
		tmp = hr_xasprintf(".%s.hardrun-%d-%d", name, (int)getpid(), attempt);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd < 0 && (errno != EEXIST || attempt > 100))
			return hr_error_set(err, errno, "create temporary file for `%s`", name);
	}
	if (fchmod(fd, mode) < 0 || hr_write_all(fd, data, len) < 0) {
		int saved = errno;
		unlinkat(dirfd, tmp, 0);
		return hr_error_set(err, saved, "write `%s`", tmp);
	}
	hr_test_point("before-rename", name);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int saved = errno;
		unlinkat(dirfd, tmp, 0);
		return hr_error_set(err, saved, "replace `%s`", name);
	}
	/*
	 * No fsync: rename(2) alone makes the replacement atomic for every
	 * reader and for a killed writer, which is what a container start
	 * needs.  Durability across power loss buys nothing here: no container
	 * survives it, the orchestrator writes its bundle anew, and a torn
	 * file would be refused as invalid JSON (fail closed).
	 */
	return 0;
}

int hr_append_line(const char *path, const char *line, size_t len, struct hr_error **err)
{
	_cleanup_close_ int fd = -1;
	/* O_NONBLOCK: a FIFO nobody reads is an error, not a hang */
	fd = open(path,
		  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
		  0640);
	if (fd < 0)
		return hr_error_set(err, errno, "open `%s`", path);
	return hr_write_line(fd, line, len, path, err);
}

int hr_write_line(int fd, const char *line, size_t len, const char *path, struct hr_error **err)
{
	/* One write(2) on O_APPEND: concurrent writers never interleave a line. */
	ssize_t w = write(fd, line, len);
	if (w < 0)
		return hr_error_set(err, errno, "write `%s`", path);
	if ((size_t)w != len)
		return hr_error_set(err, 0, "short write to `%s`", path);
	return 0;
}

int hr_mkdir_p(const char *path, mode_t mode, struct hr_error **err)
{
	/* Mostly the parents exist (state dirs, cgroup hierarchies): one call. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return hr_error_set(err, errno, "mkdir `%s`", path);
	_cleanup_free_ char *p = hr_xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return hr_error_set(err, errno, "mkdir `%s`", p);
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

bool hr_in_user_namespace(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long a = 0, b = 0, c = 0;
	if (!f)
		return false;
	if (fscanf(f, "%lu %lu %lu", &a, &b, &c) != 3)
		return false;
	/* The initial namespace maps everything: "0 0 4294967295". */
	return !(a == 0 && b == 0 && c == 4294967295UL);
}

void hr_rfc3339_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}

const struct hr_rlimit_name hr_rlimit_names[HR_N_RLIMITS] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};
_Static_assert(sizeof(hr_rlimit_names) / sizeof(hr_rlimit_names[0]) == HR_N_RLIMITS &&
		   RLIMIT_NLIMITS == HR_N_RLIMITS,
	       "every rlimit named once");

int hr_rlimit_resource(const char *name)
{
	for (size_t i = 0; name && i < HR_N_RLIMITS; i++)
		if (strcmp(name, hr_rlimit_names[i].name) == 0)
			return hr_rlimit_names[i].resource;
	return -1;
}

bool hr_file_name_ok(const char *s)
{
	return s && *s && strlen(s) < 1024 && !strchr(s, '/') && !strchr(s, '\n') &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/*
 * The caller's --process as runc reads it: through the name given
 * (`<(echo ...)` is a /dev/fd symlink to a pipe; runc os.Open()s it), a
 * regular file or a pipe.  Reading what the caller may read anyway gives
 * nothing away.  A FIFO with no writer reads as empty, so this never
 * blocks on a name alone.
 */
int hr_read_caller_file(const char *path, char **out, size_t *len, struct hr_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	size_t cap = 4096, max = 4u << 20;

	if (fd < 0)
		return hr_error_set(err, errno, "open `%s`", path);
	if (fstat(fd, &st) < 0)
		return hr_error_set(err, errno, "stat `%s`", path);
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return hr_error_set(err, 0, "`%s` is not a file or a pipe", path);
	if (fcntl(fd, F_SETFL, 0) < 0)
		return hr_error_set(err, errno, "`%s`", path);
	_cleanup_free_ char *buf = hr_xmalloc(cap);
	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap > max)
				return hr_error_set(err, 0, "`%s` is over %zu bytes", path, max);
			buf = hr_xrealloc(buf, cap *= 2);
		}
		ssize_t r = read(fd, buf + *len, cap - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hr_error_set(err, errno, "read `%s`", path);
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	*out = hr_steal_ptr(&buf);
	return 0;
}
