/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_UTIL_H
#define HARDRUN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hardrun/error.h"

/* Allocators that abort on OOM (hr_x*). */
void *hr_xmalloc(size_t n);
void *hr_xcalloc(size_t n, size_t size);
void *hr_xrealloc(void *p, size_t n);
char *hr_xstrdup(const char *s);
char *hr_xstrndup(const char *s, size_t n);
char *hr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t hr_strv_len(char *const *v);
/* Append a copy of s; *v may be NULL. */
void hr_strv_push(char ***v, const char *s);
bool hr_strv_contains(char *const *v, const char *s);
void hr_strv_free(char **v);
char **hr_strv_dup(char *const *v);

/* Case-insensitive ASCII prefix test. */
bool hr_startswith(const char *s, const char *prefix);

/*
 * Read a regular file `name` relative to dirfd (AT_FDCWD allowed), never
 * following a symlink in its last component, at most max bytes (larger is an
 * error).  *out is NUL-terminated.
 */
int hr_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *outlen,
		    struct hr_error **err);

/*
 * Replace `name` in directory dirfd atomically: write a temporary file in the
 * same directory (O_EXCL, mode) and rename() it over name (no fsync: see
 * util.c for why).  Refuses if name exists and is a symlink or not a regular file.
 * A failure leaves the old file untouched and no temporary file behind.
 */
int hr_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			 struct hr_error **err);

/* write(2) all of data, again after a short write or EINTR; -1 with errno. */
int hr_write_all(int fd, const void *data, size_t len);

/*
 * Remove the temporary files (".<name>.hardrun-<pid>-<n>") of writers that
 * are gone: of name, or of any name with NULL (only for a directory whose
 * own entries never start with a dot).
 */
void hr_sweep_stale_temps(int dirfd, const char *name);

/*
 * A small state file (an id range, an MCS pair) in one open and one read:
 * up to size - 1 bytes into buf, NUL-terminated.  Returns the length, or -1.
 * No symlink is followed, and O_NONBLOCK makes a planted FIFO read empty.
 * For loops over every container's entry, where hr_read_file_at's fstat and
 * second read cost more than the read itself.
 */
ssize_t hr_read_small_at(int dirfd, const char *name, char *buf, size_t size);

/* Append a whole line to a file with one write(2) on an O_APPEND fd. */
int hr_append_line(const char *path, const char *line, size_t len, struct hr_error **err);
/* line as one write(2) on fd (named path in errors): a short write is an error. */
int hr_write_line(int fd, const char *line, size_t len, const char *path, struct hr_error **err);

/*
 * Users by name or uid from /etc/passwd itself (fgetpwent), as runc's own
 * parser reads them: no NSS module, which a static binary could not load
 * safely.  hr_passwd_uid: 0, or -1 when the name is not there;
 * hr_passwd_name: malloc'd, or NULL.
 */
int hr_passwd_uid(const char *name, uid_t *uid);
char *hr_passwd_name(uid_t uid);

/*
 * realpath(path, NULL) in three system calls whatever the depth (open
 * O_PATH, readlink of its /proc/self/fd link, close), where glibc's takes a
 * readlink per component; realpath(3) itself when /proc cannot answer.
 * NULL with errno when path does not resolve.
 */
char *hr_realpath(const char *path);

/*
 * Can s (a container id, a range key) name a file of its own in a state
 * directory: one path component, not "." or "..", no newline (records are
 * line-based), shorter than 1024.
 */
bool hr_file_name_ok(const char *s);

/* mkdir -p with mode; existing directories are fine. */
int hr_mkdir_p(const char *path, mode_t mode, struct hr_error **err);

/* True if this process is not in the initial user namespace. */
bool hr_in_user_namespace(void);

/* The rlimits as the OCI spec names them ("RLIMIT_NOFILE"), in one table. */
struct hr_rlimit_name {
	const char *name;
	int resource;
};
#define HR_N_RLIMITS 16
extern const struct hr_rlimit_name hr_rlimit_names[HR_N_RLIMITS];
/* The resource for an OCI rlimit name, or -1 if there is none. */
int hr_rlimit_resource(const char *name);

/* RFC 3339 timestamp with nanoseconds in UTC, into buf (>= 40 bytes). */
void hr_rfc3339_now(char *buf, size_t size);

/*
 * A file the caller names (exec --process, update -r) read as runc reads
 * it: through the name given, a pipe or a socket included, at most 4 MiB,
 * never a directory or a device; a FIFO with no writer reads as empty.
 * *out is malloc'd.  Returns < 0 with *err.
 */
int hr_read_caller_file(const char *path, char **out, size_t *len, struct hr_error **err);

#endif
