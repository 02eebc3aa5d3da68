/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/delegate.h"
#include "hardrun/features.h"
#include "hardrun/json.h"
#include "hardrun/util.h"

static char *capture(const char *runtime, const char *arg)
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
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static struct hr_json *builtin_features(void)
{
	static const char *const ns[] = {"cgroup", "ipc",  "mount", "network",
					 "pid",	   "user", "uts",   NULL};
	struct hr_json *f = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(f, "ociVersionMin", hr_json_new_string("1.0.0"));
	hr_json_set(f, "ociVersionMax", hr_json_new_string("1.1.0"));
	struct hr_json *lx = hr_json_ensure_object(f, "linux");
	struct hr_json *arr = hr_json_ensure_array(lx, "namespaces");
	for (size_t i = 0; ns[i]; i++)
		hr_json_append(arr, hr_json_new_string(ns[i]));
	return f;
}

int hr_features_main(const char *runtime, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *f = NULL;
	_cleanup_free_ char *out = NULL;

	if (strcmp(runtime, HR_RUNTIME_BUILTIN) != 0) {
		_cleanup_free_ char *raw = capture(runtime, "features");
		if (!raw)
			return hr_error_set(err, 0, "`%s features` failed", runtime);
		f = hr_json_parse(raw, strlen(raw), NULL, err);
		if (!f || f->type != HR_JSON_OBJECT)
			return hr_err_wrap(err, "`%s features` output", runtime);
	} else {
		f = builtin_features();
	}
	struct hr_json *lx = hr_json_ensure_object(f, "linux");
	struct hr_json *ns = lx ? hr_json_ensure_array(lx, "namespaces") : NULL;
	if (!ns)
		return hr_error_set(err, 0, "`%s features`: unexpected layout", runtime);
	bool has_user = false;
	for (size_t i = 0; i < ns->arr.len; i++)
		has_user |= hr_json_as_string(ns->arr.items[i]) &&
			    !strcmp(hr_json_as_string(ns->arr.items[i]), "user");
	if (!has_user)
		hr_json_append(ns, hr_json_new_string("user"));
	struct hr_json *ext = hr_json_ensure_object(lx, "mountExtensions");
	struct hr_json *idmap = ext ? hr_json_ensure_object(ext, "idmap") : NULL;
	if (!idmap)
		return hr_error_set(err, 0, "`%s features`: unexpected layout", runtime);
	hr_json_set(idmap, "enabled", hr_json_new_bool(true));
	struct hr_json *ann = hr_json_ensure_object(f, "annotations");
	if (ann)
		hr_json_set(ann, "run.hardrun.version", hr_json_new_string(HR_VERSION));
	if (hr_json_serialize(f, true, &out, NULL, err) < 0)
		return -1;
	puts(out);
	return 0;
}
