/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <root>/<id>/state.json.  Every reader and writer holds a flock on the
 * container directory, writes go through hr_write_file_atomic(), and a pid
 * is only trusted together with its start time (/proc/<pid>/stat field 22):
 * a recycled pid never receives our signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/runtime.h"
#include "hardrun/util.h"
#include "rt.h"

const char *hr_rt_root(const struct hr_cli *cli)
{
	return cli->root && *cli->root ? cli->root : HR_RT_DEFAULT_ROOT;
}

static int check_id(const char *id, struct hr_error **err)
{
	if (!id || !*id)
		return hr_error_set_status(err, HR_EXIT_USAGE, 0, "container id cannot be empty");
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
		return hr_error_set(err, 0, "invalid container id %s", id);
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_+-.", *p)))
			return hr_error_set(err, 0, "invalid container id %s", id);
	return 0;
}

int hr_rt_state_dir(const struct hr_cli *cli, const char *id, bool create, bool exclusive,
		    struct hr_error **err)
{
	const char *root = hr_rt_root(cli);
	_cleanup_close_ int rootfd = -1, fd = -1;

	if (check_id(id, err) < 0)
		return -1;
	if (create && hr_mkdir_p(root, 0700, err) < 0)
		return hr_err_wrap(err, "runtime root %s", root);
	rootfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (rootfd < 0)
		return hr_error_set(err, 0, "container does not exist"); /* runc's words */
	if (create && mkdirat(rootfd, id, 0711) < 0) {
		if (errno == EEXIST)
			return hr_error_set(err, 0, "container with id %s already exists", id);
		return hr_error_set(err, errno, "create the state directory for %s", id);
	}
	fd = openat(rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return hr_error_set(err, 0, "container does not exist");
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		return hr_error_set(err, errno, "lock the state of %s", id);
	return hr_steal_fd(&fd);
}

int hr_rt_pid_starttime(pid_t pid, unsigned long long *out)
{
	char path[64], buf[2048];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* comm may hold spaces and parens: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return -1;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	*out = strtoull(p, NULL, 10);
	return 0;
}

bool hr_rt_pid_alive(pid_t pid, unsigned long long starttime)
{
	unsigned long long now = 0;
	return pid > 0 && hr_rt_pid_starttime(pid, &now) == 0 && now == starttime;
}

static struct hr_json *str_or_empty(const char *s)
{
	return hr_json_new_string(s ? s : "");
}

int hr_rt_state_write(int dirfd, const struct hr_rt_state *s, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *j = hr_rt_state_json(s, s->status);
	struct hr_json *h = hr_json_new(HR_JSON_OBJECT);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	hr_json_set(h, "starttime", hr_json_new_uint(s->starttime));
	/* runc's names too: tools (and hardrun's userns rule) read them from state.json */
	hr_json_set(j, "init_process_pid", hr_json_new_int(s->pid));
	hr_json_set(j, "init_process_start", hr_json_new_uint(s->starttime));
	hr_json_set(h, "cgroupsPath", str_or_empty(s->cgroups_path));
	hr_json_set(h, "detached", hr_json_new_bool(s->detached));
	hr_json_set(j, "hardrun", h);
	if (hr_json_serialize(j, false, &text, &len, err) < 0)
		return -1;
	return hr_write_file_atomic(dirfd, "state.json", text, len, 0600, err);
}

static char *dup_member(const struct hr_json *j, const char *name)
{
	const char *s = hr_json_as_string(hr_json_get(j, name));
	return s ? hr_xstrdup(s) : NULL;
}

int hr_rt_state_read(int dirfd, const char *id, struct hr_rt_state *s, struct hr_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ struct hr_json *j = NULL;
	const struct hr_json *h;
	int64_t pid = 0;
	uint64_t st = 0;
	size_t len = 0;

	memset(s, 0, sizeof(*s));
	if (hr_read_file_at(dirfd, "state.json", 1 << 20, &text, &len, err) < 0) {
		hr_error_clear(err);
		return hr_error_set(err, 0, "container does not exist");
	}
	j = hr_json_parse(text, len, NULL, err);
	if (!j)
		return hr_err_wrap(err, "state of %s", id);
	s->id = dup_member(j, "id");
	s->bundle = dup_member(j, "bundle");
	s->rootfs = dup_member(j, "rootfs");
	s->created = dup_member(j, "created");
	s->status = dup_member(j, "status");
	hr_json_as_int64(hr_json_get(j, "pid"), &pid);
	s->pid = (pid_t)pid;
	h = hr_json_get(j, "hardrun");
	if (hr_json_as_uint64(hr_json_get(h, "starttime"), &st))
		s->starttime = st;
	s->cgroups_path = dup_member(h, "cgroupsPath");
	s->detached = hr_json_get(h, "detached") &&
		      hr_json_get(h, "detached")->type == HR_JSON_BOOL &&
		      hr_json_get(h, "detached")->boolean;
	if (!hr_json_is_null(hr_json_get(j, "annotations")))
		s->annotations = hr_json_clone(hr_json_get(j, "annotations"));
	if (!s->id || !s->status)
		return hr_error_set(err, 0, "state of %s is corrupt", id);
	return 0;
}

void hr_rt_state_free(struct hr_rt_state *s)
{
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->status);
	free(s->cgroups_path);
	hr_json_free(s->annotations);
	memset(s, 0, sizeof(*s));
}

const char *hr_rt_state_status(int dirfd, const struct hr_rt_state *s)
{
	if (!hr_rt_pid_alive(s->pid, s->starttime))
		return "stopped";
	if (faccessat(dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return "created";
	if (s->cgroups_path && hr_rt_cgroup_frozen(s->cgroups_path))
		return "paused";
	return "running";
}

struct hr_json *hr_rt_state_json(const struct hr_rt_state *s, const char *status)
{
	struct hr_json *j = hr_json_new(HR_JSON_OBJECT);
	bool stopped = strcmp(status, "stopped") == 0;

	hr_json_set(j, "ociVersion", hr_json_new_string("1.0.2-dev"));
	hr_json_set(j, "id", str_or_empty(s->id));
	hr_json_set(j, "pid", hr_json_new_int(stopped ? 0 : s->pid));
	hr_json_set(j, "status", hr_json_new_string(status));
	hr_json_set(j, "bundle", str_or_empty(s->bundle));
	hr_json_set(j, "rootfs", str_or_empty(s->rootfs));
	hr_json_set(j, "created", str_or_empty(s->created));
	hr_json_set(j, "owner", hr_json_new_string(""));
	if (s->annotations && s->annotations->type == HR_JSON_OBJECT && s->annotations->obj.len)
		hr_json_set(j, "annotations", hr_json_clone(s->annotations));
	return j;
}

int hr_rt_state_remove(const struct hr_cli *cli, const char *id, struct hr_error **err)
{
	_cleanup_close_ int rootfd = open(hr_rt_root(cli), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	static const char *files[] = {"state.json", "config.json", "exec.fifo"};

	if (check_id(id, err) < 0)
		return -1;
	if (rootfd < 0)
		return hr_error_set(err, errno, "open %s", hr_rt_root(cli));
	fd = openat(rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0)
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			unlinkat(fd, files[i], 0);
	if (unlinkat(rootfd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return hr_error_set(err, errno, "remove the state of %s", id);
	return 0;
}
