/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/delegate.h"
#include "hardrun/util.h"

extern char **environ;

static bool is_self(const char *path)
{
	struct stat a, b;
	if (stat(path, &a) < 0 || stat("/proc/self/exe", &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* First executable `name` on PATH that is not hardrun itself. */
static char *search_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *copy = hr_xstrdup(path);
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *cand = hr_xasprintf("%s/%s", *dir ? dir : ".", name);
		if (is_executable(cand) && !is_self(cand)) {
			char *abs = hr_realpath(cand);
			return abs ? abs : hr_steal_ptr(&cand);
		}
	}
	return NULL;
}

bool hr_runtime_is(const char *runtime, const char *name)
{
	const char *slash = strrchr(runtime, '/');

	return strcmp(slash ? slash + 1 : runtime, name) == 0;
}

char *hr_delegate_find(const char *requested, bool allow_builtin, struct hr_error **err)
{
	if (requested && *requested) {
		if (strcmp(requested, HR_RUNTIME_BUILTIN) == 0)
			return hr_xstrdup(HR_RUNTIME_BUILTIN);
		if (strchr(requested, '/')) {
			if (!is_executable(requested)) {
				hr_error_set(err, errno ? errno : EACCES, "lower runtime `%s`",
					     requested);
				return NULL;
			}
			if (is_self(requested)) {
				hr_error_set(err, 0,
					     "lower runtime `%s` is hardrun itself: refusing to "
					     "exec it in a loop",
					     requested);
				return NULL;
			}
			return hr_xstrdup(requested);
		}
		char *p = search_path(requested);
		if (!p)
			hr_error_set(err, 0, "lower runtime `%s` not found on PATH", requested);
		return p;
	}
	char *p = search_path("runc");
	if (!p)
		p = search_path("crun");
	/* Said every time: a host that lost runc must not quietly change
	 * runtimes (the builtin one is a different code path). */
	if (!p && allow_builtin) {
		hr_warn(
		    "neither runc nor crun is on PATH: using hardrun's builtin runtime (install "
		    "runc, or set `runtime: \"builtin\"` in the host policy to choose it)");
		return hr_xstrdup(HR_RUNTIME_BUILTIN);
	}
	if (!p)
		hr_error_set(err, 0,
			     "no lower runtime found: neither runc nor crun is on PATH (set "
			     "--hardrun-runtime or `runtime` in the policy)");
	return p;
}

int hr_delegate_exec(const char *runtime, const struct hr_cli *cli, struct hr_error **err)
{
	cli->runtime_argv[0] = (char *)runtime;
	execve(runtime, cli->runtime_argv, environ);
	return hr_error_set_status(err, HR_EXIT_NOEXEC, errno, "exec lower runtime `%s`", runtime);
}

int hr_delegate_run(const char *runtime, const struct hr_cli *cli, int *status,
		    struct hr_error **err)
{
	int wstatus = 0;
	pid_t pid = fork();
	if (pid < 0)
		return hr_error_set(err, errno, "fork");
	if (pid == 0) {
		cli->runtime_argv[0] = (char *)runtime;
		execve(runtime, cli->runtime_argv, environ);
		_exit(HR_EXIT_NOEXEC);
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return hr_error_set(err, errno, "wait for `%s`", runtime);
	if (WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
	else
		*status = 128 + WTERMSIG(wstatus);
	if (*status == HR_EXIT_NOEXEC)
		return hr_error_set_status(err, HR_EXIT_NOEXEC, 0,
					   "lower runtime `%s` could not be executed", runtime);
	return 0;
}

char *hr_delegate_capture(const char *runtime, const char *arg)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(fds[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		execl(runtime, runtime, arg, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return NULL;
	}
	size_t len = 0, cap = 8192;
	char *buf = hr_xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			buf = hr_xrealloc(buf, cap *= 2);
		ssize_t r = read(fds[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	buf[len] = '\0';
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || len == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
