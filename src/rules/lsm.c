/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `lsm`: mandatory access control for the container process.
 *
 *  - AppArmor (libapparmor, when the host has it): process.apparmorProfile is
 *    hardrun's own profile unless the config names a real one; the shipped
 *    profile is (re)loaded with apparmor_parser when the loaded text differs.
 *  - SELinux (libselinux, when enabled): process.selinuxLabel and
 *    linux.mountLabel from the system's container contexts, with an MCS
 *    category pair no other container holds (allocated under state_dir).
 *  - Landlock (any kernel that has it, for profiles that ask): a static
 *    helper is bind-mounted read-only into the container and prefixed to
 *    process.args; it restricts itself and execs the real entrypoint.
 *
 * Findings say what could not be done on this host ("AppArmor not available
 * on this host", "SELinux not enabled") and the policy's require_mac turns
 * "no MAC available" into a refusal.  All #ifs for the optional libraries
 * live in this file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/lsm.h"
#include "hardrun/provision.h"
#include "hardrun/profile.h"
#include "hardrun/provision.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#if HAVE_APPARMOR
#include <sys/apparmor.h>
#endif
#if HAVE_SELINUX
#include <selinux/selinux.h>
#endif

#define SECTION	    "lsm"
#define HELPER_DEST "/.hardrun/landlock"
#define HELPER_NAME "hardrun-landlock"
#define DEFAULT_AA  "hardrun-default"

enum ll_mode { LL_OFF, LL_WARN, LL_ENFORCE };

struct lsm_settings {
	char *apparmor_profile;
	enum ll_mode landlock;
	char **ro, **rw, **exec; /* NULL: defaults */
};

static const char *const default_rw[] = {
    "/tmp",	"/dev/null", "/dev/zero", "/dev/full", "/dev/random",  "/dev/urandom",
    "/dev/tty", "/dev/pts",  "/dev/ptmx", "/dev/shm",  "/dev/console", NULL,
};

static void free_settings(void *p)
{
	struct lsm_settings *s = p;

	if (!s)
		return;
	free(s->apparmor_profile);
	hr_strv_free(s->ro);
	hr_strv_free(s->rw);
	hr_strv_free(s->exec);
	free(s);
}

static int parse_landlock(const struct hr_json *ll, const char *file, struct lsm_settings *s,
			  struct hr_error **err)
{
	static const char *const keys[] = {"mode", "readOnly", "readWrite", "execute", NULL};
	_cleanup_free_ char *mode = NULL;

	if (hr_json_is_null(ll))
		return 0;
	if (hr_policy_check_keys(ll, file, SECTION ".landlock", keys, err) < 0 ||
	    hr_policy_get_string(ll, "mode", &mode, file, SECTION ".landlock", err) < 0 ||
	    hr_policy_get_strv(ll, "readOnly", &s->ro, file, SECTION ".landlock", err) < 0 ||
	    hr_policy_get_strv(ll, "readWrite", &s->rw, file, SECTION ".landlock", err) < 0 ||
	    hr_policy_get_strv(ll, "execute", &s->exec, file, SECTION ".landlock", err) < 0)
		return -1;
	if (!mode || strcmp(mode, "off") == 0)
		s->landlock = LL_OFF;
	else if (strcmp(mode, "warn") == 0)
		s->landlock = LL_WARN;
	else if (strcmp(mode, "enforce") == 0)
		s->landlock = LL_ENFORCE;
	else
		return hr_error_set(err, 0,
				    "%s: %s.landlock.mode: `%s` is not off, warn or enforce", file,
				    SECTION, mode);
	char **lists[] = {s->ro, s->rw, s->exec};
	for (size_t l = 0; l < 3; l++)
		for (char **p = lists[l]; p && *p; p++)
			if ((*p)[0] != '/' || strstr(*p, "\n"))
				return hr_error_set(err, 0,
						    "%s: %s.landlock: `%s` is not an absolute path",
						    file, SECTION, *p);
	return 0;
}

static int parse(const struct hr_json *section, const char *file, void **settings,
		 struct hr_error **err)
{
	static const char *const keys[] = {"apparmorProfile", "landlock", NULL};
	struct lsm_settings *s = hr_xcalloc(1, sizeof(*s));

	if (section && (hr_policy_check_keys(section, file, SECTION, keys, err) < 0 ||
			hr_policy_get_string(section, "apparmorProfile", &s->apparmor_profile, file,
					     SECTION, err) < 0 ||
			parse_landlock(hr_json_get(section, "landlock"), file, s, err) < 0)) {
		free_settings(s);
		return -1;
	}
	if (!s->apparmor_profile)
		s->apparmor_profile = hr_xstrdup(DEFAULT_AA);
	if (!*s->apparmor_profile || strcmp(s->apparmor_profile, "unconfined") == 0) {
		free_settings(s);
		return hr_error_set(err, 0, "%s: %s.apparmorProfile: must name a confining profile",
				    file, SECTION);
	}
	*settings = s;
	return 0;
}

/* ---- host detection ------------------------------------------------- */

static bool real_apparmor_on(void)
{
#if HAVE_APPARMOR
	return aa_is_enabled() == 1;
#else
	return false;
#endif
}

static bool real_selinux_on(void)
{
#if HAVE_SELINUX
	return is_selinux_enabled() > 0;
#else
	return false;
#endif
}

/* Best Landlock ABI of this kernel; <= 0 when it has none. */
static int real_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

/* The host the rule asks (real_host, below, unless a test set another). */
static const struct hr_lsm_host *host;

/* What each of AppArmor, SELinux and Landlock does for a process. */
enum mac {
	MAC_ERROR = -1, /* *err set */
	MAC_NONE = 0,	/* it will not confine the process */
	MAC_CONFINED,	/* it will */
};

/* ---- AppArmor -------------------------------------------------------- */

static bool real_apparmor_loaded(const char *name)
{
	_cleanup_free_ char *profiles = NULL;
	_cleanup_free_ char *needle = hr_xasprintf("%s (", name);

	return hr_read_file_at(AT_FDCWD, "/sys/kernel/security/apparmor/profiles", 1 << 24,
			       &profiles, NULL, NULL) == 0 &&
	       strstr(profiles, needle) != NULL;
}

#if HAVE_APPARMOR
/* The shipped profile's file (malloc'd), or NULL when it is not there. */
static char *shipped_profile(void)
{
	_cleanup_free_ char *dd = hr_data_dir();
	char *file = hr_xasprintf("%s/apparmor/" DEFAULT_AA, dd);

	if (access(file, R_OK) == 0)
		return file;
	free(file);
#if HR_DEV_PATHS
	if (access(HR_SOURCE_DIR "/profiles/apparmor/" DEFAULT_AA, R_OK) == 0)
		return hr_xstrdup(HR_SOURCE_DIR "/profiles/apparmor/" DEFAULT_AA);
#endif
	return NULL;
}

static int run_parser(const char *file, struct hr_error **err)
{
	pid_t pid = fork();
	int status = 0;

	if (pid < 0)
		return hr_error_set(err, errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("apparmor_parser", "apparmor_parser", "-r", file, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return hr_error_set(err, errno, "waitpid apparmor_parser");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hr_error_set(err, 0, "apparmor_parser -r %s failed (status %d)", file,
				    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* Load the shipped profile unless the same text is already loaded. */
static int real_apparmor_load(const struct hr_policy *pol, struct hr_error **err)
{
	_cleanup_free_ char *file = shipped_profile();
	_cleanup_free_ char *text = NULL, *loaded = NULL;
	_cleanup_free_ char *stamp_dir = NULL;
	size_t tlen = 0, llen = 0;
	bool present = false;

	if (!file)
		return hr_error_set(err, ENOENT, "AppArmor profile %s is not installed",
				    DEFAULT_AA);
	if (hr_read_file_at(AT_FDCWD, file, 1 << 20, &text, &tlen, err) < 0)
		return -1;
	present = real_apparmor_loaded(DEFAULT_AA);
	stamp_dir =
	    hr_xasprintf("%s/apparmor", pol && pol->state_dir ? pol->state_dir : "/run/hardrun");
	_cleanup_free_ char *stamp = hr_xasprintf("%s/" DEFAULT_AA ".loaded", stamp_dir);
	if (present && hr_read_file_at(AT_FDCWD, stamp, 1 << 20, &loaded, &llen, NULL) == 0 &&
	    llen == tlen && memcmp(loaded, text, tlen) == 0)
		return 0;
	if (run_parser(file, err) < 0 || hr_mkdir_p(stamp_dir, 0700, err) < 0)
		return -1;
	_cleanup_close_ int dfd = open(stamp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hr_error_set(err, errno, "open %s", stamp_dir);
	return hr_write_file_atomic(dfd, DEFAULT_AA ".loaded", text, tlen, 0600, err);
}
#else
static int real_apparmor_load(const struct hr_policy *pol, struct hr_error **err)
{
	(void)pol;
	return hr_error_set(err, ENOTSUP, "AppArmor support is not compiled in");
}
#endif

static enum mac apply_apparmor(struct hr_ctx *ctx, const struct lsm_settings *s,
			       struct hr_json *proc, const char *where, struct hr_error **err)
{
	const char *cur = hr_json_as_string(hr_json_get(proc, "apparmorProfile"));
	bool exec = ctx->entry == HR_ENTRY_EXEC;

	if (!hr_json_is_null(hr_json_get(proc, "apparmorProfile")) && !cur)
		return (enum mac)hr_error_set(err, 0, "%s: expected string", where);
	if (!host->apparmor_on()) {
		hr_report_as(ctx, HR_ACTION_WARN, where, cur, NULL,
			     "AppArmor not available on this host: no AppArmor profile applied");
		return MAC_NONE;
	}
	/* exec without a profile inherits the container's; only `unconfined` is a problem there */
	if (cur && *cur && strcmp(cur, "unconfined") != 0)
		return MAC_CONFINED;
	if ((exec && !cur) || (exec && !*cur))
		return MAC_CONFINED;
	/* loading needs host root: rootless hardrun uses the profile only if it is there */
	bool own = strcmp(s->apparmor_profile, DEFAULT_AA) == 0;
	if (own && ctx->in_userns && !host->apparmor_loaded(DEFAULT_AA)) {
		hr_report_as(ctx, HR_ACTION_WARN, where, cur, NULL,
			     "AppArmor profile " DEFAULT_AA " is not loaded and cannot be loaded "
			     "from a user namespace: no AppArmor profile applied");
		return MAC_NONE;
	}
	if (!hr_report(ctx, where, cur, s->apparmor_profile,
		       "the process would run without an AppArmor profile"))
		return MAC_NONE;
	if (ctx->container_id && own && !ctx->in_userns &&
	    host->apparmor_load(ctx->policy, err) < 0)
		return MAC_ERROR;
	hr_json_set(proc, "apparmorProfile", hr_json_new_string(s->apparmor_profile));
	return MAC_CONFINED;
}

/* ---- SELinux --------------------------------------------------------- */

static int real_lxc_contexts(char **text, const char **path, struct hr_error **err)
{
#if HAVE_SELINUX
	*path = selinux_lxc_contexts_path();
	if (!*path || hr_read_file_at(AT_FDCWD, *path, 1 << 20, text, NULL, err) < 0)
		return hr_err_wrap(err, "SELinux container contexts");
	return 0;
#else
	(void)text;
	*path = NULL;
	return hr_error_set(err, ENOTSUP, "SELinux support is not compiled in");
#endif
}

static bool real_context_valid(const char *label)
{
#if HAVE_SELINUX
	return security_check_context(label) == 0;
#else
	(void)label;
	return false;
#endif
}

static const struct hr_lsm_host real_host = {
    .apparmor_on = real_apparmor_on,
    .selinux_on = real_selinux_on,
    .landlock_abi = real_landlock_abi,
    .apparmor_loaded = real_apparmor_loaded,
    .apparmor_load = real_apparmor_load,
    .lxc_contexts = real_lxc_contexts,
    .context_valid = real_context_valid,
};
static const struct hr_lsm_host *host = &real_host;

void hr_lsm_set_host(const struct hr_lsm_host *h)
{
	host = h ? h : &real_host;
}

static int selinux_contexts(char **proc_ctx, char **file_ctx, struct hr_error **err)
{
	const char *path = NULL;
	_cleanup_free_ char *text = NULL;

	if (host->lxc_contexts(&text, &path, err) < 0)
		return -1;
	*proc_ctx = hr_lsm_lxc_context(text, "process");
	*file_ctx = hr_lsm_lxc_context(text, "file");
	if (!*proc_ctx || !*file_ctx)
		return hr_error_set(err, 0, "%s names no process or file context", path);
	return 0;
}

static void plan_mcs(struct hr_ctx *ctx, const char *sd, char **pc, char **fc)
{
	struct hr_mcs_plan *m = ctx->plan ? &ctx->plan->mcs : NULL;

	if (!m || !ctx->container_id || m->want)
		return;
	m->want = true;
	m->mount_label = ctx->entry == HR_ENTRY_CREATE;
	m->proc_ctx = *pc;
	m->file_ctx = *fc;
	*pc = *fc = NULL;
	m->state_dir = hr_xstrdup(sd);
}

static enum mac apply_selinux_on(struct hr_ctx *ctx, struct hr_json *proc, struct hr_error **err)
{
	const char *cur = hr_json_as_string(hr_json_get(proc, "selinuxLabel"));
	_cleanup_free_ char *pc = NULL, *fc = NULL, *label = NULL, *mlabel = NULL;
	const char *sd =
	    ctx->policy && ctx->policy->state_dir ? ctx->policy->state_dir : "/run/hardrun";
	unsigned pair[2];

	if (cur && *cur && !strstr(cur, ":spc_t:") && !strstr(cur, ":unconfined_t:"))
		return MAC_CONFINED;
	if (ctx->entry == HR_ENTRY_EXEC && !cur)
		return MAC_CONFINED; /* inherits the container's label */
	/* A dry pick: the rules only decide.  Provision allocates the pair for
	 * good (plan->mcs) and rewrites both labels with it. */
	if (selinux_contexts(&pc, &fc, err) < 0 ||
	    hr_lsm_mcs_allocate(sd, ctx->container_id, false, pair, err) < 0)
		return MAC_ERROR;
	label = hr_lsm_selinux_label(pc, pair[0], pair[1]);
	if (!hr_report(ctx, "process.selinuxLabel", cur, label,
		       "the process would run without a container SELinux label"))
		return MAC_NONE;
	mlabel = hr_lsm_selinux_label(fc, pair[0], pair[1]);
	if (!label || !mlabel || !host->context_valid(label) || !host->context_valid(mlabel))
		return (enum mac)hr_error_set(err, errno, "SELinux label %s / %s is not valid here",
					      label ? label : pc, mlabel ? mlabel : fc);
	plan_mcs(ctx, sd, &pc, &fc);
	hr_json_set(proc, "selinuxLabel", hr_json_new_string(label));
	if (ctx->entry == HR_ENTRY_CREATE) {
		struct hr_json *lx = hr_spec_get(ctx->spec, "linux", HR_JSON_OBJECT, true, err);
		if (!lx)
			return MAC_ERROR;
		hr_json_set(lx, "mountLabel", hr_json_new_string(mlabel));
	}
	return MAC_CONFINED;
}

static enum mac apply_selinux(struct hr_ctx *ctx, struct hr_json *proc, struct hr_error **err)
{
	if (!host->selinux_on()) {
		hr_report_as(ctx, HR_ACTION_WARN, "process.selinuxLabel", NULL, NULL,
			     "SELinux not enabled: no SELinux label applied");
		return MAC_NONE;
	}
	return apply_selinux_on(ctx, proc, err);
}

/* ---- Landlock -------------------------------------------------------- */

/* The helper on the host: $HARDRUN_LANDLOCK_HELPER, the installed one, the build's. */
static char *helper_path(bool need, struct hr_error **err)
{
	const char *env = getenv("HARDRUN_LANDLOCK_HELPER");
	const char *cands[] = {
		env && *env ? env : NULL,
		HR_LIBEXECDIR "/" HELPER_NAME,
#if HR_DEV_PATHS
		HR_BUILD_DIR "/src/rules/" HELPER_NAME,
#endif
	};
	struct stat st;

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (!cands[i] || cands[i][0] != '/' || stat(cands[i], &st) < 0)
			continue;
		/* it runs as the container's first process: nobody else may rewrite it */
		if (!S_ISREG(st.st_mode) || (st.st_mode & 022) ||
		    (st.st_uid != 0 && st.st_uid != geteuid()))
			return hr_error_set(
				   err, 0,
				   "Landlock helper %s is not a regular file owned by root "
				   "(or hardrun's user) and writable only by its owner",
				   cands[i]),
			       NULL;
		return hr_xstrdup(cands[i]);
	}
	if (!need)
		return hr_xstrdup(HR_LIBEXECDIR "/" HELPER_NAME);
	return hr_error_set(err, ENOENT, "Landlock helper %s not found",
			    HR_LIBEXECDIR "/" HELPER_NAME),
	       NULL;
}

static bool is_writable_volume(const struct hr_json *m, const char **dest)
{
	const char *type = hr_json_as_string(hr_json_get(m, "type"));
	const struct hr_json *opts = hr_json_get(m, "options");
	bool bind = type && (strcmp(type, "bind") == 0 || strcmp(type, "tmpfs") == 0), w = true;

	*dest = hr_json_as_string(hr_json_get(m, "destination"));
	for (size_t k = 0; opts && opts->type == HR_JSON_ARRAY && k < opts->arr.len; k++) {
		const char *o = hr_json_as_string(opts->arr.items[k]);
		if (!o)
			continue;
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0)
			bind = true;
		else if (strcmp(o, "ro") == 0 || strcmp(o, "rro") == 0)
			w = false;
		else if (strcmp(o, "rw") == 0)
			w = true;
	}
	return bind && w && *dest && (*dest)[0] == '/' && !hr_startswith(*dest, "/proc") &&
	       !hr_startswith(*dest, "/sys") && strcmp(*dest, "/dev") != 0 &&
	       !hr_startswith(*dest, "/.hardrun");
}

static void push_rules(struct hr_json *args, const char *flag, char *const *paths)
{
	for (char *const *p = paths; p && *p; p++) {
		hr_json_append(args, hr_json_new_string(flag));
		hr_json_append(args, hr_json_new_string(*p));
	}
}

/* The helper's command line for the rules of s (defaults filled from the config). */
static struct hr_json *helper_args(struct hr_ctx *ctx, const struct lsm_settings *s)
{
	static char *const root[] = {"/", NULL};
	struct hr_json *a = hr_json_new(HR_JSON_ARRAY);
	_cleanup_strv_ char **rw = NULL;

	hr_json_append(a, hr_json_new_string(HELPER_DEST));
	if (s->landlock == LL_WARN)
		hr_json_append(a, hr_json_new_string("--best-effort"));
	push_rules(a, "--ro", s->ro ? s->ro : root);
	push_rules(a, "--x", s->exec ? s->exec : root);
	if (s->rw) {
		push_rules(a, "--rw", s->rw);
	} else {
		rw = hr_strv_dup((char *const *)default_rw);
		const struct hr_json *ms =
		    ctx->entry == HR_ENTRY_CREATE ? hr_json_get(ctx->spec, "mounts") : NULL;
		for (size_t i = 0; ms && ms->type == HR_JSON_ARRAY && i < ms->arr.len; i++) {
			const char *d = NULL;
			if (is_writable_volume(ms->arr.items[i], &d) && !hr_strv_contains(rw, d))
				hr_strv_push(&rw, d);
		}
		push_rules(a, "--rw", rw);
	}
	hr_json_append(a, hr_json_new_string("--"));
	return a;
}

/* A prefix already there (a re-run, or a config forging one) is replaced, never trusted. */
static size_t strip_prefix(const struct hr_json *args)
{
	const char *a0 = args->arr.len ? hr_json_as_string(args->arr.items[0]) : NULL;

	if (!a0 || strcmp(a0, HELPER_DEST) != 0)
		return 0;
	for (size_t i = 1; i < args->arr.len; i++) {
		const char *x = hr_json_as_string(args->arr.items[i]);
		if (x && strcmp(x, "--") == 0)
			return i + 1;
	}
	return args->arr.len;
}

static int check_args(const struct hr_json *args, struct hr_error **err)
{
	if (hr_json_is_null(args) || args->type != HR_JSON_ARRAY || args->arr.len == 0)
		return hr_error_set(err, 0, "process.args: expected a non-empty array");
	for (size_t i = 0; i < args->arr.len; i++)
		if (!hr_json_as_string(args->arr.items[i]))
			return hr_error_set(err, 0, "process.args[%zu]: expected string", i);
	return 0;
}

static int replace_helper_mount(struct hr_ctx *ctx, const char *helper, struct hr_error **err)
{
	struct hr_json *ms = hr_spec_get(ctx->spec, "mounts", HR_JSON_ARRAY, true, err);
	struct hr_json *m, *o;
	static const char *const opts[] = {"bind", "ro", "nosuid", "nodev", NULL};

	if (!ms)
		return -1;
	m = hr_json_new(HR_JSON_OBJECT);
	o = hr_json_new(HR_JSON_ARRAY);

	for (size_t i = ms->arr.len; i-- > 0;) {
		const char *d = hr_json_as_string(hr_json_get(ms->arr.items[i], "destination"));
		if (d && hr_startswith(d, "/.hardrun") && (d[9] == '\0' || d[9] == '/')) {
			hr_json_array_remove(ms, i);
			hr_plan_mount_removed(ctx->plan, i);
		}
	}
	hr_json_set(m, "destination", hr_json_new_string(HELPER_DEST));
	hr_json_set(m, "type", hr_json_new_string("bind"));
	hr_json_set(m, "source", hr_json_new_string(helper));
	for (size_t i = 0; opts[i]; i++)
		hr_json_append(o, hr_json_new_string(opts[i]));
	hr_json_set(m, "options", o);
	hr_json_append(ms, m);
	return 0;
}

/* Ours, and last: a later mount could shadow it, an earlier one cannot. */
static bool helper_mount_ok(const struct hr_ctx *ctx, const char *helper)
{
	const struct hr_json *ms = hr_json_get(ctx->spec, "mounts");
	const struct hr_json *m;
	_cleanup_free_ char *got = NULL;

	if (!ms || ms->type != HR_JSON_ARRAY || ms->arr.len == 0)
		return false;
	m = ms->arr.items[ms->arr.len - 1];
	got = hr_json_brief(m);
	_cleanup_free_ char *want =
	    hr_xasprintf("{\"destination\":\"%s\",\"type\":\"bind\",\"source\":\"%s\",\"options\":["
			 "\"bind\",\"ro\",\"nosuid\",\"nodev\"]}",
			 HELPER_DEST, helper);
	return strcmp(got, want) == 0;
}

static enum mac apply_landlock(struct hr_ctx *ctx, const struct lsm_settings *s,
			       struct hr_json *proc, const char *where, struct hr_error **err)
{
	struct hr_json *args = hr_json_get(proc, "args");
	bool create = ctx->entry == HR_ENTRY_CREATE;
	_cleanup_free_ char *helper = NULL;

	if (s->landlock == LL_OFF)
		return MAC_NONE;
	if (check_args(args, err) < 0)
		return MAC_ERROR;
	if (host->landlock_abi() <= 0) {
		if (s->landlock == LL_ENFORCE)
			hr_report_unfixable(ctx, where, NULL,
					    "Landlock is not supported by this kernel");
		else
			hr_report_as(ctx, HR_ACTION_WARN, where, NULL, NULL,
				     "Landlock is not supported by this kernel: not applied");
		return MAC_NONE;
	}
	if (create && !(helper = helper_path(ctx->container_id != NULL, err)))
		return MAC_ERROR;
	_cleanup_json_ struct hr_json *pre = helper_args(ctx, s);
	_cleanup_free_ char *before = hr_json_brief(args);
	for (size_t i = strip_prefix(args); i < args->arr.len; i++)
		hr_json_append(pre, hr_json_clone(args->arr.items[i]));
	_cleanup_free_ char *after = hr_json_brief(pre);
	if (strcmp(before, after) == 0 && (!create || helper_mount_ok(ctx, helper)))
		return MAC_CONFINED;
	if (!hr_report(ctx, where, before, after,
		       "the entrypoint runs under hardrun's Landlock helper (file-system rules)"))
		return MAC_NONE;
	if (create && replace_helper_mount(ctx, helper, err) < 0)
		return MAC_ERROR;
	hr_json_set(proc, "args", hr_steal_ptr(&pre));
	return MAC_CONFINED;
}

/* ---- entry points ---------------------------------------------------- */

static int run(struct hr_ctx *ctx, const struct lsm_settings *s, struct hr_json *proc,
	       const char *prefix, struct hr_error **err)
{
	_cleanup_free_ char *aa_where = hr_xasprintf("%sapparmorProfile", prefix);
	_cleanup_free_ char *args_where = hr_xasprintf("%sargs", prefix);
	enum mac aa = apply_apparmor(ctx, s, proc, aa_where, err);
	enum mac se = aa == MAC_ERROR ? MAC_ERROR : apply_selinux(ctx, proc, err);
	enum mac ll = se == MAC_ERROR ? MAC_ERROR : apply_landlock(ctx, s, proc, args_where, err);

	if (ll == MAC_ERROR)
		return -1;
	if (aa == MAC_CONFINED || se == MAC_CONFINED || ll == MAC_CONFINED)
		return 0;
	if (ctx->policy && ctx->policy->require_mac)
		hr_report_unfixable(
		    ctx, "process", NULL,
		    "no MAC available: no AppArmor profile, SELinux label or Landlock "
		    "rules apply to this process, and the host policy requires one");
	else
		hr_report_as(
		    ctx, HR_ACTION_WARN, "process", NULL, NULL,
		    "no MAC available: no AppArmor profile, SELinux label or Landlock rules "
		    "apply to this process");
	return 0;
}

static int apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	if (ctx->spec->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "config: expected object");
	struct hr_json *proc = hr_spec_get(ctx->spec, "process", HR_JSON_OBJECT, false, err);

	if (!proc)
		return *err ? -1 : 0;
	return run(ctx, settings, proc, "process.", err);
}

static int apply_process(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	if (!ctx->spec || ctx->spec->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "process: expected object");
	return run(ctx, settings, ctx->spec, "", err);
}

const struct hr_rule hr_rule_lsm = {
    .name = "lsm",
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
    .apply_process = apply_process,
};
