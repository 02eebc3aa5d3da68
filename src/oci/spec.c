/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

struct hr_json *hr_spec_get(struct hr_json *spec, const char *path, enum hr_json_type want,
			    bool create, struct hr_error **err)
{
	struct hr_json *cur = spec;
	const char *full = path;
	char key[128];

	while (*path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		enum hr_json_type t = slash ? HR_JSON_OBJECT : want;
		if (n >= sizeof(key)) {
			hr_error_set(err, 0, "spec path too long");
			return NULL;
		}
		memcpy(key, path, n);
		key[n] = '\0';
		struct hr_json *next = hr_json_get(cur, key);
		if (hr_json_is_null(next)) {
			if (!create || (t != HR_JSON_OBJECT && t != HR_JSON_ARRAY) ||
			    cur->type != HR_JSON_OBJECT)
				return NULL;
			next = hr_json_new(t);
			hr_json_set(cur, key, next);
		} else if (next->type != t) {
			hr_error_set(err, 0, "config: `%.*s` must be %s %s, not %s",
				     (int)(path - full + n), full,
				     t == HR_JSON_ARRAY || t == HR_JSON_OBJECT ? "an" : "a",
				     hr_json_type_name(t), hr_json_type_name(next->type));
			return NULL;
		}
		cur = next;
		path += n + (slash ? 1 : 0);
	}
	return cur;
}

int hr_spec_get_string(struct hr_json *spec, const char *path, const char **out,
		       struct hr_error **err)
{
	struct hr_error *e = NULL;
	struct hr_json *j = hr_spec_get(spec, path, HR_JSON_STRING, false, &e);
	*out = NULL;
	if (e) {
		*err = e;
		return -1;
	}
	if (j) {
		*out = hr_json_as_string(j);
		if (!*out)
			return hr_error_set(err, 0, "config: `%s` contains a NUL character", path);
	}
	return 0;
}

int hr_bundle_lock(const char *bundle, struct hr_error **err)
{
	_cleanup_close_ int fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return hr_error_set(err, errno, "bundle `%s`", bundle);
	/* Two containers created side by side from one bundle: each hardens
	 * and hands over config.json under this lock (see hr_delegate_create). */
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return hr_error_set(err, errno, "lock bundle `%s`", bundle);
	return hr_steal_fd(&fd);
}

struct hr_json *hr_spec_load(const char *bundle, int *dirfd, struct hr_error **err)
{
	_cleanup_close_ int fd = hr_bundle_lock(bundle, err);

	if (fd < 0)
		return NULL;
	struct hr_json *spec = hr_spec_load_at(fd, "config.json", bundle, err);
	if (spec && dirfd)
		*dirfd = hr_steal_fd(&fd);
	return spec;
}

struct hr_json *hr_spec_load_at(int dirfd, const char *name, const char *bundle,
				struct hr_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (hr_read_file_at(dirfd, name, HR_SPEC_MAX_BYTES, &buf, &len, err) < 0) {
		hr_err_wrap(err, "bundle `%s`", bundle);
		return NULL;
	}
	struct hr_json *spec = hr_json_parse(buf, len, NULL, err);
	if (!spec) {
		hr_err_wrap(err, "%s/config.json", bundle);
		return NULL;
	}
	if (spec->type != HR_JSON_OBJECT) {
		hr_json_free(spec);
		hr_error_set(err, 0, "%s/config.json: the top level must be an object", bundle);
		return NULL;
	}
	return spec;
}

int hr_spec_write(int dirfd, const struct hr_json *spec, struct hr_error **err)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0;

	if (hr_json_serialize(spec, true, &out, &len, err) < 0)
		return -1;
	out = hr_xrealloc(out, len + 2);
	out[len++] = '\n';
	return hr_write_file_atomic(dirfd, "config.json", out, len, 0644, err);
}
