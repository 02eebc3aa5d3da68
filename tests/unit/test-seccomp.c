/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp rule and OCI-profile library: fix, deny and warn paths, and the default profile. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/seccomp.h"
#include "hardrun/util.h"
#include "tap.h"

#define PROFILES HR_TEST_SRCDIR "/profiles/seccomp"

extern const struct hr_rule hr_rule_seccomp;

static struct hr_json *parse(const char *text)
{
	struct hr_error *err = NULL;
	struct hr_json *j = hr_json_parse(text, strlen(text), NULL, &err);
	if (!j) {
		printf("# parse: %s\n", err->msg);
		hr_error_clear(&err);
	}
	return j;
}

/*
 * The injected profile is default.json with the architectures this host
 * cannot run left out: equal but for those, and never with an architecture
 * default.json does not list.
 */
static bool same_but_arches(const struct hr_json *got, const struct hr_json *def)
{
	_cleanup_json_ struct hr_json *a = hr_json_clone(got), *b = hr_json_clone(def);
	const struct hr_json *ga = hr_json_get(got, "architectures");
	const struct hr_json *da = hr_json_get(def, "architectures");
	if (!a || !b || !ga || !da || ga->arr.len == 0)
		return false;
	for (size_t i = 0; i < ga->arr.len; i++) {
		bool found = false;
		for (size_t k = 0; k < da->arr.len; k++)
			found |= hr_json_equal(ga->arr.items[i], da->arr.items[k]);
		if (!found)
			return false;
	}
	hr_json_remove(a, "architectures");
	hr_json_remove(b, "architectures");
	return hr_json_equal(a, b);
}

static struct hr_json *default_profile(void)
{
	struct hr_json *j = NULL;
	struct hr_error *err = NULL;
	if (hr_seccomp_load_default(PROFILES, &j, &err) < 0) {
		printf("# default.json: %s\n", err->msg);
		hr_error_clear(&err);
	}
	return j;
}

/* Where the rule reads the shipped profiles: this tree's. */
static struct hr_policy policy = {.seccomp_dir = (char *)PROFILES};

struct run {
	struct hr_ctx ctx;
	struct hr_json *original;
	int rc;
};

/* Run the rule over config text with `action` and settings text (NULL: defaults). */
static void run_rule(struct run *r, const char *config, enum hr_action action, const char *settings)
{
	_cleanup_json_ struct hr_json *sect = settings ? parse(settings) : NULL;
	struct hr_error *err = NULL;
	void *s = NULL;

	memset(r, 0, sizeof(*r));
	r->ctx.entry = HR_ENTRY_CREATE;
	r->ctx.spec = parse(config);
	r->ctx.policy = &policy;
	r->original = hr_json_clone(r->ctx.spec);
	r->ctx.cur_rule = "seccomp";
	r->ctx.cur_action = action;
	if (hr_rule_seccomp.parse(sect, "test.json", &s, &err) < 0) {
		printf("# settings: %s\n", err->msg);
		hr_error_clear(&err);
		r->rc = -2;
		return;
	}
	r->rc = hr_rule_seccomp.apply(&r->ctx, s, &err);
	if (r->rc < 0) {
		printf("# apply: %s\n", err->msg);
		hr_error_clear(&err);
	}
	hr_rule_seccomp.free_settings(s);
}

static void run_free(struct run *r)
{
	hr_json_free(r->ctx.spec);
	hr_json_free(r->original);
	hr_findings_free(&r->ctx.findings);
}

static size_t count(const struct run *r, enum hr_action a)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ctx.findings.len; i++)
		n += r->ctx.findings.items[i].action == a;
	return n;
}

static bool has_name(const struct hr_json *sc, const char *name, bool allowing)
{
	const struct hr_json *calls = hr_json_get(sc, "syscalls");
	for (size_t i = 0; calls && i < calls->arr.len; i++) {
		const struct hr_json *rule = calls->arr.items[i];
		const struct hr_json *names = hr_json_get(rule, "names");
		if (hr_seccomp_action_allows(hr_json_as_string(hr_json_get(rule, "action"))) !=
		    allowing)
			continue;
		for (size_t j = 0; j < names->arr.len; j++)
			if (strcmp(names->arr.items[j]->s.str, name) == 0)
				return true;
	}
	return false;
}

static const struct hr_json *seccomp_of(const struct run *r)
{
	return hr_json_get_path(r->ctx.spec, "linux/seccomp");
}

/* Configs that get the default profile under `fix`. */
static void test_inject(void)
{
	static const struct {
		const char *desc, *config;
	} cases[] = {
	    {"no linux object", "{\"ociVersion\":\"1.0.2\"}"},
	    {"no seccomp", "{\"linux\":{}}"},
	    {"seccomp null", "{\"linux\":{\"seccomp\":null}}"},
	    {"allow-all", "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}"},
	    {"log-all with allow rules",
	     "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":"
	     "[{\"names\":[\"bpf\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}"},
	    {"Go-cased keys", "{\"Linux\":{\"Seccomp\":{\"DefaultAction\":\"SCMP_ACT_ALLOW\"}}}"},
	};
	_cleanup_json_ struct hr_json *def = default_profile();
	struct hr_error *verr = NULL;

	ok(def != NULL && hr_seccomp_validate(def, &verr) == 0,
	   "default.json loads and libseccomp accepts all of it%s%s", verr ? ": " : "",
	   verr ? verr->msg : "");
	hr_error_clear(&verr);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		run_rule(&r, cases[i].config, HR_ACTION_FIX, NULL);
		ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 1 && r.ctx.findings.len == 1,
		   "%s: one fix finding", cases[i].desc);
		ok(same_but_arches(seccomp_of(&r), def), "%s: default profile injected",
		   cases[i].desc);
		run_free(&r);
	}
}

/* deny and warn record a finding and leave the config as it was. */
static void test_deny_warn(void)
{
	static const char *configs[] = {
	    "{\"linux\":{}}",
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}",
	    ("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
	     "[{\"names\":[\"read\",\"bpf\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}"),
	};
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		struct run r;
		run_rule(&r, configs[i], HR_ACTION_DENY, NULL);
		ok(r.rc == 0 && count(&r, HR_ACTION_DENY) == 1 && r.ctx.findings.denials == 1,
		   "deny, config %zu: one deny finding", i);
		ok(hr_json_equal(r.ctx.spec, r.original), "deny, config %zu: config unchanged", i);
		run_free(&r);
		run_rule(&r, configs[i], HR_ACTION_WARN, NULL);
		ok(r.rc == 0 && count(&r, HR_ACTION_WARN) == 1 && r.ctx.findings.denials == 0,
		   "warn, config %zu: one warn finding", i);
		ok(hr_json_equal(r.ctx.spec, r.original), "warn, config %zu: config unchanged", i);
		run_free(&r);
	}
}

/* A custom profile keeps its rules minus the never-allowed syscalls. */
static void test_custom(void)
{
	struct run r;

	run_rule(
	    &r,
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\",\"bpf\",\"write\",\"keyctl\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	    "{\"names\":[\"userfaultfd\"],\"action\":\"SCMP_ACT_LOG\"},"
	    "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}}}",
	    HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 3 && r.ctx.findings.len == 3,
	   "custom: bpf, keyctl, userfaultfd reported (%zu findings)", r.ctx.findings.len);
	is_str(r.ctx.findings.items[0].path, "linux.seccomp.syscalls[0].names[1]",
	       "custom: finding names the bpf entry");
	is_str(r.ctx.findings.items[2].path, "linux.seccomp.syscalls[1].names[0]",
	       "custom: finding names the userfaultfd entry");
	ok(!has_name(seccomp_of(&r), "bpf", true) && !has_name(seccomp_of(&r), "keyctl", true),
	   "custom: bpf and keyctl removed from the allow rule");
	ok(has_name(seccomp_of(&r), "read", true) && has_name(seccomp_of(&r), "write", true),
	   "custom: read and write still allowed");
	ok(hr_json_get(seccomp_of(&r), "syscalls")->arr.len == 2,
	   "custom: the emptied LOG rule is gone, the deny rule stays");
	ok(has_name(seccomp_of(&r), "ptrace", false), "custom: deny rule for ptrace untouched");
	run_free(&r);
}

/* Spellings that reach a never-allowed syscall under another name. */
static void test_aliases(void)
{
	struct run r;

	/* runc hands names to libseccomp as C strings: "bpf\0x" is bpf */
	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
		 "{\"names\":[\"read\",\"bpf\\u0000x\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		 HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 1,
	   "alias: a name cut at NUL to bpf is reported");
	ok(hr_json_get(seccomp_of(&r), "syscalls")->arr.items[0] &&
	       hr_json_get(hr_json_get(seccomp_of(&r), "syscalls")->arr.items[0], "names")
		       ->arr.len == 1,
	   "alias: and removed");
	run_free(&r);

	/* same number, other name: the policy's own list is matched by number too */
	ok(hr_seccomp_same_syscall("bpf", "bpf", NULL), "same_syscall: equal names");
	ok(!hr_seccomp_same_syscall("read", "write", NULL), "same_syscall: distinct syscalls");
	ok(!hr_seccomp_same_syscall("BPF", "bpf", NULL),
	   "same_syscall: case matters, as in libseccomp");

	/* mixed case is no name libseccomp knows: runc would skip it, we drop it */
	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
		 "{\"names\":[\"read\",\"BPF\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		 HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 1 && !has_name(seccomp_of(&r), "BPF", true),
	   "alias: BPF is unknown, reported and dropped");
	run_free(&r);

	/* the x86 names of a never-allowed call are caught when the filter covers x86 */
	run_rule(
	    &r,
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"syscalls\":["
	    "{\"names\":[\"umount\",\"vm86old\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
	    HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 2 && has_name(seccomp_of(&r), "getpid", true),
	   "alias: x86-only umount and vm86old removed, getpid kept");
	run_free(&r);

	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
		 "{\"names\":[\"read\",\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		 HR_ACTION_FIX, "{\"neverAllowed\":[\"getppid\"]}");
	ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 1 && !has_name(seccomp_of(&r), "getppid", true),
	   "policy neverAllowed: getppid removed");
	run_free(&r);
}

/* A filter that allows by default gets an explicit deny for the never list. */
static unsigned long long run_under(scmp_filter_ctx f, unsigned long long (*fn)(void));
static unsigned long long probe_clone(void);

static void test_default_allow(void)
{
	unsigned long long loaded_fails;
	struct run r;
	struct hr_error *err = NULL;
	_cleanup_seccomp_ scmp_filter_ctx f = NULL;

	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		 "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\"},"
		 "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
		 "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
		 "{\"names\":[\"keyctl\"],\"action\":\"SCMP_ACT_KILL\"}]}}}",
		 HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && r.ctx.findings.len == 2 && count(&r, HR_ACTION_FIX) == 2,
	   "default allow: one finding for the never-allowed, one for clone (%zu)",
	   r.ctx.findings.len);
	ok(has_name(seccomp_of(&r), "bpf", false) && has_name(seccomp_of(&r), "mount", false) &&
	       has_name(seccomp_of(&r), "open_by_handle_at", false),
	   "default allow: bpf, mount, open_by_handle_at denied");
	ok(hr_json_get(seccomp_of(&r), "syscalls")->arr.len == 3 + 1 + 1 + 7,
	   "default allow: rules kept, never-allowed, clone3 and 7 clone flag rules added");
	ok(hr_seccomp_compile(seccomp_of(&r), &f, &err) == 0,
	   "default allow: the fixed profile compiles (%s)", err ? err->msg : "");
	hr_error_clear(&err);
	run_free(&r);
	loaded_fails = run_under(f, probe_clone);
	ok(loaded_fails == 0,
	   "default allow, loaded: clone(NEWUSER/NEWNET) EPERM, clone3 ENOSYS, unshare, bpf "
	   "EPERM; threads and fork work (failed checks mask %#llx)",
	   loaded_fails);
}

/* clone and clone3 in custom profiles: allowed only without namespace flags. */
static void test_clone(void)
{
	static const struct {
		const char *desc, *rules;
		size_t findings;
	} cases[] = {
	    {"unchecked clone and clone3",
	     "{\"names\":[\"clone\",\"clone3\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}", 2},
	    {"clone with the namespace mask",
	     "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	     "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}",
	     0},
	    {"mask ORed away by a second condition on the flags",
	     "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	     "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"},{\"index\":0,"
	     "\"value\":0,\"op\":\"SCMP_CMP_NE\"}]}",
	     1},
	    {"mask missing CLONE_NEWUSER",
	     "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	     "\"value\":1845624832,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}",
	     1},
	    {"clone3 refused already", "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\"}", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *config =
		    hr_xasprintf("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
				 "\"syscalls\":[%s]}}}",
				 cases[i].rules);
		_cleanup_seccomp_ scmp_filter_ctx f = NULL;
		struct hr_error *err = NULL;
		struct run r;

		run_rule(&r, config, HR_ACTION_FIX, NULL);
		ok(r.rc == 0 && r.ctx.findings.len == cases[i].findings &&
		       count(&r, HR_ACTION_FIX) == cases[i].findings,
		   "clone, %s: %zu findings", cases[i].desc, cases[i].findings);
		if (cases[i].findings > 0)
			ok((i > 0 || has_name(seccomp_of(&r), "clone3", false)) &&
			       has_name(seccomp_of(&r), "clone", true) &&
			       hr_seccomp_compile(seccomp_of(&r), &f, &err) == 0,
			   "clone, %s: clone back with the mask (clone3 ENOSYS), compiles",
			   cases[i].desc);
		hr_error_clear(&err);
		run_free(&r);
	}
}

static void test_invalid(void)
{
	static const struct {
		const char *desc, *seccomp, *want;
	} cases[] = {
	    {"unknown syscall",
	     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
	     "[{\"names\":[\"no_such_call\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
	     "no_such_call"},
	    {"unknown action", "{\"defaultAction\":\"SCMP_ACT_MAYBE\"}", "SCMP_ACT_MAYBE"},
	    {"unknown arch",
	     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
	     "[\"SCMP_ARCH_x86_64\"]}",
	     "SCMP_ARCH_x86_64"},
	    {"bad op",
	     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
	     "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":"
	     "\"SCMP_CMP_IN\"}]}]}",
	     "SCMP_CMP_IN"},
	    {"index 6",
	     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
	     "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":1,\"op\":"
	     "\"SCMP_CMP_EQ\"}]}]}",
	     "index"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_json_ struct hr_json *sc = parse(cases[i].seccomp);
		struct hr_error *err = NULL;
		int rc = hr_seccomp_validate(sc, &err);
		ok(rc < 0 && err && strstr(err->msg, cases[i].want), "validate, %s: error names %s",
		   cases[i].desc, cases[i].want);
		if (err)
			printf("#   %s\n", err->msg);
		hr_error_clear(&err);
	}

	struct run r;
	run_rule(&r, "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_MAYBE\"}}}",
		 HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && r.ctx.findings.denials == 1,
	   "rule: an invalid profile is refused under fix");
	run_free(&r);
	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
		 "[{\"names\":[\"bpf\",\"no_such_call\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
		 HR_ACTION_FIX, NULL);
	ok(r.ctx.findings.denials == 1,
	   "rule: an unknown name in a deny rule of an allow-by-default filter is refused, once");
	run_free(&r);
}

static void test_settings(void)
{
	struct run r;
	struct hr_error *err = NULL;
	void *s = NULL;
	_cleanup_json_ struct hr_json *bad = parse("{\"profil\":\"x.json\"}");
	_cleanup_json_ struct hr_json *bad2 = parse("{\"neverAllowed\":[\"nosuch\"]}");
	_cleanup_json_ struct hr_json *bad3 = parse("{\"profile\":\"../x.json\"}");

	ok(hr_rule_seccomp.parse(bad, "p.json", &s, &err) < 0 && strstr(err->msg, "profil"),
	   "settings: unknown key refused");
	hr_error_clear(&err);
	ok(hr_rule_seccomp.parse(bad2, "p.json", &s, &err) < 0 && strstr(err->msg, "nosuch"),
	   "settings: unknown never-allowed syscall refused");
	hr_error_clear(&err);
	ok(hr_rule_seccomp.parse(bad3, "p.json", &s, &err) < 0 && strstr(err->msg, "../x.json"),
	   "settings: a relative path as profile refused");
	hr_error_clear(&err);

	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		 "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
		 HR_ACTION_FIX, "{\"allowCustom\":false}");
	ok(r.rc == 0 && count(&r, HR_ACTION_FIX) == 1 && has_name(seccomp_of(&r), "futex", true),
	   "allowCustom false: custom profile replaced by the default");
	run_free(&r);

	run_rule(&r,
		 "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":"
		 "\"/run/agent.sock\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
		 "\"SCMP_ACT_NOTIFY\"}]}}}",
		 HR_ACTION_FIX, NULL);
	ok(r.rc == 0 && count(&r, HR_ACTION_WARN) == 1 && r.ctx.findings.len == 1,
	   "listenerPath: one warn finding");
	run_free(&r);

	run_rule(&r, "{\"linux\":{}}", HR_ACTION_FIX, "{\"profile\":\"missing.json\"}");
	ok(r.rc < 0, "a missing profile file is an error (the container does not start)");
	run_free(&r);
}

static void test_sets(void)
{
	_cleanup_json_ struct hr_json *def = default_profile();
	_cleanup_json_ struct hr_json *arches =
	    parse("[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_AARCH64\"]");
	char *extra[] = {(char *)"getppid", NULL};
	struct hr_seccomp_set *set = hr_seccomp_set_new(hr_seccomp_never_allowed, extra, arches);
	const struct hr_json *calls = hr_json_get(def, "syscalls");
	size_t n = hr_seccomp_set_len(set), bad = 0, unknown = 0;

	ok(hr_seccomp_set_find(set, "bpf") >= 0 && hr_seccomp_set_find(set, "read") < 0,
	   "set: bpf is a member, read is not");
	is_str(hr_seccomp_set_name(set, (size_t)hr_seccomp_set_find(set, "getppid")), "getppid",
	       "set: the policy's extra names come after the built-in list");
	ok(hr_seccomp_set_find(set, "vm86old") >= 0, "set: an x86-only name is found");
	for (size_t i = 0; hr_seccomp_never_allowed[i]; i++)
		unknown += !hr_seccomp_syscall_known(hr_seccomp_never_allowed[i]);
	ok(unknown == 0 && n > 50, "every never-allowed name is known to libseccomp (%zu names)",
	   n);
	for (size_t i = 0; calls && i < calls->arr.len; i++) {
		const struct hr_json *r = calls->arr.items[i];
		const struct hr_json *names = hr_json_get(r, "names");
		if (!hr_seccomp_action_allows(hr_json_as_string(hr_json_get(r, "action"))))
			continue;
		for (size_t j = 0; j < names->arr.len; j++)
			if (strcmp(names->arr.items[j]->s.str, "getppid") != 0 &&
			    hr_seccomp_set_find(set, names->arr.items[j]->s.str) >= 0) {
				printf("#   default.json allows %s\n", names->arr.items[j]->s.str);
				bad++;
			}
	}
	ok(bad == 0, "default.json allows no never-allowed syscall");
	hr_seccomp_set_free(set);
}

/* ---- the default profile, loaded into a real process ----------------- */

static void *thread_fn(void *arg)
{
	return arg;
}

#define EXPECT(cond, bit)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fails |= 1ull << (bit);                                                    \
	} while (0)

/* Runs in a child after seccomp_load(): bit n set = check n failed. */
static unsigned long long probe(void)
{
	unsigned long long fails = 0;
	static char zeros[256];
	pthread_t t;
	char c = 'x';
	int fd, st, pp[2];
	pid_t p;

	EXPECT(getppid() > 0, 0);
	EXPECT(pthread_create(&t, NULL, thread_fn, NULL) == 0 && pthread_join(t, NULL) == 0, 1);
	p = fork();
	if (p == 0)
		_exit(execl("/bin/true", "true", (char *)NULL) < 0 ? 3 : 0);
	EXPECT(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, 2);
	EXPECT(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
		   MAP_FAILED,
	       3);
	EXPECT((fd = epoll_create1(0)) >= 0 && close(fd) == 0, 4);
	EXPECT((fd = eventfd(0, 0)) >= 0 && close(fd) == 0, 5);
	EXPECT((fd = timerfd_create(CLOCK_MONOTONIC, 0)) >= 0 && close(fd) == 0, 6);
	EXPECT(getrandom(&c, 1, 0) == 1, 7);
	EXPECT((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0 && close(fd) == 0, 8);
	EXPECT((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0 && close(fd) == 0, 9);
	EXPECT(socket(AF_PACKET, SOCK_RAW, 0) < 0 && errno == EPERM, 10);
	EXPECT(socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0) < 0 && errno == EPERM, 11);
	EXPECT(syscall(SYS_bpf, 0, zeros, sizeof(zeros)) < 0 && errno == EPERM, 12);
	EXPECT(syscall(SYS_keyctl, 0, 0) < 0 && errno == EPERM, 13);
	EXPECT(unshare(CLONE_NEWUSER) < 0 && errno == EPERM, 14);
	EXPECT(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM, 15);
	EXPECT(syscall(SYS_clone3, zeros, 88) < 0 && errno == ENOSYS, 16);
	EXPECT(syscall(SYS_io_uring_setup, 1, zeros) < 0 && errno == ENOSYS, 17);
	EXPECT(syscall(SYS_personality, 0xffffffffUL) >= 0, 18);
	EXPECT(syscall(SYS_personality, 0x0400000UL /* READ_IMPLIES_EXEC */) < 0 && errno == EPERM,
	       19);
	EXPECT(pipe(pp) == 0 && ioctl(pp[0], FIONREAD, &st) == 0 && close(pp[0]) == 0 &&
		   close(pp[1]) == 0,
	       26);
	EXPECT(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL) < 0 && errno == EPERM, 22);
	EXPECT(syscall(SYS_ptrace, 0, 0, 0, 0) < 0 && errno == EPERM, 23);
	EXPECT(syscall(SYS_open_by_handle_at, -1, NULL, 0) < 0 && errno == EPERM, 24);
	return fails;
}

/* Load filter f in a child, run fn there; its failed-checks mask, ~0 if it could not run. */
static unsigned long long run_under(scmp_filter_ctx f, unsigned long long (*fn)(void))
{
	unsigned long long fails = ~0ull;
	int pfd[2], st = 0;
	pid_t pid;

	if (!f || pipe(pfd) < 0)
		return fails;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		fails = seccomp_load(f) == 0 ? fn() : ~0ull;
		_exit(write(pfd[1], &fails, sizeof(fails)) == sizeof(fails) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], &fails, sizeof(fails)) != sizeof(fails))
		fails = ~0ull;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	return fails;
}

/* Under a fixed allow-by-default profile: namespaces refused, threads and fork still work. */
static unsigned long long probe_clone(void)
{
	unsigned long long fails = 0;
	static char zeros[256];
	pthread_t t;
	int st;
	pid_t p;

	EXPECT(pthread_create(&t, NULL, thread_fn, NULL) == 0 && pthread_join(t, NULL) == 0, 0);
	p = fork();
	if (p == 0)
		_exit(0);
	EXPECT(p > 0 && waitpid(p, &st, 0) == p, 1);
	EXPECT(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM, 2);
	EXPECT(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM, 3);
	EXPECT(syscall(SYS_clone3, zeros, 88) < 0 && errno == ENOSYS, 4);
	EXPECT(unshare(CLONE_NEWUSER) < 0 && errno == EPERM, 5);
	EXPECT(syscall(SYS_bpf, 0, zeros, sizeof(zeros)) < 0 && errno == EPERM, 6);
	EXPECT(getppid() > 0, 7);
	return fails;
}

static void test_default_loaded(void)
{
	_cleanup_json_ struct hr_json *def = default_profile();
	_cleanup_seccomp_ scmp_filter_ctx f = NULL;
	struct hr_error *err = NULL;
	char tmpl[] = "/tmp/hr-test-seccomp.XXXXXX";
	int fd = mkstemp(tmpl);
	unsigned long long fails = ~0ull;
	off_t size = 0;

	ok(hr_seccomp_compile(def, &f, &err) == 0, "default.json compiles (%s)",
	   err ? err->msg : "ok");
	hr_error_clear(&err);
	unlink(tmpl);
	ok(f && seccomp_export_bpf(f, fd) == 0 && (size = lseek(fd, 0, SEEK_END)) > 0,
	   "seccomp_export_bpf gives a non-empty program");
	printf("# default profile: %lld BPF instructions\n", (long long)(size / 8));
	close(fd);
	fails = run_under(f, probe);
	ok(fails == 0,
	   "under the default filter: threads, fork+exec, mmap, epoll, eventfd, timerfd, "
	   "getrandom, "
	   "inet/unix sockets work; packet/alg sockets, bpf, keyctl, unshare, clone(NEWUSER), "
	   "mount, ptrace, open_by_handle_at refused; clone3, io_uring ENOSYS; ioctl works "
	   "(failed checks mask %#llx)",
	   fails);
}

/* Every profile is validated at load, the shipped one's bytes edited too. */
static void test_shipped(void)
{
	_cleanup_free_ char *text = NULL, *dir = NULL;
	struct hr_error *err = NULL;
	struct hr_json *j = NULL;
	size_t len = 0;
	char tmpl[] = "/tmp/hr-seccomp.XXXXXX";

	if (hr_read_file_at(AT_FDCWD, PROFILES "/default.json", 4 << 20, &text, &len, &err) < 0) {
		ok(false, "read default.json: %s", err->msg);
		hr_error_clear(&err);
		return;
	}
	ok(hr_seccomp_load_profile(PROFILES, "default.json", &j, &err) == 0,
	   "the shipped default.json loads and validates");
	hr_error_clear(&err);
	hr_json_free(j);
	j = NULL;
	dir = hr_xstrdup(mkdtemp(tmpl));
	/* an edited copy with an action libseccomp rejects: the load must fail */
	_cleanup_free_ char *edited = hr_xstrdup(text);
	char *act = strstr(edited, "SCMP_ACT_ALLOW");
	if (act)
		memcpy(act, "SCMP_ACT_ALLOX", 14);
	_cleanup_free_ char *path = hr_xasprintf("%s/edited.json", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(edited, 1, len, f);
		fclose(f);
	}
	ok(act && hr_seccomp_load_profile(dir, "edited.json", &j, &err) < 0 && err,
	   "an edited default.json is validated at load (%s)", err ? err->msg : "loaded");
	hr_error_clear(&err);
	hr_json_free(j);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_shipped();
	test_inject();
	test_deny_warn();
	test_custom();
	test_aliases();
	test_default_allow();
	test_clone();
	test_invalid();
	test_settings();
	test_sets();
	test_default_loaded();
	return tap_done();
}
