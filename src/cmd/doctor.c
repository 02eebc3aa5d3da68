/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `hardrun doctor`: is this host ready, and what will hardrun refuse on
 * it?  Every check tries the real thing where it can (a user namespace
 * with a mapping from the pool, an idmapped mount of a scratch directory,
 * a Landlock ruleset) instead of reading version numbers, and prints one
 * line: `ok`, `warn` (works, with a limit worth knowing) or `FAIL` (every
 * container, or every one of a kind, will be refused), then the remedy.
 * Exit status 1 when anything failed.  Nothing is changed on the host but
 * a scratch directory under the state dir, removed again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/mount.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/delegate.h"
#include "hardrun/idmap.h"
#include "hardrun/install.h"
#include "hardrun/profile.h"
#include "hardrun/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct report {
	unsigned fails, warns;
};

static void line(struct report *r, const char *level, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void line(struct report *r, const char *level, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(level, "FAIL") == 0)
		r->fails++;
	else if (strcmp(level, "warn") == 0)
		r->warns++;
	printf("%-4s  %-16s ", level, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool read_trim(const char *path, char *buf, size_t size)
{
	ssize_t n = hr_read_small_at(AT_FDCWD, path, buf, size);
	if (n <= 0)
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* The host policy as create would load it: a broken file refuses everything. */
static struct hr_policy *check_policy(struct report *r, const struct hr_cli *cli)
{
	struct hr_error *e = NULL;
	struct hr_policy *p = hr_policy_load(cli->opts.policy, &e);

	if (!p) {
		line(r, "FAIL", "policy",
		     "%s: every create, exec and update is refused until it "
		     "parses",
		     e->msg);
		hr_error_clear(&e);
		return hr_policy_defaults();
	}
	line(r, "ok", "policy", "%s", p->path);
	const char *names[] = {p->default_profile, "baseline", "restricted", "untrusted", NULL};
	for (size_t i = 0; names[i]; i++) {
		struct hr_profile *prof = hr_profile_load(p, names[i], &e);
		if (!prof) {
			line(r, "FAIL", "profile", "%s", e->msg);
			hr_error_clear(&e);
			continue;
		}
		if (i > 0)
			line(r, "ok", "profile", "%s (%s)", prof->name, prof->path);
		hr_profile_free(prof);
	}
	return p;
}

static void check_runtime(struct report *r, const struct hr_cli *cli, const struct hr_policy *p)
{
	const char *want = cli->opts.runtime ? cli->opts.runtime : p->runtime;
	struct hr_error *e = NULL;
	_cleanup_free_ char *rt = hr_delegate_find(want, false, &e);

	if (rt) {
		_cleanup_free_ char *v = hr_delegate_capture(rt, "--version");
		if (v)
			v[strcspn(v, "\n")] = '\0';
		line(r, "ok", "lower runtime", "%s (%s)", rt, v ? v : "no version");
		return;
	}
	if (!want || strcmp(want, "builtin") == 0)
		line(r, "warn", "lower runtime",
		     "neither runc nor crun on PATH: containers run on hardrun's builtin runtime "
		     "(install runc for the tested path)");
	else
		line(r, "FAIL", "lower runtime", "%s", e->msg);
	hr_error_clear(&e);
}

/* A user namespace with a range of the pool, as every container gets. */
static void check_userns(struct report *r, const struct hr_policy *p, int *userns)
{
	struct hr_error *e = NULL;
	uint32_t first = 0;
	char buf[64];

	*userns = -1;
	if (read_trim("/proc/sys/user/max_user_namespaces", buf, sizeof(buf)) &&
	    strcmp(buf, "0") == 0) {
		line(r, "FAIL", "user namespaces",
		     "user.max_user_namespaces is 0: every container is refused");
		return;
	}
	if (hr_idpool_first(p, &first, &e) < 0 ||
	    (*userns = hr_userns_fd(first, p->range_size, &e)) < 0) {
		line(r, "FAIL", "user namespaces", "%s: every container is refused", e->msg);
		hr_error_clear(&e);
		return;
	}
	line(r, "ok", "user namespaces", "a range of %u ids from host id %u maps", p->range_size,
	     first);
}

/* An idmapped mount of a scratch directory: the rootfs view every container gets. */
static void check_idmap(struct report *r, const struct hr_policy *p, int userns)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/doctor.%d", p->state_dir, getpid());
	struct hr_error *e = NULL;

	if (userns < 0)
		return;
	if (hr_mkdir_p(dir, 0700, &e) < 0) {
		line(r, "FAIL", "idmapped mounts", "%s", e->msg);
		hr_error_clear(&e);
		return;
	}
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	int rc = fd < 0
		     ? -1
		     : (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr));
	int saved = errno;
	if (fd >= 0)
		close(fd);
	rmdir(dir);
	if (rc < 0)
		line(r, "FAIL", "idmapped mounts",
		     "%s on %s: images cannot be shown to container root unchanged (Linux >= 5.12 "
		     "and a file system with idmap support needed)",
		     strerror(saved), p->state_dir);
	else
		line(r, "ok", "idmapped mounts", "idmapped view of %s made", p->state_dir);
}

static void check_lsm(struct report *r, const struct hr_policy *p)
{
	char buf[256];
	bool aa =
	    read_trim("/sys/module/apparmor/parameters/enabled", buf, sizeof(buf)) && buf[0] == 'Y';
	bool se = access("/sys/fs/selinux/enforce", F_OK) == 0;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (!read_trim("/sys/kernel/security/lsm", buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "unknown");
	line(r, aa || se ? "ok" : "warn", "LSMs", "active: %s; AppArmor %s, SELinux %s", buf,
	     aa ? "on" : "off", se ? "on" : "off");
	if (abi > 0)
		line(r, "ok", "Landlock", "ABI %ld (profile untrusted's file rules apply)", abi);
	else
		line(r, "warn", "Landlock",
		     "not available (%s): profile untrusted runs without its file rules",
		     strerror(errno));
	if (p->require_mac && !aa && !se && abi <= 0)
		line(r, "FAIL", "mac.require",
		     "the policy requires a MAC and the host has none: every container is refused");
}

static void check_cgroups(struct report *r)
{
	struct statfs sf;
	char buf[512] = "";

	if (statfs("/sys/fs/cgroup", &sf) < 0) {
		line(r, "FAIL", "cgroups", "/sys/fs/cgroup: %s", strerror(errno));
		return;
	}
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		read_trim("/sys/fs/cgroup/cgroup.controllers", buf, sizeof(buf));
		line(r, strstr(buf, "pids") ? "ok" : "warn", "cgroups", "v2 (unified): %s", buf);
		return;
	}
	bool pids = access("/sys/fs/cgroup/pids", F_OK) == 0;
	line(r, pids ? "ok" : "FAIL", "cgroups", "v1%s, pids controller %s",
	     access("/sys/fs/cgroup/unified", F_OK) == 0 ? " (hybrid)" : "",
	     pids ? "mounted" : "missing: the profiles' pids limits cannot be applied");
	if (pids)
		line(r, "warn", "rootless",
		     "cgroup v1: a rootless container cannot get hardrun's pids limit, so "
		     "rootless creates are refused (resources.unapplied) or fail in runc; use "
		     "cgroup v2 for rootless podman");
}

/*
 * Engines on this host and whether hardrun is registered with each (in
 * the engine's default config, or the one --ENGINE-config names).
 */
static void check_engines(struct report *r, const struct hr_cli *cli, const char *self)
{
	static const struct {
		const char *binary, *config, *needle, *engine, *flag;
	} eng[] = {
	    {"dockerd", "/etc/docker/daemon.json", "\"hardrun\"", "docker", "docker-config"},
	    {"containerd", "/etc/containerd/config.toml", ".runtimes.hardrun]", "containerd",
	     "containerd-config"},
	    {"podman", HR_PODMAN_DROPIN, "hardrun = [", "podman", "podman-config"},
	};
	const char *dirs[] = {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"};

	for (size_t i = 0; i < sizeof(eng) / sizeof(eng[0]); i++) {
		_cleanup_free_ char *found = NULL, *text = NULL;
		for (size_t d = 0; !found && d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			_cleanup_free_ char *p = hr_xasprintf("%s/%s", dirs[d], eng[i].binary);
			if (access(p, X_OK) == 0)
				found = hr_steal_ptr(&p);
		}
		const char *config =
		    hr_cli_flag(cli, eng[i].flag) ? hr_cli_flag(cli, eng[i].flag) : eng[i].config;
		if (!found)
			continue;
		bool reg = hr_read_file_at(AT_FDCWD, config, 4u << 20, &text, NULL, NULL) == 0 &&
			   strstr(text, eng[i].needle) && strstr(text, self);
		line(r, reg ? "ok" : "warn", eng[i].engine, "%s; %s %s", found,
		     reg ? "hardrun registered in" : "hardrun not registered in", config);
		if (!reg)
			printf("      remedy: hardrun install %s%s%s\n", eng[i].engine,
			       config == eng[i].config ? "" : " --config ",
			       config == eng[i].config ? "" : config);
	}
}

/* What the profiles refuse whatever the host: said once, so nobody is surprised. */
static void refusals(void)
{
	printf("\nRefused on every host, with the flag to drop in the error:\n"
	       "  --privileged, --cap-add of a capability the profile does not allow (never:\n"
	       "  SYS_ADMIN, NET_ADMIN, SYS_MODULE, SYS_PTRACE, BPF ...), --pid host, --ipc host,\n"
	       "  --uts host, binds of the host's /, /etc, /proc, /sys (writable), runtime\n"
	       "  sockets; hooks other than the engines' own and the policy's hooks.allowed.\n"
	       "Fixed silently and audited: the engines' default NET_RAW, a missing seccomp\n"
	       "profile, masked paths, a pids limit, no_new_privs.\n");
}

int hr_doctor_main(const struct hr_cli *cli, struct hr_error **err)
{
	struct report r = {0};
	_cleanup_free_ char *self = hr_realpath("/proc/self/exe");
	int userns = -1;

	printf("hardrun doctor: %s\n\n", self ? self : "hardrun");
	struct hr_policy *p = check_policy(&r, cli);
	check_runtime(&r, cli, p);
	check_userns(&r, p, &userns);
	check_idmap(&r, p, userns);
	if (userns >= 0)
		close(userns);
	check_lsm(&r, p);
	check_cgroups(&r);
	check_engines(&r, cli, self ? self : "hardrun");
	line(&r, p->audit_log && *p->audit_log ? "ok" : "warn", "audit log", "%s",
	     p->audit_log && *p->audit_log ? p->audit_log : "disabled by the policy");
	refusals();
	printf("\n%u failed, %u warnings\n", r.fails, r.warns);
	hr_policy_free(p);
	if (r.fails)
		return hr_error_set(err, 0, "hardrun doctor: %u check%s failed", r.fails,
				    r.fails == 1 ? "" : "s");
	return 0;
}
