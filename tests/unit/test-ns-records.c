/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure decisions of issue 16's namespace and record half: namespaces by
 * type and ownership, the nsfs check before any read open, caller mapping
 * overlap and allowed ranges, cgroupsPath facts and resources.unified keys
 * (this host is cgroup v1: the v2 decision is tested here, not by runc).
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/nsinfo.h"
#include "hardrun/podrec.h"
#include "hardrun/profile.h"
#include "hardrun/rules-resources.h"
#include "hardrun/util.h"
#include "tap.h"

static struct hr_ns_facts facts(int type, uint64_t ino, uint64_t owner, bool initial)
{
	return (struct hr_ns_facts){.id = {1, ino},
				    .nstype = type,
				    .owner_known = owner != 0,
				    .owner = {1, owner},
				    .owner_initial = initial};
}

static void test_judge(void)
{
	struct hr_nsid host = {1, 10}, pod = {1, 20};
	struct hr_ns_facts f;

	f = facts(CLONE_NEWNET, 11, 1, true);
	ok(hr_ns_judge(&f, CLONE_NEWPID, &host, &pod) == HR_NS_WRONG_TYPE,
	   "a net namespace named as pid: wrong type");
	f = facts(CLONE_NEWNET, 10, 1, true);
	ok(hr_ns_judge(&f, CLONE_NEWNET, &host, NULL) == HR_NS_HOST, "hardrun's own netns: host");
	f = facts(CLONE_NEWNET, 12, 1, true);
	ok(hr_ns_judge(&f, CLONE_NEWNET, &host, NULL) == HR_NS_HOST_OWNED,
	   "a netns the initial user namespace owns (CNI): host-owned, not the host's");
	f = facts(CLONE_NEWPID, 13, 20, false);
	ok(hr_ns_judge(&f, CLONE_NEWPID, &host, &pod) == HR_NS_POD,
	   "a pid namespace owned by the pod's user namespace: the pod's");
	ok(hr_ns_judge(&f, CLONE_NEWPID, &host, NULL) == HR_NS_FOREIGN,
	   "the same without a pod record: another container's");
	f = facts(CLONE_NEWPID, 13, 21, false);
	ok(hr_ns_judge(&f, CLONE_NEWPID, &host, &pod) == HR_NS_FOREIGN,
	   "owned by another user namespace than the pod's: foreign");
	f = facts(CLONE_NEWIPC, 14, 0, false);
	ok(hr_ns_judge(&f, CLONE_NEWIPC, &host, &pod) == HR_NS_FOREIGN,
	   "owner unknown (above ours): foreign, never the pod's");
	f = facts(CLONE_NEWUSER, 30, 0, true);
	ok(hr_ns_judge(&f, CLONE_NEWUSER, NULL, &pod) == HR_NS_HOST,
	   "the initial user namespace (no parent): host");
	f = facts(CLONE_NEWUSER, 20, 1, false);
	ok(hr_ns_judge(&f, CLONE_NEWUSER, &host, &pod) == HR_NS_POD,
	   "the user namespace hardrun recorded for the pod: the pod's");
	f = facts(CLONE_NEWUSER, 22, 1, false);
	ok(hr_ns_judge(&f, CLONE_NEWUSER, &host, &pod) == HR_NS_FOREIGN,
	   "any other user namespace: foreign");
	struct hr_nsid zero = {0, 0};
	f = facts(CLONE_NEWUSER, 0, 1, false);
	f.id = zero;
	ok(hr_ns_judge(&f, CLONE_NEWUSER, &host, &zero) == HR_NS_FOREIGN,
	   "an empty identity never matches an empty record");
}

static void test_nsfs(void)
{
	char dir[] = "/tmp/hr-unit-sn-XXXXXX";
	struct hr_error *err = NULL;
	struct hr_ns_facts f;

	ok(hr_ns_fstype_ok(NSFS_MAGIC) && !hr_ns_fstype_ok(TMPFS_MAGIC) &&
	       !hr_ns_fstype_ok(PROC_SUPER_MAGIC),
	   "only nsfs is a namespace file system");
	ok(hr_ns_clone_type("network") == CLONE_NEWNET &&
	       hr_ns_clone_type("user") == CLONE_NEWUSER && hr_ns_clone_type("net") == 0,
	   "OCI types map to CLONE_NEW*; `net` is not an OCI type");
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	_cleanup_free_ char *fifo = hr_xasprintf("%s/fifo", dir);
	_cleanup_free_ char *file = hr_xasprintf("%s/file", dir);
	mkfifo(fifo, 0600);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	/* Guard only: a blocking open would hang the test, not pass it. */
	alarm(10);
	time_t t0 = time(NULL);
	int fd = hr_ns_open(fifo, &err);
	ok(fd < 0 && err && strstr(err->msg, "not a namespace file") && time(NULL) - t0 < 5,
	   "a FIFO as namespace path is refused at once: %s", err ? err->msg : "opened");
	hr_error_clear(&err);
	alarm(0);
	fd = hr_ns_open(file, &err);
	ok(fd < 0 && err, "a regular file is refused: %s", err ? err->msg : "opened");
	hr_error_clear(&err);
	ok(hr_ns_resolve("/proc/self/ns/net", &f, &err) == 0 && f.nstype == CLONE_NEWNET,
	   "hardrun's own netns resolves, type net");
	hr_error_clear(&err);
	if (geteuid() == 0 && !hr_in_user_namespace())
		ok(f.owner_known && f.owner_initial, "and the initial user namespace owns it");
	else
		ok(1, "# SKIP ownership by the initial user namespace needs root in it");
	unlink(fifo);
	unlink(file);
	rmdir(dir);
}

static void test_extents(void)
{
	struct hr_idext a[] = {{'u', 300000000, 65536}, {'g', 300000000, 65536}};
	struct hr_idext b[] = {{'u', 300065535, 10}};
	struct hr_idext c[] = {{'u', 300065536, 10}, {'g', 300000000, 1}};
	struct hr_idext above = {'u', 269484032, 4294967295u - 269484032};

	ok(hr_idext_overlap(a, 2, b, 1) == 0, "uid extents sharing one id overlap");
	ok(hr_idext_overlap(a, 1, c, 1) == -1, "adjacent extents do not");
	ok(hr_idext_overlap(a, 2, c, 2) == 1, "a gid extent overlaps only gids");
	ok(hr_idext_inside(&a[0], &above, 1),
	   "a mapping above the pool is inside the allowed range");
	struct hr_idext low = {'u', 100000, 65536}, straddle = {'u', 269484000, 100};
	ok(!hr_idext_inside(&low, &above, 1) && !hr_idext_inside(&straddle, &above, 1),
	   "below, or reaching below, the allowed range is outside");
}

static void test_unified(void)
{
	char fix[32];
	const char *why;

	why = hr_unified_verdict("pids.max", "max", 4096, 0, fix);
	ok(why && strcmp(fix, "4096") == 0, "unified pids.max=max is capped to the profile's 4096");
	why = hr_unified_verdict("pids.max", "100000", 4096, 0, fix);
	ok(why && strcmp(fix, "4096") == 0, "pids.max above the profile's: capped");
	why = hr_unified_verdict("pids.max", "0", 4096, 0, fix);
	ok(why && strcmp(fix, "4096") == 0, "pids.max 0 (no task may fork... or unset): capped");
	ok(!hr_unified_verdict("pids.max", "100", 4096, 0, fix),
	   "pids.max below the profile's: kept");
	why = hr_unified_verdict("memory.max", "max", 4096, 1 << 30, fix);
	ok(why && strcmp(fix, "1073741824") == 0, "memory.max=max with a memory limit: capped");
	why = hr_unified_verdict("memory.swap.max", "max", 4096, 1 << 30, fix);
	ok(why && *fix, "memory.swap.max=max with a memory limit: capped");
	ok(!hr_unified_verdict("memory.max", "max", 4096, 0, fix),
	   "memory.max without a memory limit in the profile: kept (as memory.limit)");
	ok(!hr_unified_verdict("cpu.weight", "100", 4096, 0, fix), "cpu.weight: kept");
	why = hr_unified_verdict("cgroup.procs", "1", 4096, 0, fix);
	ok(why && !*fix, "cgroup.procs: refused (%s)", why ? why : "kept");
	why = hr_unified_verdict("cgroup.subtree_control", "+pids", 4096, 0, fix);
	ok(why && !*fix, "cgroup.subtree_control: refused");
	why = hr_unified_verdict("../pids.max", "max", 4096, 0, fix);
	ok(why && !*fix, "a key with a slash: refused");
	why = hr_unified_verdict("devices.allow", "a", 4096, 0, fix);
	ok(why && !*fix, "an unknown controller's file: refused");
}

/* A live cgroup with a blocked child in it (pids hierarchy): paths beneath it. */
static void test_cgroup_beneath(void)
{
	const char *h = access("/sys/fs/cgroup/pids/cgroup.procs", F_OK) == 0
			    ? "/sys/fs/cgroup/pids"
			    : "/sys/fs/cgroup";
	_cleanup_free_ char *dir = hr_xasprintf("%s/hr-unit-pu-%d", h, (int)getpid());
	_cleanup_free_ char *procs = hr_xasprintf("%s/cgroup.procs", dir);
	_cleanup_free_ char *pid_text = NULL;
	struct hr_cgroup_facts f;
	int pfd[2];
	pid_t child;

	if (geteuid() != 0 || mkdir(dir, 0755) < 0 || pipe(pfd) < 0) {
		ok(1, "# SKIP cannot make a cgroup here (not root, or no pids hierarchy)");
		return;
	}
	child = fork();
	if (child == 0) {
		char c;
		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) < 0); /* blocked until the parent closes */
	}
	close(pfd[0]);
	pid_text = hr_xasprintf("%d\n", (int)child);
	int pf = open(procs, O_WRONLY | O_CLOEXEC);
	bool in = pf >= 0 && hr_write_all(pf, pid_text, strlen(pid_text)) == 0;
	if (pf >= 0)
		close(pf);
	_cleanup_free_ char *below = hr_xasprintf("/hr-unit-pu-%d/sub", (int)getpid());
	_cleanup_free_ char *deeper = hr_xasprintf("/hr-unit-pu-%d/a/b", (int)getpid());
	_cleanup_free_ char *beside =
	    hr_xasprintf("/hr-unit-pu-%d/../hr-unit-pu-none", (int)getpid());
	hr_cgroup_facts(below, &f);
	ok(in && f.under_tasks && hr_cgroup_verdict(&f) != NULL,
	   "a fresh cgroup below a live one (%s): beneath tasks, refused", f.under);
	hr_cgroup_facts(deeper, &f);
	ok(in && f.under_tasks, "two levels below a live cgroup: beneath tasks");
	hr_cgroup_facts(beside, &f);
	ok(!f.under_tasks && !f.tasks && hr_cgroup_verdict(&f) == NULL,
	   "beside it (`..` as runc cleans it): a fresh cgroup of its own");
	close(pfd[1]);
	waitpid(child, NULL, 0);
	rmdir(dir);
}

static void test_cgroup(void)
{
	struct hr_cgroup_facts f = {.is_root = true};

	ok(hr_cgroup_verdict(&f) != NULL, "the root cgroup: refused");
	f = (struct hr_cgroup_facts){.exists = true, .tasks = 3};
	ok(hr_cgroup_verdict(&f) != NULL, "an existing cgroup with tasks: refused");
	f = (struct hr_cgroup_facts){.exists = true};
	ok(hr_cgroup_verdict(&f) == NULL, "an existing empty cgroup (a leftover): used");
	f = (struct hr_cgroup_facts){0};
	ok(hr_cgroup_verdict(&f) == NULL, "a fresh cgroup: used");
	f = (struct hr_cgroup_facts){.under_tasks = true};
	ok(hr_cgroup_verdict(&f) != NULL,
	   "a fresh cgroup beneath one with tasks (another container's): refused");
	hr_cgroup_facts("/../", &f);
	ok(f.is_root, "`/../` is the root (runc cleans the path the same way)");
	hr_cgroup_facts("/hr-unit-sn-does-not-exist/x", &f);
	ok(!f.exists && !f.tasks && !f.is_root, "a path that does not exist: fresh");
	if (access("/sys/fs/cgroup/pids/system.slice", F_OK) == 0 ||
	    access("/sys/fs/cgroup/system.slice", F_OK) == 0) {
		hr_cgroup_facts("/system.slice", &f);
		ok(f.exists, "/system.slice exists (%lu tasks below)", f.tasks);
	} else {
		ok(1, "# SKIP no system.slice on this host");
	}
}

static void test_policy(void)
{
	static const char ok_text[] =
	    "{\"userns\":{\"callerRanges\":[{\"start\":100000,\"size\":65536,\"shared\":true}]}}";
	static const char in_pool[] =
	    "{\"userns\":{\"callerRanges\":[{\"start\":1048576,\"size\":65536}]}}";
	static const char bad_key[] =
	    "{\"userns\":{\"callerRanges\":[{\"start\":100000,\"count\":65536}]}}";
	struct hr_error *err = NULL;
	struct hr_policy *p = hr_policy_parse("(test)", ok_text, strlen(ok_text), &err);

	ok(p && p->n_caller_ranges == 1 && p->caller_ranges[0].start == 100000 &&
	       p->caller_ranges[0].shared,
	   "policy userns.callerRanges parsed: %s", err ? err->msg : "ok");
	hr_policy_free(p);
	hr_error_clear(&err);
	p = hr_policy_parse("(test)", in_pool, strlen(in_pool), &err);
	ok(!p && err && strstr(err->msg, "callerRanges[0]"),
	   "a caller range inside hardrun's pool is refused: %s", err ? err->msg : "accepted");
	hr_policy_free(p);
	hr_error_clear(&err);
	p = hr_policy_parse("(test)", bad_key, strlen(bad_key), &err);
	ok(!p && err && strstr(err->msg, "count"), "an unknown key is named: %s",
	   err ? err->msg : "accepted");
	hr_policy_free(p);
	hr_error_clear(&err);
}

int main(void)
{
	test_policy();
	test_judge();
	test_nsfs();
	test_extents();
	test_unified();
	test_cgroup();
	test_cgroup_beneath();
	return tap_done();
}
