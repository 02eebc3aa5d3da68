/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp user notification: SCMP_ACT_NOTIFY rules hand a syscall to an
 * agent, which the runtime reaches by connecting to `listenerPath` (as
 * root, on the host, before the container runs) and sending it the
 * container's state and the notification fd.
 *
 * A profile that otherwise allows everything is replaced by the default
 * profile, but its notify rules and listener are kept on top of it, so
 * agents keep seeing their calls; the never-allowed scrub then runs over
 * the result like over any custom profile.
 *
 * The listener is judged by the socket it resolves to, not by its text: a
 * runtime's or the system bus's socket (by inode, so a symlink or a
 * hardlink to it is the same socket) would be handed a connection from
 * root with the container's state.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "seccomp-int.h"

/* Sockets of the runtimes, engines and buses on a host. */
static const char *const runtime_sockets[] = {
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock.ttrpc",
    "/run/containerd/debug.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/cri-dockerd.sock",
    "/run/dockershim.sock",
    "/run/podman/podman.sock",
    "/run/buildkit/buildkitd.sock",
    "/run/dbus/system_bus_socket",
    "/run/systemd/private",
    "/run/systemd/notify",
    "/run/systemd/journal/socket",
    "/run/systemd/journal/stdout",
    "/run/udev/control",
    "/run/snapd.socket",
    NULL,
};

/* Directories whose every socket belongs to one of those (resolved path below them). */
static const char *const runtime_dirs[] = {
    "/run/docker/",   "/run/containerd/", "/run/crio/",	   "/run/podman/",
    "/run/buildkit/", "/run/dbus/",	  "/run/systemd/", "/run/runc/",
    "/run/hardrun/",  "/run/user/",	  "/run/k3s/",	   NULL,
};

static bool is_notify(const struct hr_json *rule)
{
	const char *a = hr_json_as_string(hr_json_get(rule, "action"));
	return a && strcmp(a, "SCMP_ACT_NOTIFY") == 0;
}

bool hr_seccomp_has_notify(const struct hr_json *sc)
{
	const struct hr_json *calls = hr_json_get(sc, "syscalls");
	const char *l = hr_json_as_string(hr_json_get(sc, "listenerPath"));

	if (l && *l)
		return true;
	for (size_t i = 0; calls && calls->type == HR_JSON_ARRAY && i < calls->arr.len; i++)
		if (is_notify(calls->arr.items[i]))
			return true;
	return false;
}

/* Remove `name` from every rule of base; drop rules left without names. */
static void forget_name(struct hr_json *calls, const char *name)
{
	for (size_t i = 0; i < calls->arr.len;) {
		struct hr_json *names = hr_json_get(calls->arr.items[i], "names");
		size_t had = names && names->type == HR_JSON_ARRAY ? names->arr.len : 0;
		for (size_t j = 0; j < had;) {
			const char *n = hr_json_as_string(names->arr.items[j]);
			if (n && strcmp(n, name) == 0) {
				hr_json_array_remove(names, j);
				had--;
			} else {
				j++;
			}
		}
		if (names && names->type == HR_JSON_ARRAY && names->arr.len == 0)
			hr_json_array_remove(calls, i);
		else
			i++;
	}
}

struct hr_json *hr_seccomp_notify_onto(const struct hr_json *sc, const struct hr_json *base)
{
	static const char *const keep[] = {"listenerPath", "listenerMetadata", NULL};
	struct hr_json *out = hr_json_clone(base);
	struct hr_json *calls = hr_json_ensure_array(out, "syscalls");
	const struct hr_json *mine = hr_json_get(sc, "syscalls");

	for (size_t i = 0; keep[i]; i++) {
		const struct hr_json *v = hr_json_get(sc, keep[i]);
		if (!hr_json_is_null(v))
			hr_json_set(out, keep[i], hr_json_clone(v));
	}
	for (size_t i = 0; calls && mine && mine->type == HR_JSON_ARRAY && i < mine->arr.len; i++) {
		const struct hr_json *rule = mine->arr.items[i];
		const struct hr_json *names = hr_json_get(rule, "names");
		if (!is_notify(rule) || !names || names->type != HR_JSON_ARRAY)
			continue;
		/* the agent decides these calls, not the default profile's rule */
		for (size_t j = 0; j < names->arr.len; j++)
			if (hr_json_as_string(names->arr.items[j]))
				forget_name(calls, hr_json_as_string(names->arr.items[j]));
		hr_json_append(calls, hr_json_clone(rule));
	}
	return out;
}

static bool same_file(const struct stat *a, const char *path)
{
	struct stat b;
	return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

char *hr_seccomp_listener_refusal(const char *path)
{
	struct stat st;
	char fdpath[64], real[PATH_MAX];

	if (path[0] == '@')
		return hr_xasprintf("`%s` is an abstract socket, which has no owner to check",
				    path);
	if (path[0] != '/')
		return hr_xasprintf("`%s` is not an absolute path", path);
	/* what the runtime's connect() will reach: the symlinks followed */
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL; /* nothing there yet: the runtime fails to connect */
	if (!S_ISSOCK(st.st_mode))
		return hr_xasprintf("`%s` is not a socket", path);
	for (size_t i = 0; runtime_sockets[i]; i++)
		if (same_file(&st, runtime_sockets[i]))
			return hr_xasprintf("`%s` is %s, a runtime or system socket", path,
					    runtime_sockets[i]);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fdpath, real, sizeof(real) - 1);
	if (n < 0)
		return hr_xasprintf("`%s`: cannot tell which socket it is", path);
	real[n] = '\0';
	for (size_t i = 0; runtime_dirs[i]; i++)
		if (strncmp(real, runtime_dirs[i], strlen(runtime_dirs[i])) == 0)
			return hr_xasprintf("`%s` is %s, under %s, a runtime's or a bus's sockets",
					    path, real, runtime_dirs[i]);
	return NULL;
}
