/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/create.h"
#include "hardrun/delegate.h"
#include "hardrun/lifecycle.h"
#include "hardrun/log.h"
#include "hardrun/lsm.h"
#include "hardrun/rules-resources.h"
#include "hardrun/util.h"
#include "hardrun/idmap.h"

extern char **environ;

static bool valid_id(const char *id)
{
	return id && *id && strlen(id) < 1024 && !strchr(id, '/') && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0;
}

int hr_container_save(const struct hr_policy *policy, const char *id, const char *profile,
		      struct hr_error **err)
{
	if (!valid_id(id))
		return 0;
	_cleanup_free_ char *dir = hr_xasprintf("%s/containers", policy->state_dir);
	if (hr_mkdir_p(dir, 0700, err) < 0)
		return -1;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hr_error_set(err, errno, "open `%s`", dir);
	return hr_write_file_atomic(dfd, id, profile, strlen(profile), 0600, err);
}

char *hr_container_profile(const struct hr_policy *policy, const char *id)
{
	if (!valid_id(id))
		return NULL;
	_cleanup_free_ char *path = hr_xasprintf("%s/containers/%s", policy->state_dir, id);
	char *buf = NULL;
	if (hr_read_file_at(AT_FDCWD, path, 256, &buf, NULL, NULL) < 0)
		return NULL;
	return buf;
}

void hr_container_release(const struct hr_policy *policy, const char *id)
{
	if (!valid_id(id))
		return;
	struct hr_error *e = NULL;
	if (hr_idmount_release(policy, id, &e) < 0 || hr_idrange_release(policy, id, &e) < 0) {
		hr_log(HR_LOG_WARN, "release resources of %s: %s", id, e->msg);
		hr_error_clear(&e);
	}
	struct hr_error *m = NULL;
	if (hr_lsm_mcs_release(policy->state_dir, id, &m) < 0) {
		hr_log(HR_LOG_WARN, "release SELinux categories of %s: %s", id, m->msg);
		hr_error_clear(&m);
	}
	_cleanup_free_ char *path = hr_xasprintf("%s/containers/%s", policy->state_dir, id);
	unlink(path);
}

void hr_container_release_unless_live(const struct hr_policy *policy, const char *id,
				      const char *runtime_root)
{
	if (!valid_id(id) || hr_runtime_has(runtime_root, id))
		return;
	hr_container_release(policy, id);
}

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/*
 * A watcher process owns the inotify instance that sees the runtime close
 * config.json: releasing an inotify instance waits out an SRCU grace period
 * (about 20 ms here), which hardrun's caller would otherwise wait out at
 * hardrun's exit.  The watcher writes 'r' once its watch is in place and
 * 'c' when config.json has been read; it gives up after 10 s.  Returns its
 * pid and the read end of its pipe, or -1 (then the lock is held until the
 * runtime exits).
 */
static pid_t start_watcher(int lock, int *rd)
{
	int p[2];
	char c = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t w = fork();
	if (w == 0) {
		char path[64],
		    buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* Hold none of the caller's pipes open, nor the lock. */
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(null, fd);
		int ino = inotify_init1(IN_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", lock);
		if (ino < 0 || inotify_add_watch(ino, path, IN_CLOSE_NOWRITE | IN_ONLYDIR) < 0)
			_exit(1);
		close(lock);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		struct pollfd f = {.fd = ino, .events = POLLIN};
		while (poll(&f, 1, 10000) > 0) {
			ssize_t len = read(ino, buf, sizeof(buf));
			for (ssize_t off = 0; len > 0 && off < len;) {
				const struct inotify_event *ev = (const void *)(buf + off);
				if (ev->len && strcmp(ev->name, "config.json") == 0) {
					if (write(p[1], "c", 1) < 0)
						_exit(1);
					_exit(0);
				}
				off += (ssize_t)sizeof(*ev) + ev->len;
			}
		}
		_exit(0);
	}
	close(p[1]);
	if (w < 0 || read(p[0], &c, 1) != 1 || c != 'r') {
		close(p[0]);
		if (w > 0)
			kill(w, SIGKILL);
		return -1;
	}
	*rd = p[0];
	return w;
}

/* Wait for the watcher's 'c', the runtime's exit, or 10 s. */
static void wait_config_read(int rd, pid_t pid)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd fds[2] = {{.fd = rd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
	while (poll(fds, pidfd >= 0 ? 2 : 1, 10000) < 0 && errno == EINTR)
		;
}

int hr_delegate_create(const char *runtime, const struct hr_cli *cli,
		       const struct hr_policy *policy, int bundle_lock, struct hr_error **err)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	_cleanup_close_ int lock = bundle_lock;
	_cleanup_close_ int rd = -1;
	pid_t watcher = lock >= 0 ? start_watcher(lock, &rd) : -1;
	sigset_t block, old;
	int wstatus = 0;

	/* Block first so no signal slips between fork and the handlers. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return hr_error_set(err, errno, "fork");
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		cli->runtime_argv[0] = (char *)runtime;
		execve(runtime, cli->runtime_argv, environ);
		_exit(HR_EXIT_NOEXEC);
	}
	child_pid = pid;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (watcher > 0)
		wait_config_read(rd, pid);
	close(hr_steal_fd(&lock));
	if (watcher > 0) {
		/* It pays for its inotify instance after we are gone. */
		kill(watcher, SIGKILL);
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return hr_error_set(err, errno, "wait for `%s`", runtime);
	int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	/* A foreground run without --keep, or a failed create, leaves no
	 * container behind; a create that failed on a taken id must not free
	 * the live container's range. */
	hr_container_release_unless_live(policy, hr_cli_id(cli), cli->root);
	if (WIFEXITED(wstatus) && status == HR_EXIT_NOEXEC)
		return hr_error_set_status(err, HR_EXIT_NOEXEC, 0,
					   "lower runtime `%s` could not be executed", runtime);
	return status;
}

/*
 * A --pids-limit, --memory or --memory-swap value as runc reads it (memory with an optional
 * k/m/g unit).  Anything runc could read as "unlimited" in a way the check
 * would not see (overflow, LLONG_MIN, a negative below -1) is an error.
 */
static long long flag_number(const struct hr_cli *cli, const char *name, struct hr_error **err)
{
	const char *v = hr_cli_flag(cli, name);
	char *end = NULL;
	if (!v)
		return HR_UPDATE_UNSET;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	int shift = 0;
	if (!errno && end != v) {
		switch (*end) {
		case 'k':
		case 'K':
			shift = 10;
			end++;
			break;
		case 'm':
		case 'M':
			shift = 20;
			end++;
			break;
		case 'g':
		case 'G':
			shift = 30;
			end++;
			break;
		default:
			break;
		}
		if (shift && (*end == 'b' || *end == 'B'))
			end++;
	}
	if (errno || end == v || *end || n < -1 || (shift && n > (LLONG_MAX >> shift))) {
		hr_error_set(err, 0, "update: --%s: `%s` is not a limit hardrun can check", name,
			     v);
		return HR_UPDATE_UNSET;
	}
	return n < 0 ? n : n << shift;
}

/*
 * containerd sends `update --resources -` with the JSON on stdin.  Read it to
 * check it, then put it back as stdin (a memfd) for the lower runtime.
 */
static char *read_resources(const char *r, struct hr_error **err)
{
	char *buf = NULL;
	size_t len = 0, cap = 4096;
	if (!r)
		return NULL;
	if (strcmp(r, "-") != 0) {
		if (hr_read_file_at(AT_FDCWD, r, 1u << 20, &buf, NULL, err) < 0)
			hr_err_wrap(err, "update -r");
		return buf;
	}
	buf = hr_xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > (1u << 20)) {
				free(buf);
				hr_error_set(err, 0, "update -r -: more than 1 MiB on stdin");
				return NULL;
			}
			buf = hr_xrealloc(buf, cap *= 2);
		}
		ssize_t n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			hr_error_set(err, errno, "update -r -: read stdin");
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	_cleanup_close_ int mfd = memfd_create("hardrun-update", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, buf, len) != (ssize_t)len || lseek(mfd, 0, SEEK_SET) < 0 ||
	    dup2(mfd, STDIN_FILENO) < 0) {
		free(buf);
		hr_error_set(err, errno, "update -r -: hand stdin on");
		return NULL;
	}
	return buf;
}

int hr_update_check(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		    struct hr_error **err)
{
	_cleanup_free_ char *resources = NULL;
	_cleanup_json_ struct hr_json *empty = hr_json_new(HR_JSON_OBJECT);
	struct hr_profile *prof = hr_profile_resolve(policy, profile, empty, err);
	if (!prof)
		return -1;
	const struct hr_rule_config *rc = hr_profile_rule(prof, "resources");
	long long pids = flag_number(cli, "pids-limit", err);
	long long mem = flag_number(cli, "memory", err);
	long long swap = flag_number(cli, "memory-swap", err);
	const char *r = hr_cli_flag(cli, "resources");
	int ret = 0;
	if (*err || (r && !(resources = read_resources(r, err)))) {
		ret = -1;
		goto out;
	}
	if (!rc || rc->action == HR_ACTION_OFF)
		goto out;
	struct hr_ctx ctx = {.policy = policy,
			     .profile = prof,
			     .container_id = hr_cli_id(cli),
			     .cur_rule = "resources",
			     .cur_action = rc->action};
	ret = hr_resources_check_update(&ctx, rc->settings, resources, pids, mem, swap, err);
	if (ret == 0 && ctx.findings.denials > 0) {
		for (size_t i = 0; i < ctx.findings.len; i++)
			if (ctx.findings.items[i].action == HR_ACTION_DENY) {
				ret = hr_error_set(
				    err, 0, "update refused by hardrun profile `%s`: %s (%s)",
				    prof->name, ctx.findings.items[i].reason,
				    ctx.findings.items[i].path);
				break;
			}
	}
	hr_audit_decision(cli, policy, empty, prof->name, &ctx.findings,
			  ret < 0 && *err ? (*err)->msg : NULL, NULL);
	hr_findings_free(&ctx.findings);
out:
	hr_profile_free(prof);
	return ret;
}
