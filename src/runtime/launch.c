/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting the container init.  Two shapes:
 *
 *  - every namespace new (the hardened default): one clone() with all the
 *    CLONE_NEW* flags, so every namespace is owned by the new user
 *    namespace and the child is pid 1 at once;
 *  - some joined by path: a plain clone, setns() into the given ones while
 *    still privileged where they live, then unshare(CLONE_NEWUSER) (the
 *    parent writes the maps), the other unshares, and for a new pid
 *    namespace a fork: that grandchild is the init, reparented to us
 *    (subreaper) when the intermediate exits.
 *
 * The child first joins its cgroups (through files the parent opened) and
 * only then unshares the cgroup namespace, rooted there.  The parent writes
 * the id maps, the cgroup limits, rlimits and oom_score_adj (all need
 * privilege in the initial user namespace) while the child builds its
 * rootfs, and lets it past the point of no return only then.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "rt.h"

static int write_proc(pid_t pid, const char *file, const char *text, struct hr_error **err)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return hr_error_set(err, errno, "write %s", path);
	return 0;
}

static int write_maps(const struct hr_rt_config *c, pid_t pid, struct hr_error **err)
{
	/* an unprivileged writer must deny setgroups before it may map gids */
	if (geteuid() != 0 && write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	if (write_proc(pid, "uid_map", c->uid_map, err) < 0 ||
	    write_proc(pid, "gid_map", c->gid_map, err) < 0)
		return hr_err_wrap(err, "user namespace id mappings");
	return 0;
}

static int parent_setup(const struct hr_rt_config *c, pid_t pid, struct hr_error **err)
{
	char buf[32];

	if (hr_rt_cgroup_limit(c, err) < 0)
		return -1;
	for (size_t i = 0; i < c->proc.n_rlimits; i++)
		if (prlimit(pid, c->proc.rlimits[i].resource, &c->proc.rlimits[i].value, NULL) < 0)
			return hr_error_set(err, errno, "set rlimit %d",
					    c->proc.rlimits[i].resource);
	if (c->proc.has_oom) {
		snprintf(buf, sizeof(buf), "%d", c->proc.oom_score_adj);
		if (write_proc(pid, "oom_score_adj", buf, err) < 0)
			return -1;
	}
	return 0;
}

static void join_paths(const struct hr_rt_config *c, int sync, bool user)
{
	for (size_t i = 0; i < c->n_ns_paths; i++) {
		int fd, t = c->ns_paths[i].type;
		if ((t == CLONE_NEWUSER) != user || t == CLONE_NEWPID)
			continue;
		fd = open(c->ns_paths[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, t) < 0)
			hr_rt_die(sync, errno, "join namespace %s", c->ns_paths[i].path);
		close(fd);
	}
}

/* The in-container hooks get the state too: the init cannot know its outside pid. */
static int send_hook_state(const struct hr_rt_config *c, pid_t pid, int sock, struct hr_error **err)
{
	struct hr_rt_state s = {.id = c->id,
				.bundle = c->bundle,
				.rootfs = c->rootfs,
				.pid = pid,
				.annotations = c->annotations};
	_cleanup_json_ struct hr_json *j = hr_rt_state_json(&s, "created");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	hr_json_remove(j, "created");
	if (hr_json_serialize(j, false, &text, &len, err) < 0)
		return -1;
	if (len >= 8000) {
		/* annotations that do not fit the sync message are left out */
		hr_json_remove(j, "annotations");
		free(text);
		text = NULL;
		if (hr_json_serialize(j, false, &text, &len, err) < 0)
			return -1;
	}
	if (hr_rt_send(sock, HR_MSG_STATE, 0, "%s", text) < 0)
		return hr_error_set(err, errno, "send the state to the container init");
	return 0;
}

/* The init, after its namespaces exist: mounts, then the point of no return. */
static __attribute__((noreturn)) void init_main(const struct hr_rt_launch *l, int sync)
{
	const struct hr_rt_config *c = l->config;

	struct hr_rt_process proc = c->proc;
	bool runtime_hooks = c->n_hooks[HR_HOOK_PRESTART] || c->n_hooks[HR_HOOK_CREATE_RUNTIME];
	bool in_userns = c->clone_flags & CLONE_NEWUSER;

	/* a joined user namespace too: files we create need a mapped owner */
	for (size_t i = 0; i < c->n_ns_paths; i++)
		in_userns |= c->ns_paths[i].type == CLONE_NEWUSER;
	char *state = NULL;

	/* host-root credentials until the drop: nobody inside may ptrace us (execve resets it) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (c->n_hooks[HR_HOOK_CREATE_CONTAINER] || c->n_hooks[HR_HOOK_START_CONTAINER]) {
		state = malloc(8192);
		if (!state || hr_rt_recv(sync, NULL, state, 8192) != HR_MSG_STATE)
			_exit(1);
	}
	if (hr_rt_wait_go(sync) < 0)
		_exit(1);
	hr_rt_prepare_rootfs(c, sync);
	if (in_userns) {
		/* root inside when mapped; our caps in the namespace hold either way */
		if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
			hr_rt_die(sync, errno, "setresgid 0");
		if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
			hr_rt_die(sync, errno, "setresuid 0");
	}
	/* a fresh session keyring: never the caller's (runc's default too) */
	if (!l->keep_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 &&
	    errno != ENOSYS)
		hr_rt_die(sync, errno, "join a new session keyring");
	hr_rt_setup_rootfs(c, sync);
	/*
	 * The parent joins us to our cgroups meanwhile; the second go says it
	 * is done.  Runtime hooks need it first; without them we go on to
	 * pivot_root and only wait before the point of no return.
	 */
	if (runtime_hooks) {
		if (hr_rt_wait_go(sync) < 0)
			_exit(1);
		hr_rt_send(sync, HR_MSG_HOOKS, 0, "hooks");
		if (hr_rt_wait_go(sync) < 0)
			_exit(1);
	}
	for (size_t i = 0; i < c->n_hooks[HR_HOOK_CREATE_CONTAINER]; i++) {
		struct hr_error *e = NULL;
		if (hr_rt_run_hook(&c->hooks[HR_HOOK_CREATE_CONTAINER][i], state, &e) < 0)
			hr_rt_die(sync, e ? e->errnum : 0, "createContainer hook: %s",
				  e ? e->msg : "failed");
	}
	hr_rt_finish_rootfs(c, sync);
	if (l->console_sock >= 0)
		hr_rt_console_setup(l->console_sock, sync, l->config->proc.uid);
	if (!runtime_hooks && hr_rt_wait_go(sync) < 0)
		_exit(1);
	proc.start_hooks = c->hooks[HR_HOOK_START_CONTAINER];
	proc.n_start_hooks = c->n_hooks[HR_HOOK_START_CONTAINER];
	proc.hook_state = state;
	hr_rt_exec_process(&proc, sync, l->create ? l->exec_fifo : -1, l->create);
}

/* Path-joining shape: the intermediate child. */
static __attribute__((noreturn)) void intermediate_main(const struct hr_rt_launch *l, int sync)
{
	const struct hr_rt_config *c = l->config;
	int flags = c->clone_flags & ~(CLONE_NEWUSER | CLONE_NEWPID);
	pid_t pid;

	join_paths(c, sync, true);
	join_paths(c, sync, false);
	if (c->clone_flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			hr_rt_die(sync, errno, "unshare the user namespace");
		hr_rt_send(sync, HR_MSG_MAPS, 0, "maps");
		if (hr_rt_wait_go(sync) < 0)
			_exit(1);
	}
	if (flags && unshare(flags) < 0)
		hr_rt_die(sync, errno, "unshare namespaces");
	if (!(c->clone_flags & CLONE_NEWPID))
		init_main(l, sync);
	if (unshare(CLONE_NEWPID) < 0)
		hr_rt_die(sync, errno, "unshare the pid namespace");
	pid = fork();
	if (pid < 0)
		hr_rt_die(sync, errno, "fork the init");
	if (pid == 0)
		init_main(l, sync);
	hr_rt_send(sync, HR_MSG_PID, 0, "%d", (int)pid);
	_exit(0);
}

/* Joining a pid namespace by path only affects our children: switch for the clone. */
static int enter_pid_path(const struct hr_rt_config *c, int *saved, struct hr_error **err)
{
	*saved = -1;
	for (size_t i = 0; i < c->n_ns_paths; i++) {
		_cleanup_close_ int fd = -1;
		if (c->ns_paths[i].type != CLONE_NEWPID)
			continue;
		*saved = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		fd = open(c->ns_paths[i].path, O_RDONLY | O_CLOEXEC);
		if (*saved < 0 || fd < 0 || setns(fd, CLONE_NEWPID) < 0)
			return hr_error_set(err, errno, "join pid namespace %s",
					    c->ns_paths[i].path);
	}
	return 0;
}

static int clone_child(struct hr_rt_launch *l, int child_end, pid_t *pid, struct hr_error **err)
{
	const struct hr_rt_config *c = l->config;
	bool simple = c->n_ns_paths == 0;
	_cleanup_close_ int saved_pidns = -1;
	long r;

	if (enter_pid_path(c, &saved_pidns, err) < 0)
		return -1;
	if (!simple)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	r = syscall(SYS_clone, (simple ? c->clone_flags & ~CLONE_NEWCGROUP : 0) | SIGCHLD, NULL,
		    NULL, NULL, NULL);
	if (r == 0) {
		for (size_t i = 0; i < sizeof(l->close_in_child) / sizeof(int); i++)
			if (l->close_in_child[i] >= 0)
				close(l->close_in_child[i]);
		if (hr_rt_cgroup_join_self(&l->cgroups) < 0)
			hr_rt_die(child_end, errno, "join the container's cgroups");
		hr_rt_cgroup_join_close(&l->cgroups);
		if (simple && (c->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
			hr_rt_die(child_end, errno, "unshare the cgroup namespace");
		if (simple)
			init_main(l, child_end);
		intermediate_main(l, child_end);
	}
	if (saved_pidns >= 0)
		setns(saved_pidns, CLONE_NEWPID);
	if (r < 0)
		return hr_error_set(err, errno, "clone the container init");
	*pid = (pid_t)r;
	return 0;
}

/* Path shape: serve MAPS, collect PID, reap the intermediate. */
static int intermediate_protocol(struct hr_rt_launch *l, int sock, pid_t mid, pid_t *init,
				 struct hr_error **err)
{
	const struct hr_rt_config *c = l->config;
	char text[1024];
	int en = 0, t;

	*init = mid;
	for (;;) {
		if ((c->clone_flags & CLONE_NEWPID) == 0 && (c->clone_flags & CLONE_NEWUSER) == 0)
			return 0;
		t = hr_rt_recv(sock, &en, text, sizeof(text));
		if (t == HR_MSG_MAPS) {
			if (write_maps(c, mid, err) < 0 || hr_rt_send_go(sock) < 0)
				return -1;
			if (!(c->clone_flags & CLONE_NEWPID))
				return 0;
			continue;
		}
		if (t == HR_MSG_PID) {
			*init = (pid_t)atoi(text);
			waitpid(mid, NULL, 0);
			return 0;
		}
		if (t == HR_MSG_ERROR)
			return hr_error_set(err, en, "%s", text);
		return hr_error_set(err, errno, "container init exited during setup");
	}
}

/* A go could not be sent: the child is gone, maybe with its reason queued for us. */
static void child_error(int sock, struct hr_error **err)
{
	char text[1024];
	int en = 0;

	if (*err)
		return;
	if (hr_rt_recv(sock, &en, text, sizeof(text)) == HR_MSG_ERROR)
		hr_error_set(err, en, "%s", text);
	else
		hr_error_set(err, 0, "the container init exited during setup");
}

int hr_rt_launch(struct hr_rt_launch *l, pid_t *pid_out, struct hr_error **err)
{
	const struct hr_rt_config *c = l->config;
	_cleanup_close_ int parent_end = -1, child_end = -1;
	int sv[2], r;
	pid_t pid = -1, init = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hr_error_set(err, errno, "socketpair");
	parent_end = sv[0];
	child_end = sv[1];
	l->close_in_child[0] = parent_end;
	if (hr_rt_cgroup_open_join(c->cgroups_path, &l->cgroups, err) < 0)
		return -1;
	r = clone_child(l, child_end, &pid, err);
	hr_rt_cgroup_join_close(&l->cgroups);
	if (r < 0)
		return -1;
	close(hr_steal_fd(&child_end));
	if (c->n_ns_paths == 0) {
		init = pid;
		if ((c->clone_flags & CLONE_NEWUSER) && write_maps(c, pid, err) < 0)
			goto fail;
	} else if (intermediate_protocol(l, parent_end, pid, &init, err) < 0) {
		goto fail;
	}
	if (hr_rt_pid_starttime(init, &l->starttime) < 0) {
		hr_error_set(err, 0, "the container init exited during setup");
		goto fail;
	}
	if ((c->n_hooks[HR_HOOK_CREATE_CONTAINER] || c->n_hooks[HR_HOOK_START_CONTAINER]) &&
	    send_hook_state(c, init, parent_end, err) < 0)
		goto fail;
	/* first go: the child builds its rootfs meanwhile */
	if (hr_rt_send_go(parent_end) < 0 || parent_setup(c, init, err) < 0 ||
	    hr_rt_send_go(parent_end) < 0) {
		child_error(parent_end, err);
		goto fail;
	}
	*pid_out = init;
	return hr_steal_fd(&parent_end);
fail:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (init > 0 && init != pid) {
		kill(init, SIGKILL);
		waitpid(init, NULL, 0);
	}
	return -1;
}

/* The init ended without a word (a signal, the OOM killer): say how. */
static void init_gone(pid_t pid, struct hr_error **err)
{
	int st = 0;
	bool ours;

	kill(pid, SIGKILL);
	ours = waitpid(pid, &st, 0) == pid;
	if (ours && WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		hr_error_set(err, 0, "the container init was killed by signal %d during setup",
			     WTERMSIG(st));
	else if (ours && WIFEXITED(st))
		hr_error_set(err, 0, "the container init exited with status %d during setup",
			     WEXITSTATUS(st));
	else
		hr_error_set(err, 0, "the container init exited during setup");
}

/*
 * Follow the child through setup: run the runtime-side hooks when it asks,
 * return 0 at READY (create) or EOF (exec'd), -1 with its error otherwise.
 */
int hr_rt_launch_wait(struct hr_rt_launch *l, int sock, pid_t pid, const struct hr_json *state,
		      struct hr_error **err)
{
	char text[1024];
	int en = 0;

	for (;;) {
		int t = hr_rt_recv(sock, &en, text, sizeof(text));
		/* EOF: execve closed the socket, or the init died; create needs READY */
		if ((t == 0 && !l->create) || t == HR_MSG_READY)
			break;
		if (t == 0) {
			init_gone(pid, err);
			return -1;
		}
		if (t == HR_MSG_HOOKS) {
			if (hr_rt_run_hooks(l->config, HR_HOOK_PRESTART, state, err) < 0 ||
			    hr_rt_run_hooks(l->config, HR_HOOK_CREATE_RUNTIME, state, err) < 0 ||
			    hr_rt_send_go(sock) < 0)
				goto fail;
			continue;
		}
		if (t == HR_MSG_ERROR)
			hr_error_set(err, en, "%s", text);
		else
			hr_error_set(err, errno, "read from the container init");
		goto fail;
	}
	return 0;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void hr_rt_block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, old);
}

int hr_rt_wait_forward(pid_t pid, int *exit_status)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		int st = 0;
		pid_t w;

		/* reap first: SIGCHLD may have come before we started waiting */
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			if (w != pid)
				continue;
			*exit_status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
			return 0;
		}
		if (w < 0 && errno == ECHILD) {
			*exit_status = 255;
			return -1;
		}
		int sig = sigwaitinfo(&set, NULL);
		if (sig > 0 && sig != SIGCHLD)
			kill(pid, sig);
	}
}
