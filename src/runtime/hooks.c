/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI hooks, with the state JSON on stdin.  Which hooks may run at all is the
 * policy's decision (the hooks rule) before the config reaches us.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "rt.h"

static const char *kind_names[HR_HOOK_N] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

/* Wait for pid at most timeout seconds (0: forever).  Returns its wait status or -1. */
static int wait_timeout(pid_t pid, int timeout)
{
	int st = 0;
	_cleanup_close_ int pfd = -1;

	if (timeout > 0) {
		pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			if (poll(&p, 1, timeout * 1000) == 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				errno = ETIMEDOUT;
				return -1;
			}
		}
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

int hr_rt_run_hook(const struct hr_rt_hook *h, const char *state, struct hr_error **err)
{
	_cleanup_close_ int rd = -1, wr = -1;
	char *fallback[] = {h->path, NULL};
	size_t len = strlen(state);
	int fds[2], st;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return hr_error_set(err, errno, "hook %s: pipe", h->path);
	rd = fds[0];
	wr = fds[1];
	/* the whole state goes in before the hook runs: no SIGPIPE if it never reads */
	if (len > 65536 || write(wr, state, len) != (ssize_t)len)
		return hr_error_set(err, errno, "hook %s: state too large", h->path);
	close(hr_steal_fd(&wr));
	pid = fork();
	if (pid < 0)
		return hr_error_set(err, errno, "hook %s: fork", h->path);
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(rd, 0) < 0)
			_exit(127);
		execve(h->path, h->args && h->args[0] ? h->args : fallback,
		       h->env ? h->env : (char *[]){NULL});
		_exit(127);
	}
	st = wait_timeout(pid, h->timeout);
	if (st < 0)
		return hr_error_set(err, errno, "hook %s", h->path);
	if (WIFSIGNALED(st))
		return hr_error_set(err, 0, "hook %s killed by signal %d", h->path, WTERMSIG(st));
	if (WEXITSTATUS(st) != 0)
		return hr_error_set(err, 0, "hook %s exited with status %d", h->path,
				    WEXITSTATUS(st));
	return 0;
}

int hr_rt_run_hooks(const struct hr_rt_config *c, enum hr_rt_hook_kind kind,
		    const struct hr_json *state, struct hr_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (!c->n_hooks[kind])
		return 0;
	if (hr_json_serialize(state, false, &text, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n_hooks[kind]; i++)
		if (hr_rt_run_hook(&c->hooks[kind][i], text, err) < 0)
			return hr_err_wrap(err, "%s hook %zu", kind_names[kind], i);
	return 0;
}

struct hr_json *hr_rt_stored_config(int dirfd, struct hr_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (hr_read_file_at(dirfd, "config.json", 64 << 20, &text, &len, err) < 0)
		return NULL;
	return hr_json_parse(text, len, NULL, err);
}

int hr_rt_run_stored_hooks(int dirfd, enum hr_rt_hook_kind kind, const struct hr_rt_state *s,
			   const char *status, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *spec = hr_rt_stored_config(dirfd, err);
	_cleanup_json_ struct hr_json *sj = NULL;
	_cleanup_free_ char *text = NULL;
	const struct hr_json *a;
	size_t len = 0;

	if (!spec)
		return hr_err_wrap(err, "config of %s", s->id);
	a = hr_json_get(hr_json_get(spec, "hooks"), kind_names[kind]);
	if (hr_json_is_null(a) || a->type != HR_JSON_ARRAY || a->arr.len == 0)
		return 0;
	sj = hr_rt_state_json(s, status);
	if (hr_json_serialize(sj, false, &text, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < a->arr.len; i++) {
		const struct hr_json *hj = a->arr.items[i];
		struct hr_rt_hook h = {.path = (char *)hr_json_as_string(hr_json_get(hj, "path"))};
		_cleanup_strv_ char **args = NULL, **env = NULL;
		const struct hr_json *v;
		int64_t t = 0;

		if (!h.path)
			continue;
		if ((v = hr_json_get(hj, "args")) && v->type == HR_JSON_ARRAY)
			for (size_t k = 0; k < v->arr.len; k++)
				if (hr_json_as_string(v->arr.items[k]))
					hr_strv_push(&args, hr_json_as_string(v->arr.items[k]));
		if ((v = hr_json_get(hj, "env")) && v->type == HR_JSON_ARRAY)
			for (size_t k = 0; k < v->arr.len; k++)
				if (hr_json_as_string(v->arr.items[k]))
					hr_strv_push(&env, hr_json_as_string(v->arr.items[k]));
		if (hr_json_as_int64(hr_json_get(hj, "timeout"), &t) && t > 0)
			h.timeout = (int)t;
		h.args = args;
		h.env = env;
		if (hr_rt_run_hook(&h, text, err) < 0)
			return hr_err_wrap(err, "%s hook %zu", kind_names[kind], i);
	}
	return 0;
}
