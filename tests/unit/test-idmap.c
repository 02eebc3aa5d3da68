/* SPDX-License-Identifier: Apache-2.0 */
/* Id-range allocator and idmapped mounts. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/lifecycle.h"
#include "hardrun/profile.h"
#include "hardrun/util.h"
#include "tap.h"

#define RANGE 65536u
#define NCONC 30

static char tmp[] = "/tmp/hr-test-idmap.XXXXXX";
static char *rtroot;

static struct hr_policy policy(uint32_t start, uint32_t slots)
{
	struct hr_policy p = {0};
	p.path = (char *)"(test)";
	p.state_dir = hr_xasprintf("%s/state", tmp);
	p.pool_start = start;
	p.pool_size = slots * RANGE;
	p.range_size = RANGE;
	return p;
}

static unsigned count_ranges(const struct hr_policy *p)
{
	_cleanup_free_ char *cmd =
	    hr_xasprintf("ls %s/ranges | grep -c '^[0-9]*$'", hr_idmap_state_dir(p));

	return tap_count(cmd);
}

static void live(const char *id)
{
	_cleanup_free_ char *d = hr_xasprintf("%s/%s", rtroot, id);
	mkdir(d, 0700);
}

static void test_basic(void)
{
	struct hr_policy p = policy(100000, 3);
	struct hr_error *err = NULL;
	uint32_t a = 0, b = 0, c = 0, d = 0, s = 0;

	ok(hr_idrange_acquire(&p, "c1", rtroot, "/b", 0, &a, &err) == 0, "acquire c1");
	ok(a == 100000, "first range starts at the pool start (%" PRIu32 ")", a);
	ok(hr_idrange_acquire(&p, "c2", rtroot, "/b", 0, &b, &err) == 0, "acquire c2");
	ok(b >= a + RANGE || b + RANGE <= a, "c1 and c2 do not overlap (%" PRIu32 ")", b);
	ok(hr_idrange_acquire(&p, "c1", rtroot, "/b", 0, &c, &err) == 0 && c == a,
	   "same id again gets its range back (id reused after a crash)");
	ok(hr_idrange_lookup(&p, "c2", &s, NULL, &err) == 1 && s == b, "lookup finds c2");
	ok(hr_idrange_lookup(&p, "nope", &s, NULL, &err) == 0, "lookup of an unknown key: 0");
	ok(hr_idrange_release(&p, "c1", &err) == 0, "release c1");
	ok(hr_idrange_release(&p, "c1", &err) == 0, "release twice is fine");
	live("c3");
	ok(hr_idrange_acquire(&p, "c3", rtroot, "/b", 0, &d, &err) == 0 && d == a,
	   "freed range is handed out again");
	live("c4");
	live("c2");
	ok(hr_idrange_acquire(&p, "c4", rtroot, NULL, 0, &s, &err) == 0, "third range");
	ok(hr_idrange_acquire(&p, "c5", rtroot, NULL, 0, &s, &err) < 0 && err &&
	       err->errnum == ENOSPC,
	   "pool exhausted is an error: %s", err ? err->msg : "(none)");
	hr_error_clear(&err);
	ok(hr_idrange_acquire(&p, "../x", rtroot, NULL, 0, &s, &err) < 0, "id with / refused");
	hr_error_clear(&err);
	ok(hr_idrange_release(&p, "c2", &err) == 0 && hr_idrange_release(&p, "c3", &err) == 0 &&
	       hr_idrange_release(&p, "c4", &err) == 0 && count_ranges(&p) == 0,
	   "all released: state dir empty");
	free(p.state_dir);
}

static void test_reclaim(void)
{
	struct hr_policy p = policy(200000, 2);
	struct hr_error *err = NULL;
	uint32_t a = 0, b = 0, c = 0;
	unsigned n = 99;
	_cleanup_free_ char *ranges = NULL, *old = NULL;
	const char *text = "key=gone\nruntimeRoot=/nonexistent\nbundle=/b\ncreated=1\nsize=65536\n";
	int fd;

	ok(hr_idrange_acquire(&p, "fresh", rtroot, NULL, 0, &a, &err) == 0, "acquire (no state)");
	ok(hr_idrange_reclaim(&p, -1, &n, &err) == 0 && n == 0,
	   "a create in flight (younger than the grace period) is not reclaimed");
	live("alive");
	ok(hr_idrange_acquire(&p, "alive", rtroot, NULL, 0, &b, &err) == 0, "second range");
	ok(hr_idrange_reclaim(&p, 0, &n, &err) == 0 && n == 1, "stale entry reclaimed (%u)", n);
	ok(hr_idrange_lookup(&p, "alive", &c, NULL, &err) == 1, "live container keeps its range");
	ok(hr_idrange_lookup(&p, "fresh", &c, NULL, &err) == 0, "stale one is gone");

	/* A crash long ago left an entry: acquire on a full pool reclaims it. */
	ranges = hr_xasprintf("%s/ranges", p.state_dir);
	old = hr_xasprintf("%s/%" PRIu32, ranges, a);
	fd = open(old, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "old entry planted");
	if (fd >= 0)
		close(fd);
	ok(hr_idrange_acquire(&p, "new", rtroot, NULL, 0, &c, &err) == 0 && c == a,
	   "full pool: stale entry reclaimed by acquire");
	hr_idrange_release(&p, "alive", NULL);
	hr_idrange_release(&p, "new", NULL);
	hr_error_clear(&err);
	free(p.state_dir);
}

static void test_never_zero(void)
{
	struct hr_policy p = policy(0, 2);
	struct hr_error *err = NULL;
	uint32_t a = 0, first = 99;

	ok(hr_idrange_acquire(&p, "z", rtroot, NULL, 0, &a, &err) == 0 && a > 0,
	   "a pool starting at 0 never hands out host id 0 (start %" PRIu32 ")", a);
	ok(hr_idpool_first(&p, &first, &err) == 0 && first == 1, "pool first id is 1");
	hr_idrange_release(&p, "z", NULL);
	free(p.state_dir);
	p = policy(0, 0);
	ok(hr_idrange_acquire(&p, "z", rtroot, NULL, 0, &a, &err) < 0,
	   "no pool configured is an error: %s", err ? err->msg : "(none)");
	hr_error_clear(&err);
	free(p.state_dir);
}

static void test_concurrent(void)
{
	struct hr_policy p = policy(300000, 64);
	uint32_t got[NCONC] = {0};
	int fds[2];
	bool distinct = true;
	unsigned n = 0;

	if (pipe(fds) < 0)
		return;
	for (int i = 0; i < NCONC; i++) {
		if (fork() == 0) {
			char key[16];
			uint32_t s = 0;
			snprintf(key, sizeof(key), "k%d", i);
			live(key);
			if (hr_idrange_acquire(&p, key, rtroot, NULL, 0, &s, NULL) < 0)
				s = 0;
			if (write(fds[1], &s, sizeof(s)) != sizeof(s))
				_exit(1);
			_exit(0);
		}
	}
	close(fds[1]);
	while (n < NCONC && read(fds[0], &got[n], sizeof(got[n])) == sizeof(got[n]))
		n++;
	close(fds[0]);
	while (wait(NULL) > 0)
		;
	for (unsigned i = 0; i < n; i++) {
		if (got[i] == 0 || (got[i] - 300000) % RANGE)
			distinct = false;
		for (unsigned j = 0; j < i; j++)
			if (got[i] == got[j])
				distinct = false;
	}
	ok(n == NCONC && distinct, "%d concurrent acquires: %u distinct ranges", NCONC, n);
	ok(count_ranges(&p) == NCONC, "%d range files", NCONC);
	for (int i = 0; i < NCONC; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		hr_idrange_release(&p, key, NULL);
	}
	ok(count_ranges(&p) == 0, "all released");
	free(p.state_dir);
}

/* Open path with flags as host uid/gid id (the container's root) in a child. */
static int open_as(const char *path, int flags, uint32_t id)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		setfsgid(id);
		setfsuid(id);
		int fd = open(path, flags, 0644);
		_exit(fd >= 0 && write(fd, "x", 1) == 1 ? 0 : 1);
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void check_view(const char *what, const char *src, const char *view, uint32_t start)
{
	_cleanup_free_ char *f = hr_xasprintf("%s/file", view);
	_cleanup_free_ char *n = hr_xasprintf("%s/new", view), *ns = hr_xasprintf("%s/new", src);
	struct stat st;

	ok(stat(f, &st) == 0 && st.st_uid == start && st.st_gid == start,
	   "%s: root-owned file appears owned by the range start", what);
	ok(open_as(n, O_WRONLY | O_CREAT | O_EXCL, start) == 0, "%s: container root creates a file",
	   what);
	ok(stat(ns, &st) == 0 && st.st_uid == 0, "%s: stored as uid 0 in the source", what);
	ok(open_as(f, O_WRONLY | O_APPEND, start) == 0,
	   "%s: container root writes a root-owned file", what);
}

/* Docker's overlay2 layout with the short relative layer names it mounts with. */
static void test_relative_overlay(const struct hr_policy *p)
{
	_cleanup_free_ char *root = hr_xasprintf("%s/overlay2", tmp), *cmd = NULL, *view = NULL;
	_cleanup_free_ char *merged = hr_xasprintf("%s/overlay2/abc/merged", tmp);
	_cleanup_free_ char *f = NULL;
	struct hr_error *err = NULL;
	struct stat st;
	char cwd[4096];
	int r;

	cmd = hr_xasprintf("mkdir -p %s/l/A %s/l/B %s/abc/diff %s/abc/work %s && touch %s/l/B/file",
			   root, root, root, root, merged, root);
	if (system(cmd) != 0 || !getcwd(cwd, sizeof(cwd)) || chdir(root) < 0)
		return;
	r = mount("overlay", merged, "overlay", 0,
		  "lowerdir=l/A:l/B,upperdir=abc/diff,workdir=abc/work");
	if (chdir(cwd) < 0 || r < 0) {
		ok(1, "# SKIP relative overlay mount: %s", strerror(errno));
		return;
	}
	ok(hr_idmount_rootfs(p, "ct3", merged, 400000, RANGE, false, &view, &err) == 0 && view,
	   "overlay with relative layer paths (docker's l/ names) resolved: %s",
	   err ? err->msg : view);
	f = hr_xasprintf("%s/file", view ? view : "/nonexistent");
	ok(stat(f, &st) == 0 && st.st_uid == 400000, "its lower file appears as container root");
	hr_error_clear(&err);
	hr_idmount_release(p, "ct3", NULL);
	umount2(merged, MNT_DETACH);

	/* data-only layers ("::", composefs-style images) stay data-only */
	free(cmd);
	cmd = hr_xasprintf("lowerdir=%s/l/B::%s/l/A,metacopy=on,redirect_dir=follow", root, root);
	if (mount("overlay", merged, "overlay", 0, cmd) < 0) {
		ok(1, "# SKIP data-only overlay: %s", strerror(errno));
		return;
	}
	free(view);
	view = NULL;
	r = hr_idmount_rootfs(p, "ct4", merged, 400000, RANGE, false, &view, &err);
	free(f);
	f = hr_xasprintf("%s/file", view ? view : "/nonexistent");
	ok(r == 0 && stat(f, &st) == 0 && st.st_uid == 400000,
	   "overlay with a data-only layer rebuilt: %s", err ? err->msg : "ok");
	hr_error_clear(&err);
	hr_idmount_release(p, "ct4", NULL);
	umount2(merged, MNT_DETACH);
}

static void test_mounts(void)
{
	struct hr_policy p = policy(400000, 4);
	struct hr_error *err = NULL;
	_cleanup_free_ char *dir = hr_xasprintf("%s/rootfs", tmp), *view = NULL;
	_cleanup_free_ char *ovl = hr_xasprintf("%s/ovl", tmp), *opts = NULL, *cmd = NULL;
	struct stat st;

	if (geteuid() != 0) {
		ok(1, "# SKIP idmapped mounts need root");
		return;
	}
	cmd = hr_xasprintf("mkdir -p %s && touch %s/file && cd %s && mkdir -p l1 l2 up/diff "
			   "up/work m && touch l2/file",
			   dir, dir, tmp);
	fixture(system(cmd) == 0, "%s", cmd);
	ok(hr_idmount_rootfs(&p, "ct1", dir, 400000, RANGE, false, &view, &err) == 0 && view,
	   "idmap a plain directory rootfs: %s", err ? err->msg : view);
	if (view)
		check_view("dir", dir, view, 400000);
	ok(hr_idmount_release(&p, "ct1", &err) == 0, "release");
	ok(view && stat(view, &st) < 0 && errno == ENOENT, "mount dir removed");
	free(view);
	view = NULL;

	opts = hr_xasprintf("lowerdir=%s/l1:%s/l2,upperdir=%s/up/diff,workdir=%s/up/work,volatile",
			    tmp, tmp, tmp, tmp);
	free(cmd);
	cmd = hr_xasprintf("%s/ovl/m", tmp);
	mkdir(ovl, 0755);
	mkdir(cmd, 0755);
	if (mount("overlay", cmd, "overlay", 0, opts) < 0) {
		ok(1, "# SKIP overlay mount: %s", strerror(errno));
		return;
	}
	ok(hr_idmount_rootfs(&p, "ct2", cmd, 400000, RANGE, false, &view, &err) == 0 && view,
	   "volatile overlay rootfs rebuilt over idmapped layers: %s", err ? err->msg : view);
	hr_error_clear(&err);
	if (view) {
		_cleanup_free_ char *up = hr_xasprintf("%s/up/diff", tmp);
		_cleanup_free_ char *cu = hr_xasprintf("%s/file", up);
		check_view("overlay", up, view, 400000);
		ok(stat(cu, &st) == 0 && st.st_uid == 0 && st.st_size == 1,
		   "overlay: lower file copied up, owned by 0 in the upper layer");
	}
	ok(hr_idmount_release(&p, "ct2", &err) == 0, "release overlay view");
	umount2(cmd, MNT_DETACH);
	test_relative_overlay(&p);
	free(p.state_dir);
}

static void test_chown(void)
{
	struct hr_policy p = policy(500000, 8);
	struct hr_error *err = NULL;
	_cleanup_free_ char *dir = hr_xasprintf("%s/chown", tmp), *cmd = NULL, *view = NULL;
	_cleanup_free_ char *ram = hr_xasprintf("%s/ram", tmp), *rf = hr_xasprintf("%s/ram/f", tmp);
	uint32_t start = 500000 + RANGE, old = 500000 + 3 * RANGE;
	struct stat a, b, c, d, l, e;

	if (geteuid() != 0) {
		ok(1, "# SKIP chown needs root");
		return;
	}
	cmd = hr_xasprintf("mkdir -p %s && cd %s && touch a b c d && ln -s /etc/shadow l && "
			   "chown 1000:1000 b && chown %u:%u c && chown 70000 d && "
			   "chmod 4755 a",
			   dir, dir, old + 5, old + 5);
	fixture(system(cmd) == 0, "chown: %s", cmd);
	ok(hr_chown_tree(dir, start, RANGE, 500000, &err) == 0, "chown tree into a range");
	free(cmd), cmd = hr_xasprintf("%s/a", dir);
	stat(cmd, &a);
	free(cmd), cmd = hr_xasprintf("%s/b", dir);
	stat(cmd, &b);
	free(cmd), cmd = hr_xasprintf("%s/c", dir);
	stat(cmd, &c);
	free(cmd), cmd = hr_xasprintf("%s/d", dir);
	stat(cmd, &d);
	free(cmd), cmd = hr_xasprintf("%s/l", dir);
	lstat(cmd, &l);
	stat("/etc/shadow", &e);
	ok(a.st_uid == start && a.st_gid == start, "uid 0 moves to the range start");
	ok(a.st_mode & S_ISUID, "setuid bit kept across chown");
	ok(b.st_uid == start + 1000, "uid 1000 moves to start+1000");
	ok(c.st_uid == start + 5, "an id of an earlier range follows to the new one");
	ok(d.st_uid == 70000, "an id outside the container's id space is left alone");
	ok(l.st_uid == start && e.st_uid == 0, "symlinks chowned themselves, never their target");

	/* ramfs cannot be idmapped: the fallback decides. */
	mkdir(ram, 0755);
	if (mount("ramfs", ram, "ramfs", 0, NULL) < 0) {
		ok(1, "# SKIP ramfs: %s", strerror(errno));
		return;
	}
	close(open(rf, O_WRONLY | O_CREAT, 0644));
	ok(hr_idmount_rootfs(&p, "cf", ram, start, RANGE, false, &view, &err) < 0 && err &&
	       strstr(err->msg, "chown fallback"),
	   "no idmap, no fallback: a clear error: %s", err ? err->msg : "");
	hr_error_clear(&err);
	ok(hr_idmount_rootfs(&p, "cf", ram, start, RANGE, true, &view, &err) == 0 && !view,
	   "no idmap, fallback allowed: chowned in place");
	ok(stat(rf, &e) == 0 && e.st_uid == start, "file now owned by the range");
	umount2(ram, MNT_DETACH);
	hr_idmount_release(&p, "cf", NULL);
	free(p.state_dir);
}

static void test_share(void)
{
	struct hr_policy p = policy(600000, 2);
	struct hr_error *err = NULL;
	uint32_t a = 0, b = 0, s = 0;

	live("owner");
	live("sharer");
	ok(hr_idrange_acquire(&p, "owner", rtroot, NULL, 0, &a, &err) == 0, "owner acquires");
	ok(hr_idrange_share(&p, "sharer", rtroot, NULL, a, RANGE, &err) == 0, "sharer joins it");
	ok(hr_idrange_lookup(&p, "sharer", &s, NULL, &err) == 1 && s == a, "sharer's range found");
	ok(hr_idrange_release(&p, "owner", &err) == 0, "owner deleted first");
	ok(hr_idrange_acquire(&p, "next", rtroot, NULL, 0, &b, &err) == 0 && b != a,
	   "the shared range stays taken while a sharer lives");
	ok(hr_idrange_release(&p, "sharer", &err) == 0 &&
	       hr_idrange_release(&p, "next", &err) == 0 && count_ranges(&p) == 0,
	   "all released");
	free(p.state_dir);
}

/* /etc/subuid and /etc/subgid replaced in a private mount namespace. */
static void test_subid(void)
{
	pid_t pid;
	int st = 0;

	if (geteuid() != 0) {
		ok(1, "# SKIP subid pool needs root (private mount namespace)");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct hr_policy p = policy(100000, 1);
		_cleanup_free_ char *u = hr_xasprintf("%s/subuid", tmp), *g = NULL;
		uint32_t a = 0, b = 0, first = 0;
		FILE *f = NULL;
		int bad = 0;

		g = hr_xasprintf("%s/subgid", tmp);
		p.pool_from_subid = true;
		f = fopen(u, "w");
		fprintf(f, "alice:100000:65536\nhardrun:2000000:131072\nhardrun:5000000:65536\n");
		fclose(f);
		f = fopen(g, "w");
		fprintf(f, "hardrun:2065536:65536\nhardrun:4900000:300000\n");
		fclose(f);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount(u, "/etc/subuid", NULL, MS_BIND, NULL) < 0 ||
		    mount(g, "/etc/subgid", NULL, MS_BIND, NULL) < 0)
			_exit(77);
		/* uid pool [2000000,2131072)+[5000000,5065536); gid
		 * [2065536,2131072)+[4900000,5200000) */
		bad |= hr_idpool_first(&p, &first, NULL) < 0 || first != 2065536;
		bad |= (hr_idrange_acquire(&p, "s1", rtroot, NULL, 0, &a, NULL) < 0 || a != 2065536)
		       << 1;
		bad |= (hr_idrange_acquire(&p, "s2", rtroot, NULL, 0, &b, NULL) < 0 || b != 5000000)
		       << 2;
		bad |= (hr_idrange_acquire(&p, "s3", rtroot, NULL, 0, &b, NULL) == 0) << 3;
		_exit(bad);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		ok(1, "# SKIP cannot bind over /etc/subuid here");
		return;
	}
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "pool from /etc/subuid and /etc/subgid of user hardrun: uid/gid intersection, "
	   "several entries, exhausted after them (status %d)",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	{
		struct hr_policy p = policy(100000, 1);
		hr_idrange_release(&p, "s1", NULL);
		hr_idrange_release(&p, "s2", NULL);
		free(p.state_dir);
	}
}

/* A late release (the keeper of an earlier container of the id) never frees
 * what a newer create claimed; the newer one's own release does. */
static void test_owner(void)
{
	struct hr_policy p = policy(600000, 4);
	struct hr_error *err = NULL;
	char old[HR_OWNER_LEN], new[HR_OWNER_LEN], none[HR_OWNER_LEN];
	uint32_t a = 0, b = 0, s = 0;
	_cleanup_free_ char *prof = NULL;

	ok(hr_container_claim(&p, "q1", rtroot, "baseline", old, &err) == 0 && strlen(old) == 16,
	   "claim q1: a 16-digit owner (%s)", old);
	ok(hr_idrange_acquire(&p, "q1", rtroot, "/b", 0, &a, &err) == 0, "q1 takes a range");
	ok(hr_container_claim(&p, "q1", rtroot, "restricted", new, &err) == 0 &&
	       strcmp(old, new) != 0,
	   "a new create of q1 claims it with another owner");
	ok(hr_idrange_acquire(&p, "q1", rtroot, "/b", 0, &b, &err) == 0 && b == a,
	   "and reuses the range");
	prof = hr_container_profile(&p, "q1");
	ok(prof && strcmp(prof, "restricted") == 0, "the record names the newer profile (%s)",
	   prof ? prof : "(null)");
	hr_container_release_unless_live(&p, "q1", rtroot, old);
	ok(hr_idrange_lookup(&p, "q1", &s, NULL, &err) == 1 && s == a,
	   "the earlier owner's release leaves the newer container's range");
	hr_container_release_unless_live(&p, "q1", rtroot, "");
	ok(hr_idrange_lookup(&p, "q1", &s, NULL, &err) == 1,
	   "a create that claimed nothing releases nothing");
	live("q1");
	hr_container_release_unless_live(&p, "q1", rtroot, new);
	ok(hr_idrange_lookup(&p, "q1", &s, NULL, &err) == 1,
	   "nor does the owner while the runtime has the container");
	_cleanup_free_ char *d = hr_xasprintf("%s/q1", rtroot);
	rmdir(d);
	hr_container_release_unless_live(&p, "q1", rtroot, new);
	ok(hr_idrange_lookup(&p, "q1", &s, NULL, &err) == 0 && !hr_container_profile(&p, "q1"),
	   "the owner's release frees the range and the record");
	ok(hr_container_claim(&p, "q2", rtroot, "baseline", none, &err) == 0 &&
	       hr_idrange_acquire(&p, "q2", rtroot, "/b", 0, &s, &err) == 0,
	   "claim and range for q2");
	hr_container_release_unless_live(&p, "q2", rtroot, NULL);
	ok(hr_idrange_lookup(&p, "q2", &s, NULL, &err) == 0, "delete (no owner) frees any claim");
	ok(hr_container_claim(&p, "../x", rtroot, "baseline", none, &err) == 0 && none[0] == '\0',
	   "an id hardrun keeps nothing for gets no owner");
	/* Records are transactions: a create of a live id rewrites nothing;
	 * a delete under another runtime root frees nothing. */
	ok(hr_container_claim(&p, "q3", rtroot, "untrusted", old, &err) == 0 &&
	       hr_idrange_acquire(&p, "q3", rtroot, "/b", 0, &a, &err) == 0,
	   "q3 claimed under its runtime root, with a range");
	live("q3");
	ok(hr_container_claim(&p, "q3", rtroot, "baseline", new, &err) < 0 && err &&
	       err->errnum == EEXIST && new[0] == '\0',
	   "a create of live q3 is refused (%s)", err ? err->msg : "no error");
	hr_error_clear(&err);
	prof = (free(prof), hr_container_profile(&p, "q3"));
	ok(prof && strcmp(prof, "untrusted") == 0, "and q3's record still names its profile (%s)",
	   prof ? prof : "(null)");
	hr_container_release_unless_live(&p, "q3", "/nonexistent-root", NULL);
	ok(hr_idrange_lookup(&p, "q3", &s, NULL, &err) == 1 && s == a,
	   "delete under another runtime root leaves q3's range");
	_cleanup_free_ char *d3 = hr_xasprintf("%s/q3", rtroot);
	rmdir(d3);
	hr_container_release_unless_live(&p, "q3", rtroot, NULL);
	ok(hr_idrange_lookup(&p, "q3", &s, NULL, &err) == 0, "delete under its own root frees it");
	ok(!err, "no error left (%s)", err ? err->msg : "");
	hr_error_clear(&err);
	free(p.state_dir);
}

/* Owner entries on disk, as (start, size) pairs; returns how many. */
static unsigned entries_on_disk(const struct hr_policy *p, uint32_t (*out)[2], unsigned max)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/ranges", hr_idmap_state_dir(p));
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d)) && n < max) {
		char path[512], text[4096];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "re");
		size_t len = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
		if (f)
			fclose(f);
		text[len] = '\0';
		char *sz = strstr(text, "size=");
		out[n][0] = (uint32_t)strtoul(de->d_name, NULL, 10);
		out[n][1] = sz ? (uint32_t)strtoul(sz + 5, NULL, 10) : 0;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static bool entries_disjoint(const struct hr_policy *p)
{
	uint32_t e[64][2];
	unsigned n = entries_on_disk(p, e, 64);

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++)
			if (e[i][0] < e[j][0] + e[j][1] && e[j][0] < e[i][0] + e[i][1])
				return false;
	return true;
}

/* A child about to acquire key, stopped under ptrace before it starts. */
static pid_t traced_acquire(const struct hr_policy *p, const char *key)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint32_t s = 0;
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(3);
		raise(SIGSTOP);
		_exit(hr_idrange_acquire(p, key, rtroot, NULL, 0, &s, NULL) == 0 ? 0 : 1);
	}
	return pid;
}

/* SIGKILL the child right after its k-th system call returns: 1, or 0 if it finished first. */
static int kill_after(pid_t pid, int k)
{
	int st = 0, n = 0;
	bool in = false;

	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		return -1;
	ptrace(PTRACE_SETOPTIONS, pid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) < 0 || waitpid(pid, &st, 0) != pid)
			return -1;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return 0;
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80))
			continue;
		in = !in;
		if (!in && ++n == k) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return 1;
		}
	}
}

/*
 * An allocator killed after each of its system calls in turn (the slot
 * counted, the index link written, the entry written, and with a torn
 * table each step of its rebuild): whatever it left, the next allocation
 * never gets the range a live container holds, no two entries on disk
 * share ids, and once everything is released the whole pool can be
 * allocated again.  The live range is held by a sharer alone (its owner
 * deleted first), so no owner entry at its start gives it away.
 */
static int crash_pass(const struct hr_policy *p, bool torn, uint32_t held, int *killed)
{
	_cleanup_free_ char *slots = hr_xasprintf("%s/ranges/.slots", hr_idmap_state_dir(p));
	uint32_t w = 0, s = 0;
	int bad = 0, k, r = 1;

	for (k = 1; k < 1000 && r == 1; k++) {
		if (torn && truncate(slots, 10) < 0)
			bad++;
		r = kill_after(traced_acquire(p, "cr-v"), k);
		if (r < 0)
			return -1;
		*killed += r;
		if (hr_idrange_acquire(p, "cr-w", rtroot, NULL, 0, &w, NULL) < 0 || w == held ||
		    !entries_disjoint(p))
			bad++;
		if (hr_idrange_lookup(p, "cr-v", &s, NULL, NULL) == 1 && (s == held || s == w))
			bad++;
		hr_idrange_release(p, "cr-w", NULL);
		hr_idrange_release(p, "cr-v", NULL);
	}
	return bad;
}

static void test_crash(void)
{
	struct hr_policy p = policy(700000, 4);
	struct hr_error *err = NULL;
	uint32_t o = 0, w = 0, s = 0;
	int killed = 0, torn = 0, bad;

	live("cr-o");
	live("cr-a");
	live("cr-w");
	ok(hr_idrange_acquire(&p, "cr-o", rtroot, NULL, 0, &o, &err) == 0 &&
	       hr_idrange_share(&p, "cr-a", rtroot, NULL, o, RANGE, &err) == 0 &&
	       hr_idrange_release(&p, "cr-o", &err) == 0,
	   "a live sharer alone holds a range");
	bad = crash_pass(&p, false, o, &killed);
	ok(bad == 0 && killed > 10,
	   "allocator killed after each of its %d system calls: the live range stays its own",
	   killed);
	bad = crash_pass(&p, true, o, &torn);
	ok(bad == 0 && torn > killed, "the same through a rebuild of a torn table (%d kill points)",
	   torn);
	ok(hr_idrange_acquire(&p, "cr-w", rtroot, NULL, 0, &w, &err) == 0 &&
	       hr_idrange_acquire(&p, "cr-x", rtroot, NULL, 0, &s, &err) == 0 &&
	       hr_idrange_acquire(&p, "cr-y", rtroot, NULL, 0, &s, &err) == 0,
	   "no slot leaked for good: the rest of the pool is allocated again (%s)",
	   err ? err->msg : "");
	hr_error_clear(&err);
	for (const char *const *key = (const char *const[]){"cr-a", "cr-w", "cr-x", "cr-y", NULL};
	     *key; key++)
		hr_idrange_release(&p, *key, NULL);
	ok(count_ranges(&p) == 0, "all released");
	free(p.state_dir);
}

/* Write a file under the policy's ranges directory. */
static void plant(const struct hr_policy *p, const char *name, const char *text)
{
	_cleanup_free_ char *path = hr_xasprintf("%s/ranges/%s", hr_idmap_state_dir(p), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0 && write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fd = -1;
	if (fd >= 0)
		close(fd);
}

/*
 * The slot table and the index are only ever trusted to count too much:
 * an entry they do not know (an older hardrun's, a table lost or torn) is
 * never handed out again.
 */
static void test_table(void)
{
	struct hr_policy p = policy(800000, 3);
	struct hr_error *err = NULL;
	uint32_t a = 0, b = 0, c = 0, s = 0;
	_cleanup_free_ char *slots = hr_xasprintf("%s/ranges/.slots", p.state_dir);
	char text[256];

	live("tb-a");
	live("tb-old");
	live("tb-b");
	ok(hr_idrange_acquire(&p, "tb-a", rtroot, NULL, 0, &a, &err) == 0 && a == 800000,
	   "first range");
	/* an entry written behind the table's back, at the next free slot */
	snprintf(text, sizeof(text),
		 "key=tb-old\nruntimeRoot=%s\nbundle=/b\ncreated=%lld\nsize=%u\n", rtroot,
		 (long long)time(NULL), RANGE);
	plant(&p, "865536", text);
	ok(hr_idrange_acquire(&p, "tb-b", rtroot, NULL, 0, &b, &err) == 0 && b != a && b != 865536,
	   "an entry the table does not count is not handed out (%" PRIu32 ")", b);
	ok(hr_idrange_lookup(&p, "tb-old", &s, NULL, &err) == 1 && s == 865536,
	   "and the recount indexed it");
	hr_idrange_release(&p, "tb-b", NULL);
	ok(truncate(slots, 10) == 0, "slot table torn");
	ok(hr_idrange_acquire(&p, "tb-b", rtroot, NULL, 0, &c, &err) == 0 && c != a && c != 865536,
	   "a torn table is rebuilt from the entries (%" PRIu32 ")", c);
	ok(unlink(slots) == 0 && hr_idrange_lookup(&p, "tb-a", &s, NULL, &err) == 1 && s == a,
	   "without a table, a lookup still finds the entry");
	hr_idrange_release(&p, "tb-a", NULL);
	hr_idrange_release(&p, "tb-b", NULL);
	hr_idrange_release(&p, "tb-old", NULL);
	ok(count_ranges(&p) == 0, "all released");
	/* a stale entry is reclaimed by an ordinary acquire, pool not full */
	ok(hr_idrange_acquire(&p, "tb-gone", rtroot, NULL, 0, &a, &err) == 0, "acquire tb-gone");
	snprintf(text, sizeof(text), "key=tb-gone\nruntimeRoot=%s\nbundle=/b\ncreated=1\nsize=%u\n",
		 rtroot, RANGE);
	snprintf(text + 200, 40, "%" PRIu32, a);
	plant(&p, text + 200, text);
	ok(hr_idrange_acquire(&p, "tb-a", rtroot, NULL, 0, &b, &err) == 0 &&
	       hr_idrange_lookup(&p, "tb-gone", &s, NULL, &err) == 0,
	   "a stale range is reclaimed by the next acquire, the pool not full");
	hr_idrange_release(&p, "tb-a", NULL);
	ok(!err, "no error (%s)", err ? err->msg : "");
	hr_error_clear(&err);
	free(p.state_dir);
}

/*
 * A runtime root hardrun cannot look into says nothing about the id: the
 * claim is refused (never taken as "absent", which would let a create
 * rewrite a live container's record), and its error names the errno, not
 * "exists".  A root that is a file gives ENOTDIR as root's unreadable
 * /run/runc gives a rootless caller EACCES.
 */
static void test_unknown_root(void)
{
	struct hr_policy p = policy(610000, 4);
	struct hr_error *err = NULL;
	char own[HR_OWNER_LEN];
	_cleanup_free_ char *file = hr_xasprintf("%s/not-a-root", tmp);
	_cleanup_free_ char *prof = NULL;
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	close(fd);
	ok(hr_runtime_probe(file, "pd-u1") == -ENOTDIR && hr_runtime_has(file, "pd-u1"),
	   "an unreadable root: probe says it cannot tell, has() fails closed");
	ok(hr_runtime_probe(rtroot, "pd-u1") == 0, "an id the kernel says ENOENT for is absent");
	ok(hr_container_claim(&p, "pd-u1", rtroot, "untrusted", own, &err) == 0,
	   "pd-u1 claimed under its root");
	ok(hr_container_claim(&p, "pd-u1", file, "baseline", own, &err) < 0 && err &&
	       err->errnum == ENOTDIR && strstr(err->msg, "cannot tell") && own[0] == '\0',
	   "a claim under an unreadable root is refused as unknown (%s)",
	   err ? err->msg : "no error");
	hr_error_clear(&err);
	prof = hr_container_profile(&p, "pd-u1");
	ok(prof && strcmp(prof, "untrusted") == 0, "and the record is untouched (%s)",
	   prof ? prof : "(null)");
	hr_container_release_unless_live(&p, "pd-u1", rtroot, NULL);
	free(p.state_dir);
}

int main(void)
{
	if (!mkdtemp(tmp))
		return 1;
	chmod(tmp, 0711);
	rtroot = hr_xasprintf("%s/rt", tmp);
	mkdir(rtroot, 0700);
	test_basic();
	test_reclaim();
	test_never_zero();
	test_concurrent();
	test_share();
	test_crash();
	test_table();
	test_subid();
	test_mounts();
	test_chown();
	test_owner();
	test_unknown_root();
	_cleanup_free_ char *cmd = hr_xasprintf("rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
