/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/audit.h"
#include "hardrun/delegate.h"
#include "hardrun/lifecycle.h"
#include "hardrun/log.h"
#include "hardrun/lsm.h"
#include "hardrun/rules-resources.h"
#include "hardrun/spec.h"
#include "hardrun/testpoint.h"
#include "hardrun/util.h"
#include "hardrun/idmap.h"
#include "hardrun/podrec.h"

extern char **environ;

/*
 * <state>/containers.lock, locked for one id while its record is written, or
 * compared and released: a create of an id and the release of an earlier
 * container of the same id happen one after the other, never interleaved.
 * The lock is a one-byte OFD lock at an offset hashed from the id, so
 * creates and releases of other ids never wait for each other (a keeper's
 * release unmounts and removes).  Dropped when the
 * returned descriptor is closed.  (Not under containers/: a runc id may be
 * ".lock".)
 */
static int records_lock(const struct hr_policy *policy, const char *id, int *dirfd,
			struct hr_error **err)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/containers", policy->state_dir);
	_cleanup_free_ char *path = hr_xasprintf("%s/containers.lock", policy->state_dir);
	_cleanup_close_ int lock = -1;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *c = id; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	struct flock fl = {
	    .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = h & 0x7fffffff, .l_len = 1};
	if (hr_mkdir_p(dir, 0700, err) < 0)
		return -1;
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (lock < 0)
		return hr_error_set(err, errno, "open `%s`", path);
	while (fcntl(lock, F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return hr_error_set(err, errno, "lock `%s` for `%s`", path, id);
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return hr_error_set(err, errno, "open `%s`", dir);
	return hr_steal_fd(&lock);
}

/*
 * The record: profile, owner token, runtime root.  Claimed only after the
 * runtime's "exists" check, under the id's lock: a create of a live id (a
 * refused one, or one racing the live one's) never rewrites that
 * container's record, so its exec keeps the profile it was created with.
 */
static int record_claim(const struct hr_policy *policy, const char *id, const char *root,
			const char *profile, const char *owner, struct hr_error **err)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_close_ int lock = records_lock(policy, id, &dfd, err);
	_cleanup_free_ char *r = NULL, *text = NULL;
	int live;

	if (lock < 0)
		return -1;
	live = hr_runtime_probe(root, id);
	if (live > 0)
		return hr_error_set(err, EEXIST, "container with id exists: %s", id);
	/* Unknown is not absent: the id may be live behind it. */
	if (live < 0)
		return hr_error_set(err, -live, "cannot tell whether `%s/%s` exists (--root?)",
				    hr_runtime_root(root), id);
	r = hr_xstrdup(hr_runtime_root(root));
	r[strcspn(r, "\n")] = '\0';
	text = hr_xasprintf("%s\n%s\n%s\n", profile, owner, r);
	return hr_write_file_atomic(dfd, id, text, strlen(text), 0600, err);
}

int hr_container_claim(const struct hr_policy *policy, const char *id, const char *runtime_root,
		       const char *profile, char owner[HR_OWNER_LEN], struct hr_error **err)
{
	uint8_t r[(HR_OWNER_LEN - 1) / 2];

	owner[0] = '\0';
	if (!hr_file_name_ok(id))
		return 0;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return hr_error_set(err, errno, "claim `%s`: getrandom", id);
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(owner + 2 * i, 3, "%02x", r[i]);
	if (record_claim(policy, id, runtime_root, profile, owner, err) < 0) {
		owner[0] = '\0';
		return hr_err_wrap(err, "claim container id `%s`", id);
	}
	return 0;
}

void hr_container_sweep(const struct hr_policy *policy, const char *id)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/containers", policy->state_dir);
	_cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Only this id's: a runc id may look like anything, a dot first too. */
	if (d >= 0 && hr_file_name_ok(id))
		hr_sweep_stale_temps(d, id);
	hr_idrange_sweep(policy);
}

/* The record's text (profile file, then owner), or NULL. */
static char *record_read(const struct hr_policy *policy, const char *id)
{
	_cleanup_free_ char *path = hr_xasprintf("%s/containers/%s", policy->state_dir, id);
	char *buf = NULL;

	if (hr_read_file_at(AT_FDCWD, path, PATH_MAX + 128, &buf, NULL, NULL) < 0)
		return NULL;
	return buf;
}

char *hr_container_profile(const struct hr_policy *policy, const char *id)
{
	char *buf = hr_file_name_ok(id) ? record_read(policy, id) : NULL;

	if (buf)
		buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Lock held, the container gone: give back its mounts, range, categories and record. */
static void release_locked(const struct hr_policy *policy, int dirfd, const char *id)
{
	struct hr_error *e = NULL;
	if (hr_idmount_release(policy, id, &e) < 0 || hr_idrange_release(policy, id, &e) < 0) {
		hr_warn("release resources of %s: %s", id, e->msg);
		hr_error_clear(&e);
	}
	if (hr_lsm_mcs_release(policy->state_dir, id, &e) < 0) {
		hr_warn("release SELinux categories of %s: %s", id, e->msg);
		hr_error_clear(&e);
	}
	hr_records_forget(policy, id);
	unlinkat(dirfd, id, 0);
}

/* Does the record of id name `owner` (the create that wrote it)? */
static bool owned_by(const struct hr_policy *policy, const char *id, const char *owner)
{
	_cleanup_free_ char *text = record_read(policy, id);
	char *nl = text ? strchr(text, '\n') : NULL;

	return nl && strncmp(nl + 1, owner, strlen(owner)) == 0 && nl[1 + strlen(owner)] == '\n';
}

/*
 * Was id created under runtime root `root`?  The record says (third line);
 * without one, the id range's entry does.  Neither: nothing tells, and
 * the runtime's own "gone" is all there is.
 */
static bool created_under(const struct hr_policy *policy, const char *id, const char *root)
{
	_cleanup_free_ char *text = record_read(policy, id), *rr = NULL;
	const char *want = hr_runtime_root(root);
	char *l2 = text ? strchr(text, '\n') : NULL, *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;

	if (l3 && l3[1]) {
		l3[1 + strcspn(l3 + 1, "\n")] = '\0';
		return strcmp(l3 + 1, want) == 0;
	}
	if (hr_idrange_root_of(policy, id, &rr) == 1)
		return strcmp(rr, want) == 0;
	return true;
}

void hr_container_release_unless_live(const struct hr_policy *policy, const char *id,
				      const char *runtime_root, const char *owner)
{
	struct hr_error *e = NULL;
	_cleanup_close_ int dfd = -1;
	_cleanup_close_ int lock = -1;

	if (!hr_file_name_ok(id) || (owner && !*owner))
		return;
	lock = records_lock(policy, id, &dfd, &e);
	if (lock < 0) {
		/* Releasing unlocked could free a newer container's range: leave
		 * it to the allocator's reclaim. */
		hr_warn("release resources of %s: %s", id, e->msg);
		hr_error_clear(&e);
		return;
	}
	if (hr_runtime_has(runtime_root, id)) {
		/* A pod sandbox the runtime has just created: its user namespace
		 * goes into hardrun's record now, before any member names it. */
		if (hr_pod_pin(policy, id, runtime_root, &e) < 0) {
			hr_warn("pod record of %s: %s", id, e->msg);
			hr_error_clear(&e);
		}
		return;
	}
	if (owner && !owned_by(policy, id, owner))
		return;
	/* delete with another --root: that runtime saying "gone" says nothing
	 * of the container this id's records belong to. */
	if (!owner && !created_under(policy, id, runtime_root)) {
		hr_warn("%s was created under another runtime root: its resources are kept", id);
		return;
	}
	release_locked(policy, dfd, id);
}

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/*
 * An inotify instance that sees config.json in the bundle (lock) closed
 * after reading, or -1.  It watches the file, not the directory: a first
 * watch on a directory flags every cached dentry under it, and a bundle
 * used for many containers has a long list of them.
 */
static int watch_config(int lock)
{
	char path[64];
	int ino = inotify_init1(IN_CLOEXEC);

	snprintf(path, sizeof(path), "/proc/self/fd/%d/config.json", lock);
	if (ino >= 0 && inotify_add_watch(ino, path, IN_CLOSE_NOWRITE | IN_DONT_FOLLOW) < 0)
		hr_closep(&ino);
	return ino;
}

/* Wait until config.json has been read (ino), the runtime has exited
 * (pidfd), or 10 s have passed. */
static void wait_config_read(int ino, int pidfd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = ino, .events = POLLIN}};
	int n;

	while ((n = poll(fds, ino >= 0 ? 2 : 1, 10000)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fds[0].revents)
			return;
		ssize_t len = read(ino, buf, sizeof(buf));
		for (ssize_t off = 0; len > 0 && off < len;) {
			const struct inotify_event *ev = (const void *)(buf + off);
			if (ev->mask & IN_CLOSE_NOWRITE)
				return;
			off += (ssize_t)sizeof(*ev) + ev->len;
		}
	}
}

/* Close every descriptor from 3 up but those in keep (-1 entries ignored). */
static void close_all_but(int *keep, size_t n)
{
	unsigned from = 3;

	for (size_t i = 1; i < n; i++) /* n is tiny: insertion sort */
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/* Away from the caller: descriptors 0 to 2 on /dev/null, none of its
 * others but keep, a session of our own (a ^C meant for the container does
 * not reach us). */
static void leave_caller(int *keep, size_t n)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	close_all_but(keep, n);
	setsid();
}

/*
 * The keeper: forked before hardrun execs the runtime, it outlives that
 * exec.  It records the decision (ho->record), holds the bundle lock until
 * the runtime has read config.json (so a second create from the bundle
 * cannot replace it first: the record is written before the lock goes,
 * which makes it observable), then waits for the runtime (hardrun's own
 * pid, pidfd) to exit and gives back what the container held unless the
 * runtime still has it or a newer create of the id owns it.  It keeps none
 * of the caller's descriptors (a pipe held open would keep the caller from
 * seeing EOF) and does its work after the caller has the runtime's exit
 * status.
 */
static _Noreturn void keeper(int lock, int ino, int pidfd, const struct hr_policy *policy,
			     const struct hr_cli *cli, const struct hr_handoff *ho)
{
	int keep[3] = {lock, ino, pidfd};

	leave_caller(keep, 3);
	if (chdir("/") < 0)
		_exit(1);
	if (ho->record)
		ho->record(ho->ctx);
	/* Never in the runtime's way on a busy node: its start is what the
	 * caller waits for, the rest of the keeper's work is not (nice 19
	 * still gets a share, so a release is late, never lost). */
	setpriority(PRIO_PROCESS, 0, 19);
	/* Before the lock goes, so a test sees it done by taking the lock. */
	hr_container_sweep(policy, hr_cli_id(cli));
	struct pollfd f = {.fd = pidfd, .events = POLLIN};
	if (lock >= 0) {
		wait_config_read(ino, pidfd);
		/* A runtime gone before it read config.json (it failed, or
		 * hardrun was killed before the exec): released under the lock,
		 * so whoever takes it next finds nothing of this create. */
		if (poll(&f, 1, 0) == 1)
			hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root,
							 ho->owner);
		close(lock);
		hr_test_point("keeper-unlocked", NULL);
	}
	while (poll(&f, 1, -1) < 0 && errno == EINTR)
		;
	hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root, ho->owner);
	_exit(0);
}

/* Kernels without pidfd_open (before 5.3): the runtime runs as hardrun's
 * child, hardrun forwards signals, waits and releases. */
static int create_as_parent(const char *runtime, const struct hr_cli *cli,
			    const struct hr_policy *policy, int lock, const struct hr_handoff *ho,
			    struct hr_error **err)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	sigset_t block, old;
	int wstatus = 0;

	/* Block first so no signal slips between fork and the handlers. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(lock);
		hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root,
						 ho->owner);
		return hr_error_set(err, saved, "fork");
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
	if (ho->record)
		ho->record(ho->ctx);
	/* Without a pidfd to stop waiting at, the bundle stays locked until
	 * the runtime exits. */
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			int saved = errno;
			close(lock);
			return hr_error_set(err, saved, "wait for `%s`", runtime);
		}
	close(lock);
	hr_container_sweep(policy, hr_cli_id(cli));
	int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root, ho->owner);
	if (WIFEXITED(wstatus) && status == HR_EXIT_NOEXEC)
		return hr_error_set_status(err, HR_EXIT_NOEXEC, 0,
					   "lower runtime `%s` could not be executed", runtime);
	return status;
}

int hr_delegate_create(const char *runtime, const struct hr_cli *cli,
		       const struct hr_policy *policy, struct hr_handoff *ho, struct hr_error **err)
{
	_cleanup_close_ int lock = hr_steal_fd(&ho->bundle_lock);
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	_cleanup_close_ int ino = -1;

	if (pidfd < 0)
		return create_as_parent(runtime, cli, policy, hr_steal_fd(&lock), ho, err);
	/* The watch is in place before the fork, so the runtime's read of
	 * config.json cannot come before it. */
	if (lock >= 0)
		ino = watch_config(lock);
	pid_t k = fork();
	if (k < 0) {
		int saved = errno;
		hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root,
						 ho->owner);
		return hr_error_set(err, saved, "fork");
	}
	if (k == 0)
		keeper(lock, ino, pidfd, policy, cli, ho);
	hr_test_point("before-exec", NULL);
	if (ho->drop)
		ho->drop(ho->ctx);
	hr_closep(&ino);
	hr_closep(&lock);
	hr_closep(&pidfd);
	cli->runtime_argv[0] = (char *)runtime;
	execve(runtime, cli->runtime_argv, environ);
	/* The keeper sees us exit and releases. */
	return hr_error_set_status(err, HR_EXIT_NOEXEC, errno, "exec lower runtime `%s`", runtime);
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
 * containerd sends `update --resources -` with the JSON on stdin; others
 * name a file or a pipe (`-r <(...)`).  Read it as runc reads it, check it,
 * and point the runtime at a private copy (a memfd, /proc/self/fd/N):
 * stdin or a pipe is drained by the check, and a file could change after
 * it.  The argv and the parsed flag (which the builtin runtime reads) both
 * name the copy.
 */
static char *read_resources(const struct hr_cli *cli, const char *r, struct hr_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (hr_read_caller_file(strcmp(r, "-") ? r : "/proc/self/fd/0", &buf, &len, err) < 0) {
		hr_err_wrap(err, "update -r");
		return NULL;
	}
	buf = hr_xrealloc(buf, len + 1);
	buf[len] = '\0';
	_cleanup_close_ int mfd = memfd_create("hardrun-update", MFD_CLOEXEC);
	int fd = -1;
	if (mfd < 0 || write(mfd, buf, len) != (ssize_t)len || (fd = fcntl(mfd, F_DUPFD, 3)) < 0) {
		hr_error_set(err, errno, "update -r: the private copy");
		return NULL;
	}
	/* Lives until execve replaces the process. */
	char *copy = hr_xasprintf("/proc/self/fd/%d", fd);
	for (size_t i = 0; i < cli->runtime_argc; i++) {
		const char *eq = strchr(cli->runtime_argv[i], '=');
		if (cli->runtime_argv[i] == r)
			cli->runtime_argv[i] = copy;
		else if (eq && eq + 1 == r)
			cli->runtime_argv[i] = hr_xasprintf("--resources=%s", copy);
	}
	for (size_t i = 0; i < cli->n_flags; i++)
		if (cli->flags[i].value == r)
			cli->flags[i].value = copy;
	return hr_steal_ptr(&buf);
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
	if (*err || (r && !(resources = read_resources(cli, r, err)))) {
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
	if (ret == 0 && ctx.findings.denials > 0)
		ret = hr_refusal_error(&ctx.findings, "update", prof->name, err);
	struct hr_error *aerr = NULL;
	if (hr_audit_decision(cli, policy, empty, prof->name, &ctx.findings,
			      ret < 0 && *err ? (*err)->msg : NULL, &aerr) < 0) {
		/* An unrecorded decision is still a decision: warn, do not block. */
		hr_warn("%s", aerr->msg);
		hr_error_clear(&aerr);
	}
	hr_findings_free(&ctx.findings);
out:
	hr_profile_free(prof);
	return ret;
}
