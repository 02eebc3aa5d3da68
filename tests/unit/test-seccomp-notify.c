/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp: notify rules kept on the default profile, the listener judged
 * by the socket it resolves to, and noSetid's rules, loaded into a real
 * filter and tried with the calls they must stop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/seccomp.h"
#include "hardrun/util.h"
#include "tap.h"

extern const struct hr_rule hr_rule_seccomp;

/* The source tree's profiles: the binary has no paths into the tree. */
#ifdef HR_TEST_SRCDIR
#define PROFILES HR_TEST_SRCDIR "/profiles/seccomp"
#else
#define PROFILES HR_SOURCE_DIR "/profiles/seccomp"
#endif
static struct hr_policy policy = {.seccomp_dir = (char *)PROFILES};

struct run {
	struct hr_ctx ctx;
	int rc;
};

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

static void run_rule(struct run *r, struct hr_json *spec, const char *settings)
{
	_cleanup_json_ struct hr_json *sect = settings ? parse(settings) : NULL;
	struct hr_error *err = NULL;
	void *s = NULL;

	memset(r, 0, sizeof(*r));
	r->ctx.entry = HR_ENTRY_CREATE;
	r->ctx.policy = &policy;
	r->ctx.spec = spec;
	r->ctx.cur_rule = "seccomp";
	r->ctx.cur_action = HR_ACTION_FIX;
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
	hr_findings_free(&r->ctx.findings);
}

static const char *action_of(const struct hr_json *sc, const char *name)
{
	const struct hr_json *calls = hr_json_get(sc, "syscalls");
	const char *found = NULL;
	for (size_t i = 0; calls && i < calls->arr.len; i++) {
		const struct hr_json *names = hr_json_get(calls->arr.items[i], "names");
		for (size_t j = 0; names && j < names->arr.len; j++)
			if (strcmp(hr_json_as_string(names->arr.items[j]), name) == 0)
				found =
				    hr_json_as_string(hr_json_get(calls->arr.items[i], "action"));
	}
	return found;
}

static struct hr_json *notify_config(const char *listener)
{
	_cleanup_free_ char *text = hr_xasprintf(
	    "{\"process\":{},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
	    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"],"
	    "%s%s%s\"syscalls\":[{\"names\":[\"mkdir\",\"getpid\",\"unshare\"],"
	    "\"action\":\"SCMP_ACT_NOTIFY\"}]}}}",
	    listener ? "\"listenerPath\":\"" : "", listener ? listener : "", listener ? "\"," : "");
	return parse(text);
}

static void test_notify_kept(void)
{
	struct run r;
	run_rule(&r, notify_config("/nonexistent/agent.sock"), NULL);
	const struct hr_json *sc = hr_json_get_path(r.ctx.spec, "linux/seccomp");
	const char *l = hr_json_as_string(hr_json_get(sc, "listenerPath"));
	ok(r.rc == 0 && r.ctx.findings.denials == 0, "allow-all with notify rules: no refusal");
	is_str(hr_json_as_string(hr_json_get(sc, "defaultAction")), "SCMP_ACT_ERRNO",
	       "the default profile's default action is in place");
	is_str(l, "/nonexistent/agent.sock", "listenerPath kept");
	is_str(action_of(sc, "mkdir"), "SCMP_ACT_NOTIFY", "mkdir goes to the agent");
	is_str(action_of(sc, "getpid"), "SCMP_ACT_NOTIFY",
	       "getpid too (the default's allow for it taken out)");
	ok(!action_of(sc, "unshare") || strcmp(action_of(sc, "unshare"), "SCMP_ACT_NOTIFY") != 0,
	   "unshare (never allowed) does not reach the agent");
	struct hr_error *err = NULL;
	ok(hr_seccomp_validate(sc, &err) == 0, "the merged profile is one libseccomp accepts%s%s",
	   err ? ": " : "", err ? err->msg : "");
	hr_error_clear(&err);
	run_free(&r);

	run_rule(&r, notify_config(NULL), "{\"allowCustom\":false}");
	sc = hr_json_get_path(r.ctx.spec, "linux/seccomp");
	ok(!action_of(sc, "mkdir") || strcmp(action_of(sc, "mkdir"), "SCMP_ACT_NOTIFY") != 0,
	   "allowCustom false: the default profile alone");
	run_free(&r);
}

static int listen_at(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

static void test_listener(void)
{
	char tmpl[] = "/tmp/hr-listener.XXXXXX";
	const char *dir = mkdtemp(tmpl);
	_cleanup_free_ char *sock = hr_xasprintf("%s/agent.sock", dir);
	_cleanup_free_ char *file = hr_xasprintf("%s/file", dir);
	_cleanup_free_ char *bus = hr_xasprintf("/run/dbus/hr-unit-%d.sock", (int)getpid());
	_cleanup_free_ char *link = hr_xasprintf("%s/bus-link", dir);
	_cleanup_close_ int s1 = listen_at(sock), s2 = -1;
	struct run r;

	run_rule(&r, notify_config(sock), NULL);
	ok(s1 >= 0 && r.ctx.findings.denials == 0, "an agent's own socket is accepted");
	run_free(&r);
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	const char *refused[] = {"@abstract", "relative.sock", file, NULL};
	for (size_t i = 0; refused[i]; i++) {
		run_rule(&r, notify_config(refused[i]), NULL);
		ok(r.ctx.findings.denials == 1, "listener `%s` refused", refused[i]);
		run_free(&r);
	}
	if (access("/run/dbus", W_OK) == 0 && (s2 = listen_at(bus)) >= 0 &&
	    symlink(bus, link) == 0) {
		run_rule(&r, notify_config(link), NULL);
		ok(r.ctx.findings.denials == 1, "a symlink to a socket under /run/dbus refused");
		run_free(&r);
	} else {
		tap_n++;
		printf("ok %d - a socket under /run/dbus # SKIP /run/dbus is not writable here\n",
		       tap_n);
	}
	if (s2 >= 0)
		unlink(bus);
	unlink(link);
	unlink(file);
	unlink(sock);
	rmdir(dir);
}

/* Load the filter in a child and try each call; returns the child's verdict. */
static bool filter_stops(const struct hr_json *sc, const char *dir)
{
	scmp_filter_ctx f = NULL;
	struct hr_error *err = NULL;
	if (hr_seccomp_compile(sc, &f, &err) < 0) {
		printf("# compile: %s\n", err->msg);
		hr_error_clear(&err);
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0, fd = -1, dfd = open(dir, O_PATH | O_DIRECTORY);
		struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 04755};
		if (dfd < 0 || fchdir(dfd) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(100);
		umask(0);
		fd = open("plain", O_CREAT | O_WRONLY, 0755);
		if (seccomp_load(f) < 0)
			_exit(101);
		bad |= (chmod("plain", 04755) == 0 || errno != EPERM) << 0;
		bad |= (fchmod(fd, 02755) == 0 || errno != EPERM) << 1;
		bad |= (fchmodat(dfd, "plain", 06755, 0) == 0) << 2;
		bad |= (open("suid", O_CREAT | O_WRONLY, 04755) >= 0) << 3;
		bad |= (syscall(SYS_openat, dfd, "sgid", O_CREAT | O_WRONLY, 02755) >= 0) << 4;
		bad |= (syscall(SYS_mknodat, dfd, "node", S_IFREG | 04755, 0) == 0) << 5;
		bad |= (syscall(SYS_openat, dfd, ".", O_TMPFILE | O_WRONLY, 04755) >= 0) << 6;
		bad |= (syscall(SYS_openat2, dfd, "o2", &how, sizeof(how)) >= 0 || errno != ENOSYS)
		       << 7;
		bad |= (fsetxattr(fd, "security.capability", "x", 1, 0) == 0 || errno != EOPNOTSUPP)
		       << 8;
		/* what must keep working */
		bad |= (chmod("plain", 0700) != 0) << 9;
		bad |= (open("plain", O_RDONLY, 04755) < 0) << 10;
		bad |= (open("new", O_CREAT | O_WRONLY, 0644) < 0) << 11;
		_exit(bad ? bad % 250 + 1 : 0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	seccomp_release(f);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("# child: status %d (bit mask of the failed checks, +1)\n",
		       WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_no_setid(void)
{
	char tmpl[] = "/tmp/hr-setid.XXXXXX";
	const char *dir = mkdtemp(tmpl);
	struct run r, again;
	const char *settings = "{\"allowCustom\":false,\"noSetid\":true}";

	run_rule(&r, parse("{\"process\":{}}"), settings);
	const struct hr_json *sc = hr_json_get_path(r.ctx.spec, "linux/seccomp");
	ok(r.rc == 0 && sc, "noSetid: the default profile is injected");
	ok(dir && filter_stops(sc, dir),
	   "the filter stops setuid/setgid modes, O_TMPFILE, openat2 and xattr writes; plain "
	   "chmod and open still work");
	struct stat st;
	bool clean = true;
	const char *names[] = {"plain", "suid", "sgid", "node", "new", NULL};
	for (size_t i = 0; dir && names[i]; i++) {
		_cleanup_free_ char *p = hr_xasprintf("%s/%s", dir, names[i]);
		if (stat(p, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
			clean = false;
		unlink(p);
	}
	ok(clean, "no file in the directory has a setuid or setgid bit");
	if (dir)
		rmdir(dir);
	run_rule(&again, hr_json_clone(r.ctx.spec), settings);
	ok(again.ctx.findings.len == 0 && hr_json_equal(again.ctx.spec, r.ctx.spec),
	   "hardening the hardened config again changes nothing");
	run_free(&again);
	run_free(&r);

	/* A custom profile that allows by default gets explicit refusals. */
	run_rule(
	    &r,
	    parse("{\"process\":{},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		  "\"syscalls\":[{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}"),
	    "{\"noSetid\":true}");
	sc = hr_json_get_path(r.ctx.spec, "linux/seccomp");
	char tmpl2[] = "/tmp/hr-setid.XXXXXX";
	const char *dir2 = mkdtemp(tmpl2);
	ok(r.rc == 0 && dir2 && filter_stops(sc, dir2),
	   "a custom default-allow profile stops the same calls");
	for (size_t i = 0; dir2 && names[i]; i++) {
		_cleanup_free_ char *p = hr_xasprintf("%s/%s", dir2, names[i]);
		unlink(p);
	}
	if (dir2)
		rmdir(dir2);
	run_free(&r);
}

/* SECCOMP_FILTER_FLAG_SPEC_ALLOW turns off the Spectre-v4 mitigation. */
static void test_spec_allow(void)
{
	static const char text[] =
	    "{\"process\":{},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
	    "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"getpid\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\"}]}}}";
	struct run r;
	run_rule(&r, parse(text), NULL);
	const struct hr_json *flags = hr_json_get_path(r.ctx.spec, "linux/seccomp/flags");
	_cleanup_free_ char *got = hr_json_brief(flags);
	ok(r.rc == 0 && r.ctx.findings.denials == 0 && r.ctx.findings.len >= 1,
	   "SPEC_ALLOW: a finding, no refusal under fix");
	is_str(got, "[\"SECCOMP_FILTER_FLAG_LOG\"]", "SPEC_ALLOW stripped, other flags kept");
	run_free(&r);

	memset(&r, 0, sizeof(r));
	struct hr_error *err = NULL;
	void *s = NULL;
	r.ctx.entry = HR_ENTRY_CREATE;
	r.ctx.policy = &policy;
	r.ctx.spec = parse(text);
	r.ctx.cur_rule = "seccomp";
	r.ctx.cur_action = HR_ACTION_DENY;
	hr_rule_seccomp.parse(NULL, "test.json", &s, &err);
	r.rc = hr_rule_seccomp.apply(&r.ctx, s, &err);
	hr_rule_seccomp.free_settings(s);
	ok(r.rc == 0 && r.ctx.findings.denials >= 1, "SPEC_ALLOW refused under deny");
	run_free(&r);
}

int main(void)
{
	test_spec_allow();
	test_notify_kept();
	test_listener();
	test_no_setid();
	return tap_done();
}
