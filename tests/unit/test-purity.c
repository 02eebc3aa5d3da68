/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule engine only decides (issue 21 point 1): hr_rules_run() on a
 * config with a shipped profile touches nothing under the state dir (no
 * caller claim, no MCS pair, no pod record) and enters no namespace; it
 * leaves a plan.  hr_provision_run() carries the plan out, and undoes
 * every step it made when a later one fails (sysctls get their values back
 * in a network namespace of the test's own).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-lsm.h"
#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/lsm.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"
#include "tap.h"

static char tmp[] = "/tmp/hr-unit-pu-XXXXXX";
static struct hr_policy *pol;
static struct hr_profile *prof;

/* Files (not directories) anywhere under dir; 0 when dir does not exist. */
static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *p = hr_xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(p);
		else
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static bool exists(const char *sub, const char *id)
{
	_cleanup_free_ char *p = hr_xasprintf("%s/%s/%s", pol->state_dir, sub, id);
	return access(p, F_OK) == 0;
}

/* A caller's own user namespace, mapped above the pool; extra: more process fields. */
static unsigned long host_id = 3000000000ul;

static struct hr_json *config(const char *extra)
{
	_cleanup_free_ char *text = hr_xasprintf(
	    "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"%s/bundle/rootfs\"},"
	    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}%s},"
	    "\"linux\":{\"namespaces\":[{\"type\":\"user\"},{\"type\":\"mount\"},"
	    "{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	    "{\"type\":\"uts\"}],"
	    "\"uidMappings\":[{\"containerID\":0,\"hostID\":%lu,\"size\":65536}],"
	    "\"gidMappings\":[{\"containerID\":0,\"hostID\":%lu,\"size\":65536}]}}",
	    tmp, extra, host_id, host_id);
	return hr_json_parse(text, strlen(text), NULL, NULL);
}

struct run {
	struct hr_json *spec;
	struct hr_plan plan;
	struct hr_ctx ctx;
	int r;
};

static void decide(struct run *r, const char *id, const char *extra)
{
	struct hr_error *err = NULL;

	memset(r, 0, sizeof(*r));
	r->spec = config(extra);
	_cleanup_free_ char *bundle = hr_xasprintf("%s/bundle", tmp);
	r->ctx = (struct hr_ctx){.entry = HR_ENTRY_CREATE,
				 .spec = r->spec,
				 .original = r->spec,
				 .policy = pol,
				 .profile = prof,
				 .container_id = id,
				 .bundle = hr_xstrdup(bundle),
				 .rootfs_fd = -1,
				 .plan = &r->plan};
	r->r = hr_rules_run(&r->ctx, &err);
	if (err)
		printf("#   error: %s\n", err->msg);
	hr_error_clear(&err);
	for (size_t i = 0; i < r->ctx.findings.len; i++)
		if (r->ctx.findings.items[i].action == HR_ACTION_DENY)
			printf("#   deny %s: %s\n", r->ctx.findings.items[i].path,
			       r->ctx.findings.items[i].reason);
}

static void run_free(struct run *r)
{
	hr_findings_free(&r->ctx.findings);
	hr_plan_free(&r->plan);
	hr_json_free(r->spec);
	free((char *)r->ctx.bundle);
}

static void test_decide_touches_nothing(void)
{
	struct run r;
	struct hr_error *err = NULL;

	decide(&r, "pu-a", "");
	ok(r.r == 0 && r.ctx.findings.denials == 0, "a caller-mapped config is allowed");
	ok(count_files(pol->state_dir) == 0,
	   "deciding wrote nothing under the state dir (%zu files)", count_files(pol->state_dir));
	ok(r.plan.callers.n == 2 && r.plan.mcs.want,
	   "the plan holds the caller claim (%zu extents) and the MCS pair", r.plan.callers.n);
	const char *label = hr_json_as_string(hr_json_get_path(r.spec, "process/selinuxLabel"));
	ok(label && strstr(label, ":c0,c1"), "the rules put a dry-picked label: %s",
	   label ? label : "(none)");
	ok(hr_provision_run(pol, "pu-a", &r.plan, r.spec, NULL, &err) == 0 &&
	       exists("callers", "pu-a") && exists("selinux", "pu-a"),
	   "provision claims the caller ids and the MCS pair: %s", err ? err->msg : "ok");
	hr_error_clear(&err);
	run_free(&r);
}

static void test_refused_leaves_nothing(void)
{
	struct run r;
	size_t before = count_files(pol->state_dir);

	/* capabilities runs after userns, lsm after both: a refusal there is later
	 * than the caller claim and earlier than the label.  Other ids than
	 * pu-a's, so the capability is the only reason. */
	struct hr_rule_config *caps =
	    (struct hr_rule_config *)hr_profile_rule(prof, "capabilities");
	caps->action = HR_ACTION_DENY;
	host_id = 3100000000ul;
	decide(&r, "pu-b",
	       ",\"capabilities\":{\"bounding\":[\"CAP_SYS_MODULE\"],"
	       "\"effective\":[\"CAP_SYS_MODULE\"],\"permitted\":[\"CAP_SYS_MODULE\"]}");
	caps->action = HR_ACTION_FIX;
	bool only_caps = r.ctx.findings.denials > 0;
	for (size_t i = 0; i < r.ctx.findings.len; i++)
		if (r.ctx.findings.items[i].action == HR_ACTION_DENY &&
		    !strstr(r.ctx.findings.items[i].path, "capabilities"))
			only_caps = false;
	ok(r.r == 0 && only_caps && r.plan.callers.n == 2 && r.plan.mcs.want,
	   "a never-allowed capability is refused by a later rule (claim and label planned)");
	ok(!exists("callers", "pu-b") && !exists("selinux", "pu-b") &&
	       count_files(pol->state_dir) == before,
	   "the refused container left no caller claim and no MCS pair");
	run_free(&r);
	host_id = 3000000000ul;

	/* A second container over the same ids: refused on the records, unlocked. */
	decide(&r, "pu-c", "");
	ok(r.ctx.findings.denials > 0 && !exists("callers", "pu-c"),
	   "ids a live claim holds are refused by the decision, nothing claimed");
	run_free(&r);
}

/* A check (no container id): nothing planned to claim, nothing written. */
static void test_check_read_only(void)
{
	struct run r;
	size_t before = count_files(pol->state_dir);

	decide(&r, NULL, "");
	ok(r.r == 0 && r.plan.callers.n == 0 && !r.plan.mcs.want && !r.plan.netns.path &&
	       count_files(pol->state_dir) == before,
	   "a dry run plans no claim and writes nothing");
	run_free(&r);
}

/* In a network namespace of this child's own: a failing sysctl undoes the rest. */
static int child_netns(void)
{
	struct hr_plan plan = {0};
	struct hr_error *err = NULL;
	char before[64] = "", after[64] = "";
	int fails = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return 64;
	hr_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ping_group_range", before, sizeof(before));
	plan.callers.n = 1;
	plan.callers.ext[0] = (struct hr_idext){'u', 3500000000u, 10};
	plan.netns.path = hr_xstrdup("/proc/self/ns/net");
	plan.netns.n = 2;
	plan.netns.key[0] = hr_xstrdup("net.ipv4.ping_group_range");
	plan.netns.value[0] = hr_xstrdup("5 6");
	plan.netns.key[1] = hr_xstrdup("net.ipv4.no_such_sysctl");
	plan.netns.value[1] = hr_xstrdup("1");
	_cleanup_json_ struct hr_json *spec = hr_json_new(HR_JSON_OBJECT);
	if (hr_provision_run(pol, "pu-n", &plan, spec, NULL, &err) == 0)
		fails |= 1;
	hr_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ping_group_range", after, sizeof(after));
	if (!before[0] || strcmp(before, after) != 0)
		fails |= 2;
	if (exists("callers", "pu-n"))
		fails |= 4;
	/* The same plan without the bad key commits. */
	free(plan.netns.key[1]), free(plan.netns.value[1]);
	plan.netns.n = 1;
	hr_error_clear(&err);
	if (hr_provision_run(pol, "pu-n", &plan, spec, NULL, &err) < 0)
		fails |= 8;
	hr_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ping_group_range", after, sizeof(after));
	if (strncmp(after, "5\t6", 3) != 0 && strncmp(after, "5 6", 3) != 0)
		fails |= 16;
	hr_error_clear(&err);
	hr_plan_free(&plan);
	return fails;
}

static void test_provision_undo(void)
{
	pid_t pid;
	int st = 0;

	if (geteuid() != 0) {
		printf("ok %d # SKIP provision undo needs a network namespace of its own (root)\n",
		       ++tap_n);
		return;
	}
	pid = fork();
	if (pid == 0)
		_exit(child_netns());
	waitpid(pid, &st, 0);
	int fails = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	ok(fails != 64, "a network namespace of the test's own (unshare)");
	ok(!(fails & 1), "a failing sysctl fails provision");
	ok(!(fails & 2), "the sysctl written before the failure has its earlier value back");
	ok(!(fails & 4), "the caller claim made before the failure is undone");
	ok(!(fails & 24), "without the failing key provision commits and the value stays");
}

int main(void)
{
	struct hr_error *err = NULL;
	static const char lxc[] = "process = \"system_u:system_r:container_t:s0\"\n"
				  "file = \"system_u:object_r:container_file_t:s0\"\n";

	if (!mkdtemp(tmp))
		return 1;
	_cleanup_free_ char *rootfs = hr_xasprintf("%s/bundle/rootfs", tmp);
	hr_mkdir_p(rootfs, 0755, NULL);
	setenv("HARDRUN_DATADIR", HR_TEST_SRCDIR "/profiles", 1);
	pol = hr_policy_defaults();
	free(pol->state_dir);
	pol->state_dir = hr_xasprintf("%s/state", tmp);
	prof = hr_profile_load(pol, "baseline", &err);
	if (!prof) {
		printf("Bail out! baseline profile: %s\n", err ? err->msg : "?");
		return 1;
	}
	hr_lsm_fake_host(false, true, -1, lxc);
	test_decide_touches_nothing();
	test_refused_leaves_nothing();
	test_check_read_only();
	test_provision_undo();
	hr_lsm_fake_host(false, false, -1, NULL);
	hr_profile_free(prof);
	hr_policy_free(pol);
	_cleanup_free_ char *cmd = hr_xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
