/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `hooks`: OCI hooks run on the host, as root, outside every
 * namespace the container gets, so a hook is arbitrary code execution on
 * the node.  Only binaries the host policy lists (allowed_hooks) may run.
 *
 * A hook path is accepted only if it names an allowlisted path exactly after
 * lexical normalisation AND the kernel's resolution of it (realpath) is the
 * resolution of that allowlisted path: `..` and symlinked directories cannot
 * make an allowed-looking string point at another binary.  Every member of
 * the hooks object is checked, whatever its name, so a case variant or a
 * hook kind newer than this code cannot slip past.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * Docker's libnetwork puts `/proc/<dockerd pid>/exe libnetwork-setkey` in
 * every bridge-networked container's prestart hooks: a path no allowlist can
 * name ahead.  Accept /proc/<pid>/exe when the binary it stands for is
 * allowlisted (e.g. /usr/sbin/dockerd); what runs is then an allowed binary.
 */
static bool proc_exe_allowed(const struct hr_policy *policy, const char *lex)
{
	char target[PATH_MAX], areal[PATH_MAX];
	if (strncmp(lex, "/proc/", 6) != 0)
		return false; /* before any look past the prefix: lex may be "/" */
	const char *p = lex + 6;
	size_t digits = strspn(p, "0123456789");

	if (digits == 0 || strcmp(p + digits, "/exe") != 0)
		return false;
	ssize_t n = readlink(lex, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	for (char **a = policy ? policy->allowed_hooks : NULL; a && *a; a++)
		if (realpath(*a, areal) && strcmp(target, areal) == 0)
			return true;
	return false;
}

/* NULL when allowed, else a malloc'd reason. */
static char *refusal(const struct hooks_settings *s, const struct hr_policy *policy,
		     const char *path)
{
	char real[PATH_MAX], areal[PATH_MAX];

	if (!s->allow)
		return hr_xstrdup("this profile allows no hooks");
	if (!path)
		return hr_xstrdup("a hook without a path");
	if (path[0] != '/')
		return hr_xasprintf("hook path `%s` is not absolute", path);
	_cleanup_free_ char *lex = hr_path_normalise(path);
	if (proc_exe_allowed(policy, lex))
		return NULL;
	bool listed = false;
	for (char **a = policy ? policy->allowed_hooks : NULL; a && *a; a++) {
		_cleanup_free_ char *alex = hr_path_normalise(*a);
		if (strcmp(lex, alex) != 0)
			continue;
		listed = true;
		if (realpath(path, real) && realpath(alex, areal) && strcmp(real, areal) == 0)
			return NULL;
	}
	if (listed)
		return hr_xasprintf("hook `%s` does not resolve to the allowlisted binary", path);
	return hr_xasprintf("hook `%s` is not in the host policy's allowed hooks", path);
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
		_cleanup_free_ char *why = refusal(s, ctx->policy, path);
		if (!why) {
			i++;
			continue;
		}
		_cleanup_free_ char *where = hr_xasprintf("hooks.%s[%zu]", kind, orig);
		_cleanup_free_ char *before = hr_json_brief(h);
		if (hr_report(ctx, where, before, NULL, "%s: hooks run as root on the host", why))
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
