/* SPDX-License-Identifier: Apache-2.0 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/*
 * process: no_new_privs, a non-root user where the profile requires one, a
 * minimum umask, a working directory that cannot reach a leaked host file
 * descriptor, and environment variables that look like credentials.
 *
 * The same checks run on the `exec --process` object: exec is the easiest
 * way to get a second, less-checked process into a running container.
 *
 * Settings: "noNewPrivileges" (bool, default true), "requireNonRoot" (bool,
 * default false; uid 0 or no user is refused), "secretEnv" ("off", "warn"
 * (default) or "deny"), "umask" (bits the process umask must include).
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/path.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

enum secret_mode { SECRET_OFF, SECRET_WARN, SECRET_DENY };

struct process_settings {
	bool no_new_privs;
	bool require_non_root;
	enum secret_mode secret_env;
	bool have_umask;
	unsigned umask; /* bits that must be set in the process umask */
};

static int process_parse(const struct hr_json *section, const char *file, void **settings,
			 struct hr_error **err)
{
	static const char *const keys[] = {"noNewPrivileges", "requireNonRoot", "secretEnv",
					   "umask", NULL};
	_cleanup_free_ struct process_settings *s = hr_xcalloc(1, sizeof(*s));
	_cleanup_free_ char *secret = NULL;
	unsigned long long um = 0;

	s->no_new_privs = true;
	s->secret_env = SECRET_WARN;
	if (!hr_json_is_null(section)) {
		if (hr_policy_check_keys(section, file, "process", keys, err) < 0 ||
		    hr_policy_get_bool(section, "noNewPrivileges", &s->no_new_privs, file,
				       "process", err) < 0 ||
		    hr_policy_get_bool(section, "requireNonRoot", &s->require_non_root, file,
				       "process", err) < 0 ||
		    hr_policy_get_string(section, "secretEnv", &secret, file, "process", err) < 0)
			return -1;
		if (!hr_json_is_null(hr_json_get(section, "umask"))) {
			if (hr_policy_get_uint64(section, "umask", &um, file, "process", err) < 0)
				return -1;
			if (um > 0777)
				return hr_error_set(
				    err, 0, "%s: process.umask: %llu is not a umask", file, um);
			s->have_umask = true;
			s->umask = (unsigned)um;
		}
	}
	if (secret) {
		if (strcmp(secret, "off") == 0)
			s->secret_env = SECRET_OFF;
		else if (strcmp(secret, "warn") == 0)
			s->secret_env = SECRET_WARN;
		else if (strcmp(secret, "deny") == 0)
			s->secret_env = SECRET_DENY;
		else
			return hr_error_set(err, 0,
					    "%s: process.secretEnv: `%s` is not one of off, warn, "
					    "deny",
					    file, secret);
	}
	*settings = hr_steal_ptr(&s);
	return 0;
}

static void process_free(void *settings)
{
	free(settings);
}

static int check_nnp(struct hr_ctx *ctx, const struct process_settings *s, struct hr_json *proc,
		     struct hr_error **err)
{
	struct hr_json *j = hr_json_get(proc, "noNewPrivileges");
	if (!s->no_new_privs)
		return 0;
	if (!hr_json_is_null(j) && j->type != HR_JSON_BOOL)
		return hr_error_set(err, 0,
				    "config: `process.noNewPrivileges` must be a bool, not %s",
				    hr_json_type_name(j->type));
	if (!hr_json_is_null(j) && j->boolean)
		return 0;
	if (hr_report(ctx, "process.noNewPrivileges", hr_json_is_null(j) ? NULL : "false", "true",
		      "no_new_privs keeps setuid binaries and file capabilities from raising "
		      "privileges"))
		hr_json_set(proc, "noNewPrivileges", hr_json_new_bool(true));
	return 0;
}

/* A uint32 member, absent/null meaning `def`; anything else is an error. */
static int get_u32(const struct hr_json *obj, const char *key, uint32_t def, uint32_t *out,
		   struct hr_error **err)
{
	const struct hr_json *j = hr_json_get(obj, key);
	uint64_t v = 0;

	*out = def;
	if (hr_json_is_null(j))
		return 0;
	if (!hr_json_as_uint64(j, &v) || v > UINT32_MAX)
		return hr_error_set(err, 0, "config: `process.user.%s` must be a uint32", key);
	*out = (uint32_t)v;
	return 0;
}

static int check_user(struct hr_ctx *ctx, const struct process_settings *s, struct hr_json *proc,
		      struct hr_error **err)
{
	struct hr_json *user = hr_json_get(proc, "user");
	uint32_t uid = 0, um = 0;

	if (!hr_json_is_null(user) && user->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "config: `process.user` must be an object, not %s",
				    hr_json_type_name(user->type));
	/* No user object means uid 0: runc's zero value. */
	if (get_u32(user, "uid", 0, &uid, err) < 0 || get_u32(user, "umask", 0022, &um, err) < 0)
		return -1;
	if (s->require_non_root && uid == 0)
		hr_report_unfixable(ctx, "process.user.uid", "0",
				    "the profile requires a non-root process user");
	if (s->have_umask && (um & s->umask) != s->umask) {
		unsigned want = (um | s->umask) & 0777;
		char before[16], after[16];
		snprintf(before, sizeof(before), "%04o", um & 07777);
		snprintf(after, sizeof(after), "%04o", want);
		if (hr_report(ctx, "process.user.umask", before, after,
			      "umask must mask at least %04o", s->umask)) {
			struct hr_json *u = hr_json_ensure_object(proc, "user");
			hr_json_set(u, "umask", hr_json_new_uint(want));
		}
	}
	return 0;
}

static bool cwd_is_magic(const char *abs);

/*
 * True for a path inside a per-process /proc directory (/proc/self/...,
 * /proc/thread-self/..., /proc/<pid>/...).  Those hold magic links (fd/N,
 * cwd, root, map_files) that can point at host files a runtime leaked into
 * the container's first process, as in CVE-2024-21626; no workload needs
 * its working directory there.
 */
static bool in_proc_pid_dir(const char *abs)
{
	if (strncmp(abs, "/proc/", 6) != 0)
		return false;
	const char *c = abs + 6;
	const char *end = strchrnul(c, '/');
	if (*end != '/' || end[1] == '\0')
		return false;
	size_t n = (size_t)(end - c);
	if ((n == 4 && strncmp(c, "self", 4) == 0) ||
	    (n == 11 && strncmp(c, "thread-self", 11) == 0))
		return true;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)c[i]))
			return false;
	return n > 0;
}

/*
 * /dev/fd and /dev/std{in,out,err} are symlinks into /proc/self/fd that the
 * runtime itself creates in every container, after the rootfs is
 * inspected: a cwd under them is the same escape.
 */
static bool in_dev_fd(const char *abs)
{
	static const char *const links[] = {"/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		size_t n = strlen(links[i]);
		if (strncmp(abs, links[i], n) == 0 && (abs[n] == '\0' || abs[n] == '/'))
			return true;
	}
	return false;
}

static bool cwd_is_magic(const char *abs)
{
	return in_proc_pid_dir(abs) || in_dev_fd(abs);
}

/* Append component c (length n) to the absolute path in buf (capacity cap). */
static bool path_push(char *buf, size_t cap, const char *c, size_t n)
{
	size_t len = strlen(buf);
	if (len + 1 + n + 1 > cap)
		return false;
	buf[len] = '/';
	memcpy(buf + len + 1, c, n);
	buf[len + 1 + n] = '\0';
	return true;
}

static void path_pop(char *buf)
{
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
}

/*
 * Resolve cwd the way the container's chdir() will see it: symlinks inside
 * the rootfs are followed, absolute ones from the rootfs, never above it.
 * An image can ship `WORKDIR /work` with /work -> /proc/self/fd/7, which a
 * lexical check alone cannot see.  Only components found to be real
 * directories are passed to readlinkat(), so no host symlink is followed;
 * the rootfs can still change later, which the runtime's own post-chdir
 * check (runc >= 1.1.12) covers.  Returns a malloc'd path, or NULL on a
 * symlink loop or a path too long to hold; stops at a magic prefix as
 * hr_path_normalise_until() does.
 */
static char *resolve_in_rootfs(int rootfd, const char *cwd, bool *magic)
{
	char res[PATH_MAX] = "", target[PATH_MAX];
	_cleanup_free_ char *rest = hr_xstrdup(cwd);
	int hops = 0;

	for (char *p = rest; *p;) {
		while (*p == '/')
			p++;
		char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = end;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			path_pop(res);
			p = end;
			continue;
		}
		if (!path_push(res, sizeof(res), p, n))
			return NULL;
		ssize_t tl = readlinkat(rootfd, res + 1, target, sizeof(target) - 1);
		if (tl < 0) {
			if ((*magic = cwd_is_magic(res)))
				return hr_xstrdup(res);
			p = end;
			continue;
		}
		if (++hops > 40)
			return NULL;
		target[tl] = '\0';
		path_pop(res);
		if (target[0] == '/')
			res[0] = '\0';
		char *next = hr_xasprintf("%s%s", target, end);
		free(rest);
		rest = next;
		p = rest;
	}
	return hr_xstrdup(res[0] ? res : "/");
}

/* The rootfs directory of a create-time config, or -1 when unknown. */
static int open_rootfs(struct hr_ctx *ctx)
{
	const char *root = hr_json_as_string(hr_json_get_path(ctx->spec, "root/path"));
	if (ctx->entry != HR_ENTRY_CREATE || !root || !*root || (root[0] != '/' && !ctx->bundle))
		return -1;
	_cleanup_free_ char *path =
	    root[0] == '/' ? hr_xstrdup(root) : hr_xasprintf("%s/%s", ctx->bundle, root);
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void deny_cwd(struct hr_ctx *ctx, const struct hr_json *j, const char *where)
{
	_cleanup_free_ char *before = hr_json_brief(j);
	/* Always a denial, whatever the profile's action: no rewrite of cwd
	 * keeps the workload's meaning, and a warning is not enough for a
	 * known host escape. */
	hr_report_as(ctx, HR_ACTION_DENY, "process.cwd", before, NULL,
		     "working directory %s is inside a per-process /proc directory or /dev/fd "
		     "(CVE-2024-21626 pattern)",
		     where);
}

static int check_cwd(struct hr_ctx *ctx, struct hr_json *proc, struct hr_error **err)
{
	struct hr_json *j = hr_json_get(proc, "cwd");
	if (hr_json_is_null(j))
		return 0;
	const char *cwd = hr_json_as_string(j);
	if (!cwd)
		return hr_error_set(err, 0, "config: `process.cwd` must be a string without NUL");
	bool magic = false;
	_cleanup_free_ char *norm = hr_path_normalise_until(cwd, cwd_is_magic, &magic);
	if (magic) {
		deny_cwd(ctx, j, norm);
		return 0;
	}
	_cleanup_close_ int rootfd = open_rootfs(ctx);
	if (rootfd < 0)
		return 0;
	_cleanup_free_ char *resolved = resolve_in_rootfs(rootfd, cwd, &magic);
	if (!resolved)
		hr_report_unfixable(
		    ctx, "process.cwd", norm,
		    "working directory cannot be resolved in the rootfs (symlink loop "
		    "or too long)");
	else if (magic) {
		_cleanup_free_ char *where =
		    hr_xasprintf("%s (via symlinks in the rootfs)", resolved);
		deny_cwd(ctx, j, where);
	}
	return 0;
}

/*
 * The program to run, when given as a path through a leaked fd
 * (args[0] = "/proc/self/fd/7/../../../bin/sh"): execve() resolves it
 * before close-on-exec descriptors go, so the container would run a host
 * binary chosen through the leak (the CVE's exec variants).
 */
static int check_exec_path(struct hr_ctx *ctx, struct hr_json *proc, struct hr_error **err)
{
	struct hr_json *args = hr_json_get(proc, "args");
	if (hr_json_is_null(args))
		return 0;
	if (args->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "config: `process.args` must be an array");
	if (args->arr.len == 0)
		return 0;
	const char *prog = hr_json_as_string(args->arr.items[0]);
	if (!prog)
		return hr_error_set(err, 0, "config: `process.args[0]` must be a string");
	bool magic = false;
	if (!strchr(prog, '/'))
		return 0;
	_cleanup_free_ char *norm = hr_path_normalise_until(prog, cwd_is_magic, &magic);
	if (magic)
		hr_report_as(ctx, HR_ACTION_DENY, "process.args[0]", NULL, NULL,
			     "program path goes through %s, a per-process /proc directory or "
			     "/dev/fd (CVE-2024-21626 pattern)",
			     norm);
	return 0;
}

static bool name_ends(const char *name, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);
	return n >= sl && strncasecmp(name + n - sl, suffix, sl) == 0;
}

/* A secret-looking environment variable name (case-insensitive). */
static const char *secret_name(const char *name, size_t n)
{
	static const char *const exact[] = {
	    "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN",
	    "AZURE_CLIENT_SECRET",
	    "AZURE_STORAGE_KEY",
	    "PASSWORD",
	    "TOKEN",
	    "SECRET",
	    "API_KEY",
	    "APIKEY",
	};
	static const char *const suffix[] = {
	    "_TOKEN",  "_SECRET",     "_PASSWORD",    "_PASSWD",     "_API_KEY",
	    "_APIKEY", "_SECRET_KEY", "_PRIVATE_KEY", "_AUTH_TOKEN", "_PASS"};

	/* FOO_PASSWORD_FILE and friends name where the secret is: the
	 * recommended way, not a leak. */
	if (name_ends(name, n, "_FILE") || name_ends(name, n, "_PATH") ||
	    name_ends(name, n, "_DIR"))
		return NULL;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strlen(exact[i]) == n && strncasecmp(name, exact[i], n) == 0)
			return "its name";
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++)
		if (name_ends(name, n, suffix[i]))
			return "its name";
	return NULL;
}

/* Count of characters from s (at most max) in the class [A-Za-z0-9_-] or [A-Z0-9]. */
static size_t span_token(const char *s, const char *end, bool upper_only)
{
	size_t k = 0;
	while (s + k < end) {
		unsigned char c = (unsigned char)s[k];
		bool okc =
		    upper_only ? (isupper(c) || isdigit(c)) : (isalnum(c) || c == '_' || c == '-');
		if (!okc)
			break;
		k++;
	}
	return k;
}

/* Well-known credential formats anywhere in a value (at a token boundary). */
static const char *secret_value(const char *v, size_t n)
{
	static const struct {
		const char *prefix;
		size_t min_tail;
		bool upper_only;
		const char *what;
	} formats[] = {
	    {"AKIA", 16, true, "an AWS access key id"},
	    {"ASIA", 16, true, "an AWS access key id"},
	    {"ghp_", 30, false, "a GitHub token"},
	    {"gho_", 30, false, "a GitHub token"},
	    {"ghu_", 30, false, "a GitHub token"},
	    {"ghs_", 30, false, "a GitHub token"},
	    {"ghr_", 30, false, "a GitHub token"},
	    {"github_pat_", 20, false, "a GitHub token"},
	    {"xoxb-", 10, false, "a Slack token"},
	    {"xoxp-", 10, false, "a Slack token"},
	    {"xoxa-", 10, false, "a Slack token"},
	    {"xoxs-", 10, false, "a Slack token"},
	    {"xapp-", 10, false, "a Slack token"},
	    {"glpat-", 20, false, "a GitLab token"},
	    {"sk_live_", 16, false, "a Stripe key"},
	    {"AIza", 35, false, "a Google API key"},
	};
	const char *end = v + n;

	if (memmem(v, n, "-----BEGIN", 10) && memmem(v, n, "PRIVATE KEY", 11))
		return "a private key";
	if (memmem(v, n, "\"private_key\"", 13))
		return "a service account key";
	for (const char *p = v; p < end; p++) {
		if (p > v && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
			continue;
		for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			size_t pl = strlen(formats[i].prefix);
			if ((size_t)(end - p) < pl + formats[i].min_tail ||
			    memcmp(p, formats[i].prefix, pl) != 0)
				continue;
			if (span_token(p + pl, end, formats[i].upper_only) >= formats[i].min_tail)
				return formats[i].what;
		}
	}
	/* scheme://user:password@host */
	const char *sep = memmem(v, n, "://", 3);
	if (sep) {
		const char *auth = sep + 3;
		size_t al = strcspn(auth, "/?#");
		const char *at = memchr(auth, '@', al);
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon && colon + 1 < at)
			return "a password in a URL";
	}
	return NULL;
}

/* What makes "NAME=value" look like a credential, or NULL. */
static const char *secret_kind(const char *entry, size_t len)
{
	const char *eq = memchr(entry, '=', len);
	if (!eq || eq + 1 == entry + len)
		return NULL;
	size_t nl = (size_t)(eq - entry);
	const char *what = secret_value(eq + 1, len - nl - 1);
	if (what)
		return what;
	return secret_name(entry, nl);
}

static int check_env(struct hr_ctx *ctx, const struct process_settings *s, struct hr_json *proc,
		     struct hr_error **err)
{
	struct hr_json *env = hr_json_get(proc, "env");
	if (hr_json_is_null(env))
		return 0;
	if (env->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "config: `process.env` must be an array, not %s",
				    hr_json_type_name(env->type));
	for (size_t i = 0; i < env->arr.len; i++) {
		const struct hr_json *item = env->arr.items[i];
		if (item->type != HR_JSON_STRING)
			return hr_error_set(err, 0, "config: `process.env[%zu]` must be a string",
					    i);
		if (s->secret_env == SECRET_OFF)
			continue;
		const char *what = secret_kind(item->s.str, item->s.len);
		if (!what)
			continue;
		/* The finding goes to logs and audit records: never the value. */
		size_t nl = strcspn(item->s.str, "=");
		char before[96];
		snprintf(before, sizeof(before), "%.*s=<redacted>", (int)(nl > 64 ? 64 : nl),
			 item->s.str);
		char path[48];
		snprintf(path, sizeof(path), "process.env[%zu]", i);
		if (s->secret_env == SECRET_DENY)
			hr_report_unfixable(ctx, path, before,
					    "environment variable looks like a credential (%s); "
					    "pass secrets as files",
					    what);
		else
			hr_report_as(ctx, HR_ACTION_WARN, path, before, NULL,
				     "environment variable looks like a credential (%s); "
				     "pass secrets as files",
				     what);
	}
	return 0;
}

static int process_check(struct hr_ctx *ctx, const struct process_settings *s, struct hr_json *proc,
			 struct hr_error **err)
{
	if (check_nnp(ctx, s, proc, err) < 0 || check_user(ctx, s, proc, err) < 0 ||
	    check_cwd(ctx, proc, err) < 0 || check_exec_path(ctx, proc, err) < 0 ||
	    check_env(ctx, s, proc, err) < 0)
		return -1;
	return 0;
}

static int process_apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	struct hr_json *proc = hr_spec_get(ctx->spec, "process", HR_JSON_OBJECT, false, err);
	if (!proc)
		return (err && *err) ? -1 : 0;
	return process_check(ctx, settings, proc, err);
}

static int process_apply_process(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	if (!ctx->spec || ctx->spec->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "process: expected an object");
	return process_check(ctx, settings, ctx->spec, err);
}

const struct hr_rule hr_rule_process = {
    .name = "process",
    .parse = process_parse,
    .free_settings = process_free,
    .apply = process_apply,
    .apply_process = process_apply_process,
};
