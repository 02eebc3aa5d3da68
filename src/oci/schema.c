/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/schema.h"
#include "hardrun/util.h"

enum kind {
	K_OBJ,
	K_ARR,
	K_STR,
	K_BOOL,
	K_U32,
	K_U64,
	K_I64,
	K_STRV,	  /* array of strings */
	K_STRMAP, /* object of strings */
};

/* '*' matches any array element or object member. */
struct field {
	const char *path;
	enum kind kind;
};

static const struct field process_fields[] = {
    {"terminal", K_BOOL},
    {"consoleSize", K_OBJ},
    {"consoleSize/height", K_U32},
    {"consoleSize/width", K_U32},
    {"user", K_OBJ},
    {"user/uid", K_U32},
    {"user/gid", K_U32},
    {"user/umask", K_U32},
    {"user/additionalGids", K_ARR},
    {"user/additionalGids/*", K_U32},
    {"args", K_STRV},
    {"env", K_STRV},
    {"cwd", K_STR},
    {"capabilities", K_OBJ},
    {"capabilities/bounding", K_STRV},
    {"capabilities/effective", K_STRV},
    {"capabilities/inheritable", K_STRV},
    {"capabilities/permitted", K_STRV},
    {"capabilities/ambient", K_STRV},
    {"rlimits", K_ARR},
    {"rlimits/*", K_OBJ},
    {"rlimits/*/type", K_STR},
    {"rlimits/*/hard", K_U64},
    {"rlimits/*/soft", K_U64},
    {"noNewPrivileges", K_BOOL},
    {"apparmorProfile", K_STR},
    {"oomScoreAdj", K_I64},
    {"selinuxLabel", K_STR},
    {NULL, K_OBJ},
};

static const struct field config_fields[] = {
    {"ociVersion", K_STR},
    {"root", K_OBJ},
    {"root/path", K_STR},
    {"root/readonly", K_BOOL},
    {"process", K_OBJ},
    {"hostname", K_STR},
    {"domainname", K_STR},
    {"mounts", K_ARR},
    {"mounts/*", K_OBJ},
    {"mounts/*/destination", K_STR},
    {"mounts/*/source", K_STR},
    {"mounts/*/type", K_STR},
    {"mounts/*/options", K_STRV},
    {"mounts/*/uidMappings", K_ARR},
    {"mounts/*/gidMappings", K_ARR},
    {"hooks", K_OBJ},
    {"hooks/*", K_ARR},
    {"hooks/*/*", K_OBJ},
    {"hooks/*/*/path", K_STR},
    {"hooks/*/*/args", K_STRV},
    {"hooks/*/*/env", K_STRV},
    {"hooks/*/*/timeout", K_I64},
    {"annotations", K_STRMAP},
    {"linux", K_OBJ},
    {"linux/namespaces", K_ARR},
    {"linux/namespaces/*", K_OBJ},
    {"linux/namespaces/*/type", K_STR},
    {"linux/namespaces/*/path", K_STR},
    {"linux/uidMappings", K_ARR},
    {"linux/uidMappings/*", K_OBJ},
    {"linux/uidMappings/*/containerID", K_U32},
    {"linux/uidMappings/*/hostID", K_U32},
    {"linux/uidMappings/*/size", K_U32},
    {"linux/gidMappings", K_ARR},
    {"linux/gidMappings/*", K_OBJ},
    {"linux/gidMappings/*/containerID", K_U32},
    {"linux/gidMappings/*/hostID", K_U32},
    {"linux/gidMappings/*/size", K_U32},
    {"linux/devices", K_ARR},
    {"linux/devices/*", K_OBJ},
    {"linux/devices/*/path", K_STR},
    {"linux/devices/*/type", K_STR},
    {"linux/devices/*/major", K_I64},
    {"linux/devices/*/minor", K_I64},
    {"linux/cgroupsPath", K_STR},
    {"linux/resources", K_OBJ},
    {"linux/resources/pids", K_OBJ},
    {"linux/resources/pids/limit", K_I64},
    {"linux/resources/memory", K_OBJ},
    {"linux/resources/memory/limit", K_I64},
    {"linux/resources/memory/reservation", K_I64},
    {"linux/resources/memory/swap", K_I64},
    {"linux/resources/cpu", K_OBJ},
    {"linux/resources/cpu/shares", K_U64},
    {"linux/resources/cpu/quota", K_I64},
    {"linux/resources/cpu/period", K_U64},
    {"linux/resources/devices", K_ARR},
    {"linux/resources/devices/*", K_OBJ},
    {"linux/resources/devices/*/allow", K_BOOL},
    {"linux/resources/devices/*/type", K_STR},
    {"linux/resources/devices/*/major", K_I64},
    {"linux/resources/devices/*/minor", K_I64},
    {"linux/resources/devices/*/access", K_STR},
    {"linux/sysctl", K_STRMAP},
    {"linux/seccomp", K_OBJ},
    {"linux/seccomp/defaultAction", K_STR},
    {"linux/seccomp/defaultErrnoRet", K_U32},
    {"linux/seccomp/architectures", K_STRV},
    {"linux/seccomp/flags", K_STRV},
    {"linux/seccomp/listenerPath", K_STR},
    {"linux/seccomp/syscalls", K_ARR},
    {"linux/seccomp/syscalls/*", K_OBJ},
    {"linux/seccomp/syscalls/*/names", K_STRV},
    {"linux/seccomp/syscalls/*/action", K_STR},
    {"linux/seccomp/syscalls/*/errnoRet", K_U32},
    {"linux/seccomp/syscalls/*/args", K_ARR},
    {"linux/seccomp/syscalls/*/args/*", K_OBJ},
    {"linux/seccomp/syscalls/*/args/*/index", K_U32},
    {"linux/seccomp/syscalls/*/args/*/value", K_U64},
    {"linux/seccomp/syscalls/*/args/*/valueTwo", K_U64},
    {"linux/seccomp/syscalls/*/args/*/op", K_STR},
    {"linux/maskedPaths", K_STRV},
    {"linux/readonlyPaths", K_STRV},
    {"linux/mountLabel", K_STR},
    {"linux/rootfsPropagation", K_STR},
    {NULL, K_OBJ},
};

static const char *kind_text(enum kind k)
{
	switch (k) {
	case K_OBJ:
		return "an object";
	case K_ARR:
		return "an array";
	case K_STR:
		return "a string";
	case K_BOOL:
		return "a boolean";
	case K_U32:
		return "an integer in 0..4294967295";
	case K_U64:
		return "a non-negative integer";
	case K_I64:
		return "an integer";
	case K_STRV:
		return "an array of strings";
	case K_STRMAP:
		return "an object of strings";
	}
	return "?";
}

static bool is_strings(const struct hr_json *j, bool map)
{
	size_t n = map ? j->obj.len : j->arr.len;
	for (size_t i = 0; i < n; i++) {
		const struct hr_json *v = map ? j->obj.members[i].value : j->arr.items[i];
		/* A NUL inside a string would be cut short by every C consumer. */
		if (!hr_json_as_string(v))
			return false;
	}
	return true;
}

static bool matches(const struct hr_json *j, enum kind k)
{
	int64_t i = 0;
	uint64_t u = 0;
	switch (k) {
	case K_OBJ:
		return j->type == HR_JSON_OBJECT;
	case K_ARR:
		return j->type == HR_JSON_ARRAY;
	case K_STR:
		return hr_json_as_string(j) != NULL;
	case K_BOOL:
		return j->type == HR_JSON_BOOL;
	case K_U32:
		return hr_json_as_uint64(j, &u) && u <= UINT32_MAX;
	case K_U64:
		return hr_json_as_uint64(j, &u);
	case K_I64:
		return hr_json_as_int64(j, &i);
	case K_STRV:
		return j->type == HR_JSON_ARRAY && is_strings(j, false);
	case K_STRMAP:
		return j->type == HR_JSON_OBJECT && is_strings(j, true);
	}
	return false;
}

/*
 * The path walked so far, kept as a chain on the stack and only turned into
 * text for an error: formatting every array element's path cost more than
 * the whole check.
 */
struct seg {
	const struct seg *up;
	const char *key; /* NULL: array index */
	size_t index;
};

static char *seg_text(const struct seg *sg)
{
	if (!sg)
		return hr_xstrdup("");
	_cleanup_free_ char *up = seg_text(sg->up);
	if (!sg->key)
		return hr_xasprintf("%s[%zu]", up, sg->index);
	return *up ? hr_xasprintf("%s.%s", up, sg->key) : hr_xstrdup(sg->key);
}

/* Walk `rest` below j; `at` is where j sits, for errors. */
static int walk(const struct hr_json *j, const char *rest, enum kind k, const struct seg *at,
		struct hr_error **err)
{
	if (hr_json_is_null(j))
		return 0; /* absent and null are the same to runc */
	if (!*rest) {
		if (matches(j, k))
			return 0;
		_cleanup_free_ char *got = hr_json_brief(j);
		_cleanup_free_ char *shown = seg_text(at);
		if (strlen(got) > 60)
			strcpy(got + 57, "...");
		return hr_error_set(err, 0, "config: `%s` must be %s, got %s", shown, kind_text(k),
				    got);
	}
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *next = slash ? slash + 1 : rest + n;
	if (n == 1 && rest[0] == '*') {
		if (j->type == HR_JSON_ARRAY) {
			for (size_t i = 0; i < j->arr.len; i++) {
				struct seg s = {at, NULL, i};
				if (walk(j->arr.items[i], next, k, &s, err) < 0)
					return -1;
			}
		} else if (j->type == HR_JSON_OBJECT) {
			for (size_t i = 0; i < j->obj.len; i++) {
				struct seg s = {at, j->obj.members[i].key, 0};
				if (walk(j->obj.members[i].value, next, k, &s, err) < 0)
					return -1;
			}
		}
		return 0; /* the container's own type is checked by its own entry */
	}
	char key[64];
	if (n >= sizeof(key) || j->type != HR_JSON_OBJECT)
		return 0;
	memcpy(key, rest, n);
	key[n] = '\0';
	struct seg s = {at, key, 0};
	return walk(hr_json_get(j, key), next, k, &s, err);
}

static int check(const struct hr_json *root, const struct field *fields, const char *prefix,
		 struct hr_error **err)
{
	struct seg top = {NULL, prefix, 0};
	for (const struct field *f = fields; f->path; f++)
		if (walk(root, f->path, f->kind, *prefix ? &top : NULL, err) < 0)
			return -1;
	return 0;
}

int hr_schema_check(const struct hr_json *spec, bool process_only, struct hr_error **err)
{
	if (process_only)
		return check(spec, process_fields, "process", err);
	if (check(spec, config_fields, "", err) < 0)
		return -1;
	/* runc only finds out after it has set the container up; a config with
	 * no process has nothing to harden, so it goes no further than here. */
	const struct hr_json *p = hr_json_get(spec, "process");
	if (hr_json_is_null(p))
		return hr_error_set(err, 0, "config: `process` is required (got %s)",
				    p ? "null" : "nothing");
	return check(p, process_fields, "process", err);
}
