/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic file replacement: the only way hardrun writes a config or a state file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/log.h"
#include "hardrun/util.h"
#include "tap.h"

static char tmp[] = "/tmp/hr-test-util.XXXXXX";

static char *slurp(int dirfd, const char *name)
{
	char *buf = NULL;

	if (hr_read_file_at(dirfd, name, 1 << 16, &buf, NULL, NULL) < 0)
		return NULL;
	return buf;
}

static unsigned entries(void)
{
	_cleanup_free_ char *cmd = hr_xasprintf("ls -A %s | wc -l", tmp);

	return tap_count(cmd);
}

/*
 * The audit log: records compacted (exec keeps only what changed, long
 * texts cut), rotated to PATH.1 before the file outgrows its cap, and no
 * record lost or split by the rotation.
 */
static void test_audit(void)
{
	struct hr_error *err = NULL;
	char *path = hr_xasprintf("%s/audit.log", tmp), *old = hr_xasprintf("%s.1", path);
	char big[600];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	_cleanup_json_ struct hr_json *rec = hr_json_new(HR_JSON_OBJECT);
	struct hr_json *fs = hr_json_new(HR_JSON_ARRAY), *w = hr_json_new(HR_JSON_OBJECT),
		       *f = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(rec, "command", hr_json_new_string("exec"));
	hr_json_set(w, "action", hr_json_new_string("warn"));
	hr_json_set(f, "action", hr_json_new_string("fix"));
	hr_json_set(f, "before", hr_json_new_string(big));
	hr_json_append(fs, w);
	hr_json_append(fs, f);
	hr_json_set(rec, "findings", fs);
	ok(hr_audit_append(path, 0, rec, &err) == 0, "audit: exec record appended");
	_cleanup_free_ char *line = slurp(-1, path);
	ok(line && !strstr(line, "\"warn\"") && strstr(line, "\"fix\"") &&
	       strstr(line, "... (599 bytes)") && strlen(line) < 400,
	   "audit: exec keeps only what changed, long texts cut (%zu bytes)",
	   line ? strlen(line) : 0);
	unlink(path);
	int n = 0;
	for (n = 0; n < 40; n++)
		if (hr_audit_append(path, 1000, rec, &err) < 0)
			break;
	struct stat a, b;
	_cleanup_free_ char *c1 = hr_xasprintf("cat %s %s | grep -c fix", path, old);
	_cleanup_free_ char *c2 = hr_xasprintf("cat %s %s | jq -c . | wc -l", path, old);
	unsigned lines = tap_count(c1);
	ok(n == 40 && stat(path, &a) == 0 && a.st_size <= 1000 && stat(old, &b) == 0 &&
	       b.st_size <= 1000 && lines >= 2,
	   "audit: rotated at 1000 bytes (%lld + %lld bytes, %u whole records in the two files)",
	   (long long)a.st_size, (long long)b.st_size, lines);
	ok(tap_count(c2) == lines, "audit: every line in both files is a whole JSON record");
	free(path);
	free(old);
}

int main(void)
{
	struct hr_error *err = NULL;
	struct stat st;

	if (!mkdtemp(tmp))
		return 1;
	_cleanup_close_ int d = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ok(hr_write_file_atomic(d, "c.json", "one", 3, 0640, &err) == 0, "a new file: written");
	_cleanup_free_ char *a = slurp(d, "c.json");
	is_str(a, "one", "content");
	ok(fstatat(d, "c.json", &st, 0) == 0 && (st.st_mode & 07777) == 0640, "mode 0640");

	ok(hr_write_file_atomic(d, "c.json", "two", 3, 0600, &err) == 0 && entries() == 1,
	   "replaced: nothing but c.json left (%u entries)", entries());
	_cleanup_free_ char *b = slurp(d, "c.json");
	is_str(b, "two", "the new content is in place");
	ok(fstatat(d, "c.json", &st, 0) == 0 && (st.st_mode & 07777) == 0640,
	   "a replacement keeps the existing file's mode");

	/* A dead writer's leftovers (pid 0x7ffffffe never exists here). */
	close(openat(d, ".c.json.hardrun-2147483646-0", O_WRONLY | O_CREAT, 0600));
	ok(hr_write_file_atomic(d, "c.json", "three", 5, 0600, &err) == 0 && entries() == 1,
	   "the next write removes a dead writer's temporary file");

	close(openat(d, ".c.json.hardrun-2147483646-1", O_WRONLY | O_CREAT, 0600));
	close(openat(d, ".x.hardrun-2147483646-0", O_WRONLY | O_CREAT, 0600));
	close(openat(d, ".c.json.hardrun-1-0", O_WRONLY | O_CREAT, 0600)); /* pid 1 lives */
	close(openat(d, ".c.json.hardrun-", O_WRONLY | O_CREAT, 0600));	   /* no pid */
	hr_sweep_stale_temps(d, "c.json");
	ok(entries() == 4 && faccessat(d, ".x.hardrun-2147483646-0", F_OK, 0) == 0,
	   "a sweep for c.json removes its dead writer's file only (%u entries)", entries());
	hr_sweep_stale_temps(d, NULL);
	ok(entries() == 3 && faccessat(d, ".c.json.hardrun-1-0", F_OK, 0) == 0 &&
	       faccessat(d, ".c.json.hardrun-", F_OK, 0) == 0,
	   "a sweep of any name: dead writers' only; a live pid's and a name without one stay");
	unlinkat(d, ".c.json.hardrun-1-0", 0);
	unlinkat(d, ".c.json.hardrun-", 0);

	fixture(symlinkat("c.json", d, "link.json") == 0, "symlink: %s", strerror(errno));
	ok(hr_write_file_atomic(d, "link.json", "x", 1, 0600, &err) < 0 && err &&
	       strstr(err->msg, "symlink"),
	   "never through a symlink: %s", err ? err->msg : "(no error)");
	hr_error_clear(&err);
	_cleanup_free_ char *e = slurp(d, "c.json");
	is_str(e, "three", "the symlink's target is untouched");

	/* hr_realpath: what realpath(3) says, through symlinks and dot-dots. */
	_cleanup_free_ char *sub = hr_xasprintf("%s/a/b", tmp), *lnk = hr_xasprintf("%s/l", tmp);
	_cleanup_free_ char *q = hr_xasprintf("%s/l/../b/./", tmp);
	fixture(hr_mkdir_p(sub, 0700, &err) == 0 && symlink(sub, lnk) == 0, "a/b, l -> a/b");
	_cleanup_free_ char *r1 = hr_realpath(q), *r2 = realpath(q, NULL);
	is_str(r1, r2, "hr_realpath agrees with realpath(3) (%s)", r2 ? r2 : "(null)");
	_cleanup_free_ char *missing = hr_xasprintf("%s/nope/x", tmp);
	ok(!hr_realpath(missing) && errno == ENOENT, "a missing path: NULL, ENOENT");

	/* Users straight from /etc/passwd, no NSS. */
	uid_t uid = 1;
	ok(hr_passwd_uid("root", &uid) == 0 && uid == 0, "root is uid 0 in /etc/passwd");
	ok(hr_passwd_uid("no-such-user-hardrun", &uid) < 0, "an unknown name: -1");
	_cleanup_free_ char *rootname = hr_passwd_name(0);
	is_str(rootname, "root", "uid 0 is named root");
	ok(!hr_passwd_name(4294967294u), "an unknown uid: NULL");

	_cleanup_free_ char *cmd = hr_xasprintf("rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	test_audit();
	return tap_done();
}
