/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/cli.h"
#include "hardrun/create.h"
#include "hardrun/log.h"
#include "hardrun/schema.h"
#include "hardrun/util.h"

/*
 * `runc exec` takes the process either as a --process JSON file or as
 * flags.  Both are checked by the same process-level rules: the flags are
 * turned into a process object, hardened, and turned back into flags.
 */

static const char *const cap_sets[] = {"bounding",  "effective", "inheritable",
				       "permitted", "ambient",	 NULL};

static struct hr_json *strv_json(const char **v)
{
	struct hr_json *a = hr_json_new(HR_JSON_ARRAY);
	for (size_t i = 0; v && v[i]; i++)
		hr_json_append(a, hr_json_new_string(v[i]));
	return a;
}

static int user_json(const char *spec, struct hr_json *proc, struct hr_error **err)
{
	char *end = NULL;
	struct hr_json *u = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(proc, "user", u);
	errno = 0;
	unsigned long uid = strtoul(spec, &end, 10);
	if (end == spec || errno || uid > UINT32_MAX || (*end && *end != ':'))
		return hr_error_set(err, 0, "exec: --user must be UID[:GID], got `%s`", spec);
	hr_json_set(u, "uid", hr_json_new_uint(uid));
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (end == g || *end || gid > UINT32_MAX)
			return hr_error_set(err, 0, "exec: --user must be UID[:GID], got `%s`",
					    spec);
		hr_json_set(u, "gid", hr_json_new_uint(gid));
	}
	return 0;
}

static struct hr_json *process_from_flags(const struct hr_cli *cli, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *p = hr_json_new(HR_JSON_OBJECT);
	_cleanup_free_ const char **caps = hr_cli_flag_all(cli, "cap");
	_cleanup_free_ const char **env = hr_cli_flag_all(cli, "env");
	const char *v = NULL;

	hr_json_set(p, "args", strv_json(cli->n_args > 1 ? (const char **)cli->args + 1 : NULL));
	if (env[0])
		hr_json_set(p, "env", strv_json(env));
	if ((v = hr_cli_flag(cli, "cwd")))
		hr_json_set(p, "cwd", hr_json_new_string(v));
	if ((v = hr_cli_flag(cli, "user")) && user_json(v, p, err) < 0)
		return NULL;
	if (caps[0]) {
		struct hr_json *c = hr_json_ensure_object(p, "capabilities");
		for (size_t i = 0; cap_sets[i]; i++)
			hr_json_set(c, cap_sets[i], strv_json(caps));
	}
	if (hr_cli_flag(cli, "no-new-privs"))
		hr_json_set(p, "noNewPrivileges",
			    hr_json_new_bool(hr_cli_flag_bool(cli, "no-new-privs")));
	if ((v = hr_cli_flag(cli, "apparmor")))
		hr_json_set(p, "apparmorProfile", hr_json_new_string(v));
	if ((v = hr_cli_flag(cli, "process-label")))
		hr_json_set(p, "selinuxLabel", hr_json_new_string(v));
	return hr_steal_ptr(&p);
}

static bool json_strv_has(const struct hr_json *a, const char *s)
{
	for (size_t i = 0; a && a->type == HR_JSON_ARRAY && i < a->arr.len; i++) {
		const char *x = hr_json_as_string(a->arr.items[i]);
		if (x && strcmp(x, s) == 0)
			return true;
	}
	return false;
}

static bool rewritten_flag(const char *name)
{
	return !strcmp(name, "cap") || !strcmp(name, "no-new-privs") || !strcmp(name, "apparmor") ||
	       !strcmp(name, "process-label");
}

/*
 * Parse the rewritten argv v[0..n) into cli, so that the builtin runtime,
 * which reads the flags rather than the argv, sees the hardened ones too;
 * hardrun's own options and the state root stay.  Takes v (not its strings).
 */
static void reparse(struct hr_cli *cli, char **v, size_t n)
{
	struct hr_options opts = cli->opts;
	char *state_root = hr_steal_ptr(&cli->state_root);
	struct hr_cli fresh;

	if (hr_cli_parse(&fresh, (int)n, v, NULL) == 0) {
		hr_cli_free(cli);
		*cli = fresh;
		cli->opts = opts;
	}
	cli->state_root = state_root;
	free(v);
}

/* Rebuild runtime_argv: global part, "exec", kept flags, hardened flags, args. */
static void flags_from_process(struct hr_cli *cli, const struct hr_json *p)
{
	size_t max = cli->runtime_argc + 2 * (cli->n_flags + 8) + 1, n = 0;
	char **v = hr_xcalloc(max, sizeof(char *));
	for (int i = 0; i <= cli->command_index; i++)
		v[n++] = cli->runtime_argv[i];
	for (size_t i = 0; i < cli->n_flags; i++) {
		const char *name = cli->flags[i].spec->name;
		if (rewritten_flag(name))
			continue;
		/* Lives until execve replaces the process. */
		v[n++] = hr_xasprintf("--%s=%s", name, cli->flags[i].value);
	}
	const struct hr_json *eff = hr_json_get_path(p, "capabilities/effective");
	_cleanup_free_ const char **caps = hr_cli_flag_all(cli, "cap");
	for (size_t i = 0; caps[i]; i++)
		if (json_strv_has(eff, caps[i])) {
			v[n++] = "--cap";
			v[n++] = (char *)caps[i];
		}
	const struct hr_json *nnp = hr_json_get(p, "noNewPrivileges");
	if (nnp && nnp->type == HR_JSON_BOOL && nnp->boolean)
		v[n++] = "--no-new-privs";
	const char *s = NULL;
	if ((s = hr_json_as_string(hr_json_get(p, "apparmorProfile")))) {
		v[n++] = "--apparmor";
		v[n++] = (char *)s;
	}
	if ((s = hr_json_as_string(hr_json_get(p, "selinuxLabel")))) {
		v[n++] = "--process-label";
		v[n++] = (char *)s;
	}
	/* The container id, then the hardened command (the Landlock helper may
	 * now stand before it). */
	const struct hr_json *args = hr_json_get(p, "args");
	size_t nargs = args && args->type == HR_JSON_ARRAY ? args->arr.len : 0;
	v = hr_xrealloc(v, (n + 2 + nargs) * sizeof(char *));
	v[n++] = cli->args[0];
	for (size_t i = 0; i < nargs; i++)
		v[n++] = hr_xstrdup(hr_json_as_string(args->arr.items[i]));
	v[n] = NULL;
	reparse(cli, v, n);
}

/*
 * The process runc is given: a private copy only hardrun wrote, never the
 * caller's file (which stays as it was and which the caller could swap
 * after the check).  A memfd, left open across the exec and named through
 * /proc/self/fd, which is the runtime's own table once it runs; it sits
 * above the --preserve-fds range so the container does not inherit it.
 */
static int private_process_file(const struct hr_cli *cli, const struct hr_json *p, char **path,
				struct hr_error **err)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0, off = 0;
	const char *pv = hr_cli_flag(cli, "preserve-fds");
	long preserve = pv ? strtol(pv, NULL, 10) : 0;

	if (hr_json_serialize(p, false, &out, &len, err) < 0)
		return -1;
	_cleanup_close_ int mfd = memfd_create("hardrun-process", MFD_CLOEXEC);
	if (mfd < 0)
		return hr_error_set(err, errno, "exec --process: memfd_create");
	while (off < len) {
		ssize_t w = write(mfd, out + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return hr_error_set(err, errno, "exec --process: write the private copy");
		off += (size_t)w;
	}
	if (preserve < 0 || preserve > 65536)
		preserve = 0; /* the runtime refuses it itself */
	int fd = fcntl(mfd, F_DUPFD, 3 + (int)preserve);
	if (fd < 0)
		return hr_error_set(err, errno, "exec --process: dup the private copy");
	*path = hr_xasprintf("/proc/self/fd/%d", fd);
	return 0;
}

/* Rebuild runtime_argv with --process pointing at the private copy. */
static void process_flag_to(struct hr_cli *cli, const char *path)
{
	size_t n = 0;
	char **v =
	    hr_xcalloc((size_t)cli->command_index + cli->n_flags + cli->n_args + 2, sizeof(char *));
	for (int i = 0; i <= cli->command_index; i++)
		v[n++] = cli->runtime_argv[i];
	for (size_t i = 0; i < cli->n_flags; i++) {
		const char *name = cli->flags[i].spec->name;
		/* Lives until execve replaces the process. */
		v[n++] = hr_xasprintf("--%s=%s", name,
				      strcmp(name, "process") ? cli->flags[i].value : path);
	}
	for (size_t i = 0; i < cli->n_args; i++)
		v[n++] = cli->args[i];
	v[n] = NULL;
	reparse(cli, v, n);
}

static int load_process(struct hr_cli *cli, const char *pfile, struct hr_json **proc,
			struct hr_error **err)
{
	if (!pfile)
		return (*proc = process_from_flags(cli, err)) ? 0 : -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (hr_read_caller_file(pfile, &buf, &len, err) < 0)
		return hr_err_wrap(err, "exec --process");
	*proc = hr_json_parse(buf, len, NULL, err);
	if (!*proc)
		return hr_err_wrap(err, "exec --process %s", pfile);
	if ((*proc)->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "exec --process %s: not an object", pfile);
	return 0;
}

int hr_exec_harden(struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		   struct hr_error **err)
{
	const char *pfile = hr_cli_flag(cli, "process");
	_cleanup_json_ struct hr_json *proc = NULL;
	_cleanup_json_ struct hr_json *orig = NULL;

	if (!hr_cli_id(cli))
		return hr_cli_usage_error(cli, err);
	if (load_process(cli, pfile, &proc, err) < 0)
		return -1;
	if (hr_schema_check(proc, true, err) < 0)
		return hr_err_wrap(err, "exec");
	_cleanup_json_ struct hr_json *spec = hr_json_new(HR_JSON_OBJECT);
	struct hr_profile *prof = hr_profile_resolve(policy, profile, spec, err);
	if (!prof)
		return -1;
	orig = hr_json_clone(proc);
	struct hr_ctx ctx = {
	    .entry = HR_ENTRY_EXEC,
	    .spec = proc,
	    .original = orig,
	    .policy = policy,
	    .profile = prof,
	    .container_id = hr_cli_id(cli),
	    .runtime_root = cli->state_root,
	    .in_userns = hr_in_user_namespace(),
	};
	int r = hr_rules_run(&ctx, err);
	hr_json_set(spec, "process", hr_json_clone(proc));
	struct hr_error *refusal = NULL;
	if (r == 0 && ctx.findings.denials > 0)
		hr_refusal_error(&ctx.findings, "exec", prof->name, &refusal);
	struct hr_error *aerr = NULL;
	if (hr_audit_decision(cli, policy, spec, prof->name, &ctx.findings,
			      refusal ? refusal->msg : (r < 0 && *err ? (*err)->msg : NULL),
			      &aerr) < 0)
		hr_warn("%s", aerr->msg); /* an unrecorded decision is still one */
	hr_error_clear(&aerr);
	hr_findings_free(&ctx.findings);
	hr_profile_free(prof);
	if (r < 0)
		return -1;
	if (refusal) {
		*err = refusal;
		return -1;
	}
	if (pfile) {
		/* Always the copy: the caller's pipe is drained, its file may change. */
		_cleanup_free_ char *copy = NULL;
		if (private_process_file(cli, proc, &copy, err) < 0)
			return -1;
		process_flag_to(cli, copy);
		return 0;
	}
	if (hr_json_equal(proc, orig))
		return 0;
	flags_from_process(cli, proc);
	return 0;
}
