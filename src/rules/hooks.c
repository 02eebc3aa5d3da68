/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `hooks`: OCI hooks run on the host, as root, outside every
 * namespace the container gets, so a hook is arbitrary code execution on
 * the node.  Two kinds may run:
 *
 * - the engines' own hooks (host policy `hooks.engines`, on by default):
 *   Docker's libnetwork puts `/proc/<dockerd pid>/exe libnetwork-setkey ...`
 *   in every container with a network namespace of its own.  Such a hook is
 *   recognised by the file it executes, never by its path string: the path
 *   is resolved by the kernel (stat follows /proc/<pid>/exe to the running
 *   binary) and compared by device and inode with the engine binary the
 *   host installed in a system directory (root's, writable by root only).
 *   Its arguments must be the engine's own (args[0] selects dockerd's
 *   re-exec handler) and it may carry no environment (LD_PRELOAD would turn
 *   dockerd into any library's loader).  The path is then pinned to the
 *   installed binary, so that a /proc/<pid> that a later process reuses
 *   cannot change what runs.
 * - binaries the host policy lists (hooks.allowed): judged by the file the
 *   hook path opens to (every link followed, /proc/<pid>/exe included),
 *   never by a string: same device and inode as an allowlisted entry,
 *   itself stat'ed on the host, a regular file of root's in a directory
 *   only root can write.  A string from readlink(/proc/<pid>/exe) is the
 *   path in that process's mount namespace: a container's own binary on
 *   its tmpfs would read as an allowlisted host path.  The accepted hook
 *   is pinned to the allowlisted path, so what runs is the file checked.
 *
 * Every member of the hooks object is checked, whatever its name, so a case
 * variant or a hook kind newer than this code cannot slip past.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/path.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#define SECTION "hooks"

struct hooks_settings {
	bool allow; /* false: no hook at all, whatever the policy lists */
};

static void free_settings(void *p)
{
	free(p);
}

static int parse(const struct hr_json *section, const char *file, void **settings,
		 struct hr_error **err)
{
	static const char *const keys[] = {"allow", NULL};
	struct hooks_settings *s = hr_xcalloc(1, sizeof(*s));

	s->allow = true;
	if (section && (hr_policy_check_keys(section, file, SECTION, keys, err) < 0 ||
			hr_policy_get_bool(section, "allow", &s->allow, file, SECTION, err) < 0)) {
		free(s);
		return -1;
	}
	*settings = s;
	return 0;
}

/* Where a package manager installs an engine; never a directory from PATH. */
static const char *const system_dirs[] = {"/usr/bin",	     "/usr/sbin", "/usr/local/bin",
					  "/usr/local/sbin", "/bin",	  "/sbin"};

/* The engines' own hooks: the binary and the args[0] its engine runs it with. */
static const struct engine_hook {
	const char *binary;
	const char *arg0;
	const char *option; /* the one option the engine passes, "-name=" */
} engine_hooks[] = {
    {"dockerd", "libnetwork-setkey", "-exec-root="},
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * The file a hook path opens to, every link followed the way execve will
 * follow it: /proc/<pid>/exe is a magic link to the process's executable
 * itself, so this is the real file even when the readlink string names a
 * path only that process's mount namespace has.
 */
static bool open_stat(const char *path, struct stat *st)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
	return fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode);
}

/* Root's, and only root can change it or swap it for another file. */
static bool root_only(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & 022);
}

/*
 * The installed `binary` whose file is `want`: its resolved path
 * (malloc'd), or NULL.  Only root's files that only root can write count:
 * anything else in a system directory is not the host's engine.
 */
static char *installed_engine(const char *binary, const struct stat *want)
{
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
		_cleanup_free_ char *p = hr_xasprintf("%s/%s", system_dirs[i], binary);
		struct stat st;
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
		    (st.st_mode & 022) || !same_file(&st, want))
			continue;
		return hr_realpath(p);
	}
	return NULL;
}

/* Are the hook's args and env exactly what the engine writes? */
static bool engine_args_ok(const struct engine_hook *e, const struct hr_json *h)
{
	const struct hr_json *args = hr_json_get(h, "args"), *env = hr_json_get(h, "env");

	if (!hr_json_is_null(env) && (env->type != HR_JSON_ARRAY || env->arr.len > 0))
		return false;
	if (!args || args->type != HR_JSON_ARRAY || args->arr.len < 1 || args->arr.len > 8)
		return false;
	for (size_t i = 0; i < args->arr.len; i++) {
		const char *a = hr_json_as_string(args->arr.items[i]);
		if (!a || (i == 0 && strcmp(a, e->arg0) != 0))
			return false;
		if (i > 0 && a[0] == '-' && !hr_startswith(a, e->option))
			return false;
	}
	return true;
}

/*
 * An engine's own hook?  NULL when it is not an engine binary at all;
 * otherwise *pin (the installed binary to run) or *why (the refusal).
 */
static bool engine_hook(const struct hr_json *h, const char *path, char **pin, char **why)
{
	struct stat st;

	if (!open_stat(path, &st))
		return false;
	for (size_t i = 0; i < sizeof(engine_hooks) / sizeof(engine_hooks[0]); i++) {
		const struct engine_hook *e = &engine_hooks[i];
		_cleanup_free_ char *inst = installed_engine(e->binary, &st);
		if (!inst)
			continue;
		if (engine_args_ok(e, h))
			*pin = hr_steal_ptr(&inst);
		else
			*why = hr_xasprintf("hook `%s` runs %s, but not as its engine's own hook "
					    "(args[0] `%s`, no environment)",
					    path, inst, e->arg0);
		return true;
	}
	return false;
}

/*
 * The allowlisted entry the hook's file `hook` is (device and inode), as
 * its normalised host path (malloc'd), or NULL.  The entry is stat'ed on
 * the host through its resolved path, not followed past its last component,
 * and must be a regular file in a directory only root can write: otherwise
 * the file the runtime finds at that path later need not be this one.
 */
static char *allowed_file(const struct hr_policy *policy, const struct stat *hook)
{
	for (char **a = policy ? policy->allowed_hooks : NULL; a && *a; a++) {
		_cleanup_free_ char *real = hr_realpath(*a);
		if (!real)
			continue;
		_cleanup_free_ char *dir = hr_xstrdup(real);
		char *slash = strrchr(dir, '/');
		slash[slash == dir ? 1 : 0] = '\0';
		_cleanup_close_ int fd = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st, dst;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !root_only(&st) ||
		    stat(dir, &dst) < 0 || !root_only(&dst) || !same_file(&st, hook))
			continue;
		return hr_path_normalise(*a);
	}
	return NULL;
}

static const char *policy_file(const struct hr_policy *policy)
{
	return policy && policy->path && policy->path[0] == '/' ? policy->path
								: HR_DEFAULT_POLICY_PATH;
}

/* NULL when allowed (with *pin set when the path is to be pinned), else a malloc'd reason. */
static char *refusal(const struct hooks_settings *s, const struct hr_policy *policy,
		     const struct hr_json *h, const char *path, char **pin)
{
	if (!s->allow)
		return hr_xstrdup("this profile allows no hooks");
	if (!path)
		return hr_xstrdup("a hook without a path");
	if (path[0] != '/')
		return hr_xasprintf("hook path `%s` is not absolute", path);
	_cleanup_free_ char *lex = hr_path_normalise(path);
	/* An engine binary run otherwise than as its hook may still be one
	 * the policy lists: the allowlist decides then, and its reason stands
	 * only when the policy does not allow it either. */
	_cleanup_free_ char *engine_why = NULL;
	if (policy && policy->engine_hooks && engine_hook(h, path, pin, &engine_why) && !engine_why)
		return NULL;
	/* Decided on the file the path opens to, and the runtime is handed
	 * the allowlisted path itself: a /proc/<pid> reused by another
	 * process, or a symlink changed, after this check changes nothing. */
	struct stat st;
	if (open_stat(path, &st) && (*pin = allowed_file(policy, &st)))
		return NULL;
	bool listed = false;
	for (char **a = policy ? policy->allowed_hooks : NULL; a && *a && !listed; a++) {
		_cleanup_free_ char *alex = hr_path_normalise(*a);
		listed = strcmp(lex, alex) == 0;
	}
	if (engine_why)
		return hr_steal_ptr(&engine_why);
	if (listed)
		return hr_xasprintf("hook `%s` does not resolve to the allowlisted binary", path);
	return hr_xasprintf("hook `%s` is neither an engine's own hook nor in the host policy's "
			    "allowed hooks; remedy: add the binary to `hooks.allowed` in %s",
			    path, policy_file(policy));
}

static void pin_hook(struct hr_ctx *ctx, struct hr_json *h, const char *where, const char *path,
		     const char *pin)
{
	if (strcmp(path, pin) == 0)
		return;
	/* A fix whatever the rule's action: the hook is allowed either way,
	 * and pinned it runs the very file that was checked. */
	hr_report_as(ctx, HR_ACTION_FIX, where, path, pin,
		     "hook pinned to the host's allowed binary it opens to");
	hr_json_set(h, "path", hr_json_new_string(pin));
}

static int check_kind(struct hr_ctx *ctx, const struct hooks_settings *s, const char *kind,
		      struct hr_json *list, struct hr_error **err)
{
	if (hr_json_is_null(list))
		return 0;
	if (list->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "hooks.%s: expected array, got %s", kind,
				    hr_json_type_name(list->type));
	for (size_t i = 0, orig = 0; i < list->arr.len; orig++) {
		struct hr_json *h = list->arr.items[i];
		const char *path = NULL;
		if (h->type != HR_JSON_OBJECT)
			return hr_error_set(err, 0, "hooks.%s[%zu]: expected object, got %s", kind,
					    orig, hr_json_type_name(h->type));
		if (hr_spec_get_string(h, "path", &path, err) < 0)
			return hr_err_wrap(err, "hooks.%s[%zu]", kind, orig);
		_cleanup_free_ char *pin = NULL;
		_cleanup_free_ char *why = refusal(s, ctx->policy, h, path, &pin);
		_cleanup_free_ char *where = hr_xasprintf("hooks.%s[%zu]", kind, orig);
		if (!why) {
			if (pin)
				pin_hook(ctx, h, where, path, pin);
			i++;
			continue;
		}
		_cleanup_free_ char *before = hr_json_brief(h);
		if (hr_report(ctx, where, before, NULL, "%s (hooks run as root on the host)", why))
			hr_json_array_remove(list, i);
		else
			i++;
	}
	return 0;
}

static int apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	struct hr_json *hooks = hr_spec_get(ctx->spec, "hooks", HR_JSON_OBJECT, false, err);

	if (!hooks)
		return *err ? -1 : 0;
	for (size_t m = 0; m < hooks->obj.len; m++)
		if (check_kind(ctx, settings, hooks->obj.members[m].key,
			       hooks->obj.members[m].value, err) < 0)
			return -1;
	return 0;
}

const struct hr_rule hr_rule_hooks = {
    .name = "hooks",
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
    .apply_process = NULL,
};
