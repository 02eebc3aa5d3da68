/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hardrun-landlock: the container's first program when a profile asks for
 * Landlock.  hardrun bind-mounts it read-only at /.hardrun/landlock and
 * prefixes process.args with it:
 *
 *   hardrun-landlock [--best-effort] [--ro P]... [--rw P]... [--x P]... -- CMD [ARG]...
 *
 * It builds a ruleset for the best ABI the kernel offers, restricts itself,
 * and execs CMD with the remaining argv and the unchanged environment, so
 * the entrypoint sees the same argv, env and exit status as without it.
 * Paths that do not exist in the container are skipped (a missing rule can
 * only deny more).  Statically linked: the image may have no libc at all.
 * Errors go to stderr and exit 127, as for a command that cannot run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Rights newer than the build host's headers. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#define EXIT_CANNOT 127
#define MAX_RULES   256

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_EXEC LANDLOCK_ACCESS_FS_EXECUTE
#define FS_FILE                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

extern char **environ;

struct rule {
	const char *path;
	uint64_t access;
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("hardrun-landlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_CANNOT);
}

/* Every file-system right the kernel's ABI knows: all of them are handled (denied by default). */
static uint64_t handled_for(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

static int add_rule(int ruleset, const struct rule *r, uint64_t handled)
{
	struct landlock_path_beneath_attr attr = {0};
	struct stat st;
	int fd = open(r->path, O_PATH | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		fail("open %s: %s", r->path, strerror(errno));
	}
	if (fstat(fd, &st) < 0)
		fail("stat %s: %s", r->path, strerror(errno));
	attr.parent_fd = fd;
	attr.allowed_access = r->access & handled;
	if (!S_ISDIR(st.st_mode))
		attr.allowed_access &= FS_FILE;
	if (attr.allowed_access &&
	    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) < 0)
		fail("landlock_add_rule %s: %s", r->path, strerror(errno));
	close(fd);
	return 0;
}

static void restrict_self(const struct rule *rules, size_t n, bool best_effort)
{
	int abi =
	    (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr ra = {0};
	int ruleset;

	if (abi < 1) {
		if (best_effort) {
			fprintf(stderr,
				"hardrun-landlock: Landlock unavailable (%s), not applied\n",
				strerror(errno));
			return;
		}
		fail("Landlock unavailable: %s", strerror(errno));
	}
	ra.handled_access_fs = handled_for(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (ruleset < 0)
		fail("landlock_create_ruleset: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		add_rule(ruleset, &rules[i], ra.handled_access_fs);
	/* required without CAP_SYS_ADMIN; hardrun's profiles set it anyway */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("no_new_privs: %s", strerror(errno));
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		fail("landlock_restrict_self: %s", strerror(errno));
	close(ruleset);
}

/* As runc: a name without '/' is looked up in the container's PATH. */
static void exec_command(char **argv)
{
	const char *path = getenv("PATH");
	int saved = ENOENT;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, environ);
		fail("exec %s: %s", argv[0], strerror(errno));
	}
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		char buf[4096];
		int n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(e - p), p, e > p ? "/" : "",
				 argv[0]);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			execve(buf, argv, environ);
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (!*e)
			break;
		p = e;
	}
	fail("exec %s: %s", argv[0],
	     saved == ENOENT ? "executable file not found in $PATH" : strerror(saved));
}

int main(int argc, char **argv)
{
	static struct rule rules[MAX_RULES];
	size_t n = 0;
	bool best_effort = false;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		uint64_t access;
		if (strcmp(argv[i], "--best-effort") == 0) {
			best_effort = true;
			continue;
		} else if (strcmp(argv[i], "--ro") == 0) {
			access = FS_READ;
		} else if (strcmp(argv[i], "--x") == 0) {
			access = FS_EXEC;
		} else if (strcmp(argv[i], "--rw") == 0) {
			access = UINT64_MAX;
		} else {
			fail("unknown option `%s`", argv[i]);
		}
		if (i + 1 >= argc || n == MAX_RULES)
			fail("`%s` needs a path (at most %d rules)", argv[i], MAX_RULES);
		rules[n].path = argv[++i];
		rules[n++].access = access;
	}
	if (i + 1 >= argc)
		fail("usage: hardrun-landlock [--best-effort] [--ro|--rw|--x PATH]... -- CMD "
		     "[ARG]...");
	restrict_self(rules, n, best_effort);
	exec_command(&argv[i + 1]);
	return EXIT_CANNOT;
}
