/* SPDX-License-Identifier: Apache-2.0 */
/* create and run: the state directory, the launch, and the foreground wait. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/runtime.h"
#include "hardrun/util.h"
#include "rt.h"

struct started {
	struct hr_rt_config config;
	struct hr_rt_state state;
	int dirfd;
	pid_t pid;
	int console_peer; /* foreground terminal: where the master arrives */
	int master;
};

static void started_free(struct started *st)
{
	hr_rt_config_free(&st->config);
	hr_rt_state_free(&st->state);
	if (st->dirfd >= 0)
		close(st->dirfd);
	if (st->console_peer >= 0)
		close(st->console_peer);
	if (st->master >= 0)
		close(st->master);
	st->dirfd = st->console_peer = st->master = -1;
}

static int write_pid_file(const char *path, pid_t pid, struct hr_error **err)
{
	_cleanup_free_ char *dir = NULL, *text = hr_xasprintf("%d", (int)pid);
	_cleanup_close_ int dirfd = -1;
	const char *slash;

	if (!path)
		return 0;
	slash = strrchr(path, '/');
	dir =
	    slash ? hr_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : hr_xstrdup(".");
	dirfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dirfd < 0)
		return hr_error_set(err, errno, "pid file directory %s", dir);
	return hr_write_file_atomic(dirfd, slash ? slash + 1 : path, text, strlen(text), 0644, err);
}

int hr_rt_preserve_fds(const struct hr_cli *cli, struct hr_rt_process *p, struct hr_error **err)
{
	const char *v = hr_cli_flag(cli, "preserve-fds");
	char *end = NULL;
	unsigned long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (end == v || *end || errno || n > 65536 || v[0] == '-')
		return hr_error_set_status(err, HR_EXIT_USAGE, 0,
					   "--preserve-fds %s: need a number of descriptors", v);
	p->preserve_fds = (unsigned)n;
	return 0;
}

/* Copy of the hardened config: `exec` applies the same caps, no_new_privs and filter. */
static int save_config(int dirfd, const struct hr_json *spec, struct hr_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (hr_json_serialize(spec, false, &text, &len, err) < 0)
		return -1;
	return hr_write_file_atomic(dirfd, "config.json", text, len, 0600, err);
}

static int make_fifo(int dirfd, struct hr_error **err)
{
	/* 0622: the init may write it after dropping to an unprivileged uid */
	if (mkfifoat(dirfd, "exec.fifo", 0622) < 0 || fchmodat(dirfd, "exec.fifo", 0622, 0) < 0)
		return hr_error_set(err, errno, "create exec.fifo");
	int fd = openat(dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return hr_error_set(err, errno, "open exec.fifo");
	return fd;
}

/*
 * The fd the child sends its pty master to: the --console-socket, or for a
 * foreground run without one, our end of a socketpair (we relay the pty).
 */
static int open_console(const struct hr_cli *cli, struct started *st, bool detach,
			struct hr_error **err)
{
	const char *path = hr_cli_flag(cli, "console-socket");
	int sv[2];

	if (!st->config.proc.terminal)
		return -1;
	if (path)
		return hr_rt_console_connect(path, err);
	if (detach) {
		hr_error_set(
		    err, 0,
		    "cannot allocate tty if hardrun will detach without setting console socket");
		return -2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		hr_error_set(err, errno, "socketpair for the terminal");
		return -2;
	}
	st->console_peer = sv[0];
	return sv[1];
}

/* Launch the init; on return it is waiting on exec.fifo (create) or exec'd (run). */
static int start_container(const struct hr_cli *cli, struct hr_json *spec, const char *bundle,
			   const struct hr_rt_host *host, bool create, bool detach,
			   struct started *st, struct hr_error **err)
{
	const char *id = hr_cli_id(cli);
	_cleanup_close_ int fifo = -1, console = -1, sock = -1;
	_cleanup_json_ struct hr_json *sj = NULL;
	struct hr_rt_launch l = {
	    .config = &st->config, .create = create, .close_in_child = {-1, -1, -1, -1}};
	char now[64];

	if (!id)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0, "container id cannot be empty");
	if (hr_rt_config_load(&st->config, spec, bundle, id, err) < 0)
		return -1;
	if (host && host->rootfs_tree >= 0)
		st->config.rootfs_tree = host->rootfs_tree;
	st->config.res.unapplied_ok = host && host->unapplied_ok;
	if (hr_rt_preserve_fds(cli, &st->config.proc, err) < 0)
		return -1;
	console = open_console(cli, st, detach || create, err);
	if (console == -2 || (console < 0 && *err))
		return -1;
	st->dirfd = hr_rt_state_dir(cli, id, true, true, err);
	if (st->dirfd < 0)
		return -1;
	/* refused (a frozen cgroup) or not made: none of ours to remove */
	if (hr_rt_cgroup_create(&st->config, err) < 0)
		goto fail_state;
	if (create && (fifo = make_fifo(st->dirfd, err)) < 0)
		goto fail;
	hr_rfc3339_now(now, sizeof(now));
	st->state = (struct hr_rt_state){.id = hr_xstrdup(id),
					 .bundle = hr_xstrdup(bundle),
					 .rootfs = hr_xstrdup(st->config.rootfs),
					 .created = hr_xstrdup(now),
					 .status = hr_xstrdup(create ? "created" : "running"),
					 .cgroups_path = hr_xstrdup(st->config.cgroups_path),
					 .detached = detach || create};
	if (st->config.annotations)
		st->state.annotations = hr_json_clone(st->config.annotations);
	l.keep_keyring = hr_cli_flag_bool(cli, "no-new-keyring");
	l.exec_fifo = fifo;
	l.console_sock = console;
	l.close_in_child[1] = st->dirfd;
	sock = hr_rt_launch(&l, &st->pid, err);
	if (sock < 0) /* the init is killed and reaped: its cgroups are empty */
		goto fail;
	st->state.pid = st->pid;
	/* the init builds its rootfs meanwhile; exec reads this copy later */
	if (save_config(st->dirfd, spec, err) < 0) {
		kill(st->pid, SIGKILL);
		waitpid(st->pid, NULL, 0);
		goto fail;
	}
	sj = hr_rt_state_json(&st->state, "creating");
	if (hr_rt_launch_wait(&l, sock, st->pid, sj, err) < 0)
		goto fail;
	st->state.starttime = l.starttime;
	if (st->console_peer >= 0 && (st->master = hr_rt_recv_fd(st->console_peer)) < 0) {
		hr_error_set(err, errno, "receive the pty master");
		kill(st->pid, SIGKILL);
		waitpid(st->pid, NULL, 0);
		goto fail;
	}
	if (hr_rt_state_write(st->dirfd, &st->state, err) < 0 ||
	    write_pid_file(hr_cli_flag(cli, "pid-file"), st->pid, err) < 0) {
		kill(st->pid, SIGKILL);
		waitpid(st->pid, NULL, 0);
		goto fail;
	}
	if (host && host->rootfs_ready)
		host->rootfs_ready(host->ctx);
	return 0;
fail:
	hr_rt_cgroup_remove(st->config.cgroups_path);
fail_state:
	close(st->dirfd);
	st->dirfd = -1;
	/* The create's own failure is the error; a state dir that cannot go
	 * as well is a warning, never in its place. */
	struct hr_error *rm = NULL;
	if (hr_rt_state_remove(cli, id, &rm) < 0)
		hr_warn("%s", rm->msg);
	hr_error_clear(&rm);
	return -1;
}

int hr_rt_create(const struct hr_cli *cli, struct hr_json *spec, const char *bundle,
		 const struct hr_rt_host *host, struct hr_error **err)
{
	struct started st = {.dirfd = -1, .console_peer = -1, .master = -1};
	int r = start_container(cli, spec, bundle, host, true, true, &st, err);

	started_free(&st);
	return r;
}

/* After the process exec'd: poststart hooks (a failure kills it, as the spec says). */
static int poststart(struct started *st, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *sj = hr_rt_state_json(&st->state, "running");

	if (hr_rt_run_hooks(&st->config, HR_HOOK_POSTSTART, sj, err) < 0) {
		kill(st->pid, SIGKILL);
		return -1;
	}
	return 0;
}

static void teardown(const struct hr_cli *cli, struct started *st)
{
	_cleanup_json_ struct hr_json *sj = hr_rt_state_json(&st->state, "stopped");
	struct hr_error *e = NULL;

	/* poststop failures are logged by runc, never fatal: same here */
	hr_rt_run_hooks(&st->config, HR_HOOK_POSTSTOP, sj, &e);
	hr_error_clear(&e);
	hr_rt_cgroup_remove(st->config.cgroups_path);
	close(st->dirfd);
	st->dirfd = -1;
	hr_rt_state_remove(cli, st->state.id, &e);
	hr_error_clear(&e);
}

int hr_rt_run(const struct hr_cli *cli, struct hr_json *spec, const char *bundle,
	      const struct hr_rt_host *host, int *exit_status, struct hr_error **err)
{
	struct started st = {.dirfd = -1, .console_peer = -1, .master = -1};
	bool detach = hr_cli_flag_bool(cli, "detach");
	sigset_t old;
	int r;

	*exit_status = 0;
	/* queued, not lost, between the clone and the forwarding loop */
	if (!detach)
		hr_rt_block_signals(&old);
	r = start_container(cli, spec, bundle, host, false, detach, &st, err);
	if (r == 0)
		r = poststart(&st, err);
	if (r == 0 && !detach) {
		/* readers (state, kill, exec) need the lock while we wait */
		flock(st.dirfd, LOCK_UN);
		if (st.master >= 0)
			hr_rt_tty_relay(st.pid, st.master, exit_status);
		else
			hr_rt_wait_forward(st.pid, exit_status);
		flock(st.dirfd, LOCK_EX);
		/* --keep: left stopped for `state` and `delete` (which runs poststop) */
		if (!hr_cli_flag_bool(cli, "keep"))
			teardown(cli, &st);
	} else if (r < 0 && st.dirfd >= 0) {
		teardown(cli, &st);
	}
	if (!detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	started_free(&st);
	return r;
}

/* `start`: open exec.fifo for reading; the init's blocked open returns and it execs. */
int hr_rt_start(const struct hr_cli *cli, struct hr_error **err)
{
	const char *id = hr_cli_id(cli);
	_cleanup_close_ int dirfd = hr_rt_state_dir(cli, id, false, true, err);
	_cleanup_close_ int fifo = -1;
	struct hr_rt_state s = {0};
	char byte = 0;
	int r = -1;

	if (dirfd < 0 || hr_rt_state_read(dirfd, id, &s, err) < 0)
		goto out;
	if (strcmp(hr_rt_state_status(dirfd, &s), "created") != 0) {
		hr_error_set(err, 0, "cannot start a container that has %s",
			     hr_rt_state_status(dirfd, &s));
		goto out;
	}
	fifo = openat(dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		hr_error_set(err, errno, "open exec.fifo");
		goto out;
	}
	for (int i = 0; i < 10000 && read(fifo, &byte, 1) != 1; i++) {
		if (!hr_rt_pid_alive(s.pid, s.starttime)) {
			hr_error_set(err, 0, "container init exited before start");
			goto out;
		}
		usleep(1000);
	}
	if (byte != '0') {
		hr_error_set(err, ETIMEDOUT, "the container init did not open exec.fifo");
		goto out;
	}
	unlinkat(dirfd, "exec.fifo", 0);
	free(s.status);
	s.status = hr_xstrdup("running");
	if (hr_rt_state_write(dirfd, &s, err) < 0)
		goto out;
	r = hr_rt_run_stored_hooks(dirfd, HR_HOOK_POSTSTART, &s, "running", err);
out:
	hr_rt_state_free(&s);
	return r;
}
