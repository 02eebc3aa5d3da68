/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec into a running builtin container.  The new process gets the hardening
 * of the config stored at create time, whatever --process or the flags ask:
 * its capability sets, no_new_privs (only ever turned on), seccomp filter,
 * AppArmor profile and rlimits.  --cap may only add what the container's
 * bounding set already holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/runtime.h"
#include "hardrun/util.h"
#include "rt.h"

static const struct {
	const char *name;
	int type;
} ns_files[] = {
    /* user first: the others belong to it; mnt last: it changes what paths mean */
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},	  {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};
#define N_NS (sizeof(ns_files) / sizeof(ns_files[0]))

static int parse_user(const char *s, struct hr_json *proc, struct hr_error **err)
{
	struct hr_json *user = hr_json_ensure_object(proc, "user");
	char *end = NULL;
	unsigned long uid = strtoul(s, &end, 10), gid = 0;

	if (end == s || (*end && *end != ':'))
		return hr_error_set_status(err, HR_EXIT_USAGE, 0, "--user %s: need uid[:gid]", s);
	hr_json_set(user, "uid", hr_json_new_uint(uid));
	if (*end == ':') {
		const char *g = end + 1;
		gid = strtoul(g, &end, 10);
		if (end == g || *end)
			return hr_error_set_status(err, HR_EXIT_USAGE, 0,
						   "--user %s: need uid[:gid]", s);
		hr_json_set(user, "gid", hr_json_new_uint(gid));
	}
	return 0;
}

static bool in_array(const struct hr_json *a, const char *s)
{
	for (size_t i = 0; a && a->type == HR_JSON_ARRAY && i < a->arr.len; i++)
		if (hr_json_as_string(a->arr.items[i]) &&
		    strcmp(hr_json_as_string(a->arr.items[i]), s) == 0)
			return true;
	return false;
}

static int add_caps(const struct hr_cli *cli, struct hr_json *caps, struct hr_error **err)
{
	_cleanup_free_ const char **list = hr_cli_flag_all(cli, "cap");
	static const char *sets[] = {"effective", "permitted", "inheritable", "ambient"};

	for (size_t i = 0; list && list[i]; i++) {
		if (!in_array(hr_json_get(caps, "bounding"), list[i]))
			return hr_error_set(
			    err, EPERM, "--cap %s: not in the container's bounding set", list[i]);
		for (size_t s = 0; s < 4; s++) {
			struct hr_json *a = hr_json_ensure_array(caps, sets[s]);
			if (a && !in_array(a, list[i]))
				hr_json_append(a, hr_json_new_string(list[i]));
		}
	}
	return 0;
}

/* --additional-gids (repeatable), after the stored ones, as runc adds them. */
static int add_gids(const struct hr_cli *cli, struct hr_json *proc, struct hr_error **err)
{
	_cleanup_free_ const char **list = hr_cli_flag_all(cli, "additional-gids");

	for (size_t i = 0; list && list[i]; i++) {
		char *end = NULL;
		unsigned long g;

		errno = 0;
		g = strtoul(list[i], &end, 10);
		if (end == list[i] || *end || errno || g > 0xfffffffeUL || list[i][0] == '-')
			return hr_error_set_status(err, HR_EXIT_USAGE, 0,
						   "--additional-gids %s: not a gid", list[i]);
		hr_json_append(
		    hr_json_ensure_array(hr_json_ensure_object(proc, "user"), "additionalGids"),
		    hr_json_new_uint(g));
	}
	return 0;
}

/* The process object: --process, or the container's with the flags applied. */
static struct hr_json *exec_process_json(const struct hr_cli *cli, const struct hr_json *spec,
					 struct hr_error **err)
{
	const char *pfile = hr_cli_flag(cli, "process");
	const struct hr_json *stored = hr_json_get(spec, "process");
	_cleanup_json_ struct hr_json *p = NULL;
	const char *v;

	if (pfile) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		/* hardrun's private copy (/proc/self/fd/N), read as runc reads it */
		if (hr_read_caller_file(pfile, &text, &len, err) < 0 ||
		    !(p = hr_json_parse(text, len, NULL, err)))
			return hr_err_wrap(err, "--process %s", pfile), NULL;
	} else {
		struct hr_json *args = hr_json_new(HR_JSON_ARRAY);
		_cleanup_free_ const char **env = hr_cli_flag_all(cli, "env");
		p = hr_json_clone(stored);
		for (size_t i = 1; i < cli->n_args; i++)
			hr_json_append(args, hr_json_new_string(cli->args[i]));
		hr_json_set(p, "args", args);
		for (size_t i = 0; env && env[i]; i++)
			hr_json_append(hr_json_ensure_array(p, "env"), hr_json_new_string(env[i]));
		if ((v = hr_cli_flag(cli, "cwd")))
			hr_json_set(p, "cwd", hr_json_new_string(v));
		if ((v = hr_cli_flag(cli, "user")) && parse_user(v, p, err) < 0)
			return NULL;
		if (add_gids(cli, p, err) < 0)
			return NULL;
		hr_json_set(p, "terminal", hr_json_new_bool(hr_cli_flag_bool(cli, "tty")));
	}
	/* the container's hardening, never the caller's */
	hr_json_set(p, "capabilities", hr_json_clone(hr_json_get(stored, "capabilities")));
	hr_json_set(p, "rlimits", hr_json_clone(hr_json_get(stored, "rlimits")));
	hr_json_remove(p, "oomScoreAdj");
	if (hr_json_get(stored, "selinuxLabel"))
		hr_json_set(p, "selinuxLabel", hr_json_clone(hr_json_get(stored, "selinuxLabel")));
	if (hr_json_get(stored, "apparmorProfile"))
		hr_json_set(p, "apparmorProfile",
			    hr_json_clone(hr_json_get(stored, "apparmorProfile")));
	{
		const struct hr_json *nnp = hr_json_get(stored, "noNewPrivileges");
		bool on = (nnp && nnp->type == HR_JSON_BOOL && nnp->boolean) ||
			  hr_cli_flag_bool(cli, "no-new-privs");
		const struct hr_json *mine = hr_json_get(p, "noNewPrivileges");
		if (mine && mine->type == HR_JSON_BOOL && mine->boolean)
			on = true;
		hr_json_set(p, "noNewPrivileges", hr_json_new_bool(on));
	}
	if (add_caps(cli, hr_json_ensure_object(p, "capabilities"), err) < 0)
		return NULL;
	return hr_steal_ptr(&p);
}

/* Namespace fds of the init, skipping those we already share (setns to our own userns fails). */
static int open_namespaces(pid_t pid, int fds[N_NS], struct hr_error **err)
{
	for (size_t i = 0; i < N_NS; i++) {
		char path[64], self[64];
		struct stat a, b;

		fds[i] = -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_files[i].name);
		if (stat(path, &a) < 0)
			return hr_error_set(err, errno, "%s", path);
		if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return hr_error_set(err, errno, "open %s", path);
	}
	return 0;
}

static __attribute__((noreturn)) void exec_child(const struct hr_rt_process *p, const int fds[N_NS],
						 const struct hr_rt_cgjoin *cg, int sync,
						 int console)
{
	if (hr_rt_cgroup_join_self(cg) < 0)
		hr_rt_die(sync, errno, "join the container's cgroups");
	/*
	 * Host root joining the container: not dumpable, or a ptrace-capable
	 * container process could attach to us before we drop (execve resets it).
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (hr_rt_wait_go(sync) < 0)
		_exit(1);
	for (size_t i = 0; i < N_NS; i++)
		if (fds[i] >= 0 && setns(fds[i], ns_files[i].type) < 0)
			hr_rt_die(sync, errno, "join the container's %s namespace",
				  ns_files[i].name);
	if (chdir("/") < 0)
		hr_rt_die(sync, errno, "chdir /");
	if (console >= 0)
		hr_rt_console_setup(console, sync, p->uid);
	hr_rt_exec_process(p, sync, -1, false);
}

struct exec_ctx {
	struct hr_rt_state s;
	struct hr_rt_process proc;
	int ns[N_NS];
	int console;
	int console_peer; /* -t without --console-socket: the master arrives here */
	int pidns;
	struct hr_rt_cgjoin cgroups;
};

static int fork_exec(struct exec_ctx *x, pid_t *pid_out, int *sock_out, struct hr_error **err)
{
	_cleanup_close_ int saved = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hr_error_set(err, errno, "socketpair");
	/* a pid namespace is entered by our children only: switch, fork, switch back */
	if (x->pidns >= 0 && setns(x->pidns, CLONE_NEWPID) < 0) {
		close(sv[0]);
		close(sv[1]);
		return hr_error_set(err, errno, "join the container's pid namespace");
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		exec_child(&x->proc, x->ns, &x->cgroups, sv[1], x->console);
	}
	if (x->pidns >= 0 && saved >= 0)
		setns(saved, CLONE_NEWPID);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return hr_error_set(err, errno, "fork");
	}
	*pid_out = pid;
	*sock_out = sv[0];
	return 0;
}

static int setup_and_go(struct exec_ctx *x, pid_t pid, int sock, struct hr_error **err)
{
	char text[1024];
	int en = 0, t;

	for (size_t i = 0; i < x->proc.n_rlimits; i++)
		if (prlimit(pid, x->proc.rlimits[i].resource, &x->proc.rlimits[i].value, NULL) < 0)
			return hr_error_set(err, errno, "set rlimit");
	if (hr_rt_send_go(sock) < 0)
		return hr_error_set(err, errno, "start the exec'd process");
	t = hr_rt_recv(sock, &en, text, sizeof(text));
	if (t == HR_MSG_ERROR)
		return hr_error_set(err, en, "%s", text);
	if (t != 0)
		return hr_error_set(err, errno, "exec: lost the child");
	return 0;
}

static int prepare(const struct hr_cli *cli, struct exec_ctx *x, struct hr_error **err)
{
	const char *id = hr_cli_id(cli), *console = hr_cli_flag(cli, "console-socket");
	_cleanup_close_ int dirfd = hr_rt_state_dir(cli, id, false, false, err);
	_cleanup_json_ struct hr_json *spec = NULL, *proc = NULL;
	char path[64];
	const char *status;

	if (dirfd < 0 || hr_rt_state_read(dirfd, id, &x->s, err) < 0)
		return -1;
	status = hr_rt_state_status(dirfd, &x->s);
	if (strcmp(status, "paused") == 0 && !hr_cli_flag_bool(cli, "ignore-paused"))
		return hr_error_set(err, 0,
				    "cannot exec in a paused container (use --ignore-paused to "
				    "override)");
	if (strcmp(status, "running") != 0 && strcmp(status, "created") != 0 &&
	    strcmp(status, "paused") != 0)
		return hr_error_set(err, 0, "cannot exec in a %s container", status);
	if (!(spec = hr_rt_stored_config(dirfd, err)) ||
	    !(proc = exec_process_json(cli, spec, err)))
		return -1;
	if (hr_rt_process_load(&x->proc, proc, hr_json_get_path(spec, "linux/seccomp"), err) < 0)
		return hr_err_wrap(err, "exec process");
	if (hr_rt_preserve_fds(cli, &x->proc, err) < 0)
		return -1;
	if (x->proc.terminal && !console) {
		/* a foreground terminal, relayed to our stdio as `run` does */
		int sv[2];
		if (hr_cli_flag_bool(cli, "detach"))
			return hr_error_set(err, 0,
					    "cannot allocate tty if hardrun will detach without "
					    "setting console socket");
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return hr_error_set(err, errno, "socketpair for the terminal");
		x->console_peer = sv[0];
		x->console = sv[1];
	}
	if (x->proc.terminal && console && (x->console = hr_rt_console_connect(console, err)) < 0)
		return -1;
	if (open_namespaces(x->s.pid, x->ns, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)x->s.pid);
	x->pidns = open(path, O_RDONLY | O_CLOEXEC);
	/* the namespaces must still be the init's: a recycled pid would hand us a stranger's */
	if (!hr_rt_pid_alive(x->s.pid, x->s.starttime))
		return hr_error_set(err, 0, "container %s is not running", id);
	return 0;
}

int hr_rt_exec(const struct hr_cli *cli, int *exit_status, struct hr_error **err)
{
	struct exec_ctx x = {.console = -1, .console_peer = -1, .pidns = -1};
	_cleanup_close_ int master = -1;
	bool detach = hr_cli_flag_bool(cli, "detach");
	_cleanup_close_ int sock = -1;
	pid_t pid = -1;
	sigset_t old;
	int r = -1;

	for (size_t i = 0; i < N_NS; i++)
		x.ns[i] = -1;
	*exit_status = 0;
	if (!detach)
		hr_rt_block_signals(&old);
	if (prepare(cli, &x, err) < 0 ||
	    (x.s.cgroups_path && hr_rt_cgroup_open_join(x.s.cgroups_path, &x.cgroups, err) < 0) ||
	    fork_exec(&x, &pid, &sock, err) < 0)
		goto out;
	if (setup_and_go(&x, pid, sock, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	r = 0;
	if (hr_cli_flag(cli, "pid-file")) {
		_cleanup_free_ char *text = hr_xasprintf("%d", (int)pid);
		const char *pf = hr_cli_flag(cli, "pid-file");
		_cleanup_close_ int fd =
		    open(pf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 || write(fd, text, strlen(text)) < 0)
			r = hr_error_set(err, errno, "pid file %s", pf);
	}
	if (r == 0 && x.console_peer >= 0 && (master = hr_rt_recv_fd(x.console_peer)) < 0) {
		r = hr_error_set(err, errno, "receive the pty master");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (r == 0 && !detach && master >= 0)
		hr_rt_tty_relay(pid, master, exit_status);
	else if (r == 0 && !detach)
		hr_rt_wait_forward(pid, exit_status);
out:
	if (!detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	for (size_t i = 0; i < N_NS; i++)
		if (x.ns[i] >= 0)
			close(x.ns[i]);
	if (x.pidns >= 0)
		close(x.pidns);
	if (x.console >= 0)
		close(x.console);
	if (x.console_peer >= 0)
		close(x.console_peer);
	hr_rt_cgroup_join_close(&x.cgroups);
	hr_rt_state_free(&x.s);
	hr_rt_process_free(&x.proc);
	/* as runc: the runtime's own failures exit 255, apart from any status
	 * the process could have exited with; a bad command line stays 2 */
	if (r < 0 && *err && (*err)->status == HR_EXIT_ERROR)
		(*err)->status = 255; /* runc exec's own failure status */
	return r;
}
