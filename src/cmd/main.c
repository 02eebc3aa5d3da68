/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/cli.h"
#include "hardrun/create.h"
#include "hardrun/delegate.h"
#include "hardrun/install.h"
#include "hardrun/log.h"
#include "hardrun/profile.h"
#include "hardrun/rules-resources.h"
#include "hardrun/util.h"
#include "hardrun/features.h"
#include "hardrun/idmap.h"
#include "hardrun/lifecycle.h"
#if HAVE_BUILTIN
#include "hardrun/runtime.h"
#endif

static const char usage_text[] =
    "usage: hardrun [--hardrun-OPTION ...] [runc global flags] COMMAND [flags] [args]\n"
    "\n"
    "hardrun is a hardened, runc-compatible OCI runtime.  Every runc command is\n"
    "accepted: create, run and restore harden the bundle's config.json and exec\n"
    "check the process, then the lower runtime (runc, crun or hardrun's builtin\n"
    "runtime) runs it; all other commands are handed to the lower runtime as given.\n"
    "\n"
    "hardrun's own commands:\n"
    "  check [--profile P] [--format text|json] (--bundle DIR | --config FILE)\n"
    "                           findings and the hardened diff; exit 1 if refused\n"
    "  features                 the lower runtime's features, plus user namespaces\n"
    "                           and idmapped mounts\n"
    "  install docker|containerd|podman [--uninstall] [--config PATH]\n"
    "                           register hardrun and its profiles with an engine\n"
    "  doctor                   host readiness and what will be refused\n"
    "\n"
    "hardrun's options (before the command; never passed to the lower runtime):\n"
    "  --hardrun-profile NAME   profile (default: policy's defaultProfile; a binary\n"
    "                           named hardrun-NAME selects NAME)   [HARDRUN_PROFILE]\n"
    "  --hardrun-runtime R      runc, crun, a path, or builtin     [HARDRUN_RUNTIME]\n"
    "  --hardrun-policy FILE    host policy (default " HR_DEFAULT_POLICY_PATH ")\n"
    "                                                              [HARDRUN_POLICY]\n"
    "  --hardrun-audit-log FILE audit log (JSON lines)             [HARDRUN_AUDIT_LOG]\n"
    "  --hardrun-no-audit       write no audit record\n"
    "\n"
    "runc's global flags: --root DIR, --log FILE, --log-format text|json, --debug,\n"
    "  --systemd-cgroup, --rootless true|false|auto, --criu PATH, --version, --help\n"
    "\n"
    "Exit codes: 0 success, 1 failure, refused by policy or a bad runc command line,\n"
    "2 a bad --hardrun-* option,\n"
    "127 lower runtime not executable; otherwise the lower runtime's own.\n"
    "See hardrun(1) and docs/policy.md.\n";

#if HAVE_BUILTIN
/* A limit the host could not apply (a cgroup limit without a controller),
 * reported as the resources rule reports; whether the container started
 * without it was the host struct's decision (unapplied_ok). */
static void runtime_warning(void *ctx, const char *key, const char *msg, bool started)
{
	(void)ctx;
	(void)key; /* msg names it */
	hr_log(HR_LOG_WARN, "resources: %s; resources.unapplied is %s", msg,
	       started ? "warn" : "deny");
}
#endif

/* `hardrun-restricted` as argv[0] selects the profile `restricted`. */
static const char *profile_from_argv0(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	if (strncmp(base, "hardrun-", 8) == 0 && base[8])
		return base + 8;
	return NULL;
}

/* The one warning sink (hr_warn): runc's log, as a warning. */
static void warn_to_log(const char *msg)
{
	hr_log(HR_LOG_WARN, "%s", msg);
}

/* A broken policy refuses every create: recorded where the defaults would. */
static void audit_broken_policy(const struct hr_cli *cli, const struct hr_error *e)
{
	struct hr_policy *d = hr_policy_defaults();
	const char *path = cli->opts.audit_log ? cli->opts.audit_log : d->audit_log;
	struct hr_error *aerr = NULL;

	if (!cli->opts.no_audit && strcmp(cli->command, "check") != 0 &&
	    hr_audit_refusal(path, d->audit_max_bytes, cli->command, hr_cli_id(cli), e->msg,
			     &aerr) < 0)
		hr_error_clear(&aerr);
	hr_policy_free(d);
}

static int fail(struct hr_error *err)
{
	int status = err->status ? err->status : HR_EXIT_ERROR;
	hr_log(HR_LOG_ERROR, "%s", err->msg);
	hr_error_clear(&err);
	return status;
}

static int print_version(const char *runtime)
{
	printf("hardrun version %s\n", HR_VERSION);
	if (runtime && strcmp(runtime, HR_RUNTIME_BUILTIN) != 0) {
		_cleanup_free_ char *v = hr_delegate_capture(runtime, "--version");
		if (v)
			fputs(v, stdout);
	} else {
		printf("runtime: builtin\nspec: 1.0.2-dev\n");
	}
	return 0;
}

static bool is_create_like(const char *cmd)
{
	return !strcmp(cmd, "create") || !strcmp(cmd, "run") || !strcmp(cmd, "restore");
}

static bool needs_policy(const char *cmd)
{
	return is_create_like(cmd) || !strcmp(cmd, "exec") || !strcmp(cmd, "check") ||
	       !strcmp(cmd, "update");
}

/*
 * Without --root, runc (and crun) keep a rootless caller's containers in
 * $XDG_RUNTIME_DIR/runc: when not root, or root only inside a user
 * namespace whose USER is not "root" (rootless podman runs the runtime as
 * root in its user namespace and passes no --root).  hardrun must look
 * where the runtime will write: checking /run/runc there instead (root's,
 * mode 0700, EACCES in that namespace) tells nothing about the id.
 */
static bool rootless_runtime_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *user = getenv("USER");

	if (!xdg || xdg[0] != '/')
		return false;
	if (geteuid() != 0)
		return true;
	return hr_in_user_namespace() && (!user || strcmp(user, "root") != 0);
}

/*
 * The state root the runtime keeps containers in, absolute (a relative
 * --root is the runtime's cwd's, and hardrun's keeper works from /).  A
 * wrong root makes every live container look gone to the id-range
 * reclaimer, which would then hand its range out again: the builtin
 * runtime's and crun's defaults are not runc's.
 */
static char *runtime_root(const struct hr_cli *cli, const char *runtime)
{
	char cwd[4096];

	if (cli->root && cli->root[0] == '/')
		return hr_xstrdup(cli->root);
	if (cli->root)
		return getcwd(cwd, sizeof(cwd)) ? hr_xasprintf("%s/%s", cwd, cli->root)
						: hr_xstrdup(cli->root);
#if HAVE_BUILTIN
	if (strcmp(runtime, HR_RUNTIME_BUILTIN) == 0)
		return hr_xstrdup(HR_RT_DEFAULT_ROOT);
#endif
	if (rootless_runtime_dir())
		return hr_xasprintf("%s/%s", getenv("XDG_RUNTIME_DIR"),
				    hr_runtime_is(runtime, "crun") ? "crun" : "runc");
	if (hr_runtime_is(runtime, "crun"))
		return hr_xstrdup("/run/crun");
	return hr_xstrdup(hr_runtime_root(NULL));
}

#if HAVE_BUILTIN
struct builtin_views {
	const struct hr_policy *policy;
	const char *id;
};

/* The init has its mounts in its own mount namespace: the host-side
 * idmapped views of volumes (and overlay layers) go now, while the
 * container runs, not after it exits.  The rootfs view never was on the
 * host: the init attached the detached tree itself. */
static void release_views(void *ctx)
{
	const struct builtin_views *v = ctx;
	struct hr_error *e = NULL;

	if (hr_idmount_release(v->policy, v->id, &e) < 0) {
		hr_log(HR_LOG_WARN, "%s", e->msg);
		hr_error_clear(&e);
	}
}

/* create/run with the builtin runtime, which takes the hardened config in memory. */
static int builtin_create(struct hr_cli *cli, const struct hr_policy *policy, struct hr_hardened *h,
			  struct hr_error **err)
{
	struct builtin_views views = {.policy = policy, .id = hr_cli_id(cli)};
	const struct hr_rule_config *rc = hr_profile_rule(h->profile, "resources");
	struct hr_rt_host host = {
	    .rootfs_ready = release_views,
	    .ctx = &views,
	    .rootfs_tree = h->rootfs_fd,
	    .unapplied_ok = !hr_resources_unapplied_fatal(rc ? rc->settings : NULL),
	};
	int status = 0, r;

	/* the bundle is free for the next create at once, not when this one exits */
	hr_closep(&h->dirfd);
	if (!strcmp(cli->command, "create"))
		r = hr_rt_create(cli, h->spec, h->bundle, &host, err);
	else if (!strcmp(cli->command, "run"))
		r = hr_rt_run(cli, h->spec, h->bundle, &host, &status, err);
	else
		r = hr_error_set(err, 0, "the builtin runtime cannot %s", cli->command);
	hr_container_sweep(policy, hr_cli_id(cli));
	/* A foreground run deletes its container; a failed create has none. */
	hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root, h->owner);
	hr_hardened_clear(h);
	return r < 0 ? -1 : status;
}
#endif

/* The keeper's part of a create: the audit record, once the runtime runs. */
struct create_record {
	const struct hr_cli *cli;
	const struct hr_policy *policy;
	struct hr_hardened *h;
};

static void record_allowed(void *ctx)
{
	const struct create_record *c = ctx;

	hr_harden_audit(c->cli, c->policy, c->h, NULL);
}

static void drop_hardened(void *ctx)
{
	hr_hardened_clear(((struct create_record *)ctx)->h);
}

static void log_findings(const struct hr_hardened *h)
{
	for (size_t i = 0; i < h->findings.len; i++)
		hr_log(HR_LOG_DEBUG, "%s %s %s: %s", h->findings.items[i].rule,
		       hr_action_name(h->findings.items[i].action), h->findings.items[i].path,
		       h->findings.items[i].reason);
}

/*
 * create, run, restore: decide (the rules, which also provision what their
 * plan needs), write the hardened config.json atomically, exec the runtime.
 * A refusal is recorded and returned here, before any runtime runs: it
 * exits 1 with the reason as the last error line.
 */
static int create_path(struct hr_cli *cli, const struct hr_policy *policy, const char *runtime,
		       struct hr_error **err)
{
	struct hr_hardened h = HR_HARDENED_INIT;
	bool builtin = strcmp(runtime, HR_RUNTIME_BUILTIN) == 0;

	/* The builtin runtime takes the hardened config in memory: the bundle's
	 * config.json stays as the caller wrote it. */
	int r = hr_harden(cli, policy, cli->opts.profile, NULL,
			  builtin ? HR_HARDEN_IN_MEMORY : HR_HARDEN_WRITE, &h, err);
	if (r < 0) {
		hr_harden_audit(cli, policy, &h, *err);
		/* Refused after the userns rule took a range: give it back. */
		hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root, h.owner);
		hr_hardened_clear(&h);
		return -1;
	}
	log_findings(&h);
#if HAVE_BUILTIN
	if (builtin) {
		hr_harden_audit(cli, policy, &h, NULL);
		return builtin_create(cli, policy, &h, err);
	}
#endif
	struct create_record rec = {.cli = cli, .policy = policy, .h = &h};
	struct hr_handoff ho = {.bundle_lock = hr_steal_fd(&h.dirfd),
				.owner = h.owner,
				.record = record_allowed,
				.drop = drop_hardened,
				.ctx = &rec};
	/* Returns only on failure, or without pidfd after the runtime has exited. */
	r = hr_delegate_create(runtime, cli, policy, &ho, err);
	hr_hardened_clear(&h);
	return r;
}

static int delete_path(struct hr_cli *cli, const struct hr_policy *policy, const char *runtime,
		       struct hr_error **err)
{
	int status = 0;
#if HAVE_BUILTIN
	if (strcmp(runtime, HR_RUNTIME_BUILTIN) == 0) {
		if (hr_rt_command(cli, &status, err) < 0)
			return -1;
	} else
#endif
	    if (hr_delegate_run(runtime, cli, &status, err) < 0)
		return -1;
	/* Also after "does not exist": a create killed before the runtime ran
	 * holds a range that this delete is the user's way to give back. */
	hr_container_release_unless_live(policy, hr_cli_id(cli), cli->state_root, NULL);
	return status;
}

static int dispatch(struct hr_cli *cli, const struct hr_policy *policy, const char *runtime,
		    struct hr_error **err)
{
	const char *cmd = cli->command;
	if (!strcmp(cmd, "check"))
		return hr_check_main(cli, policy, cli->opts.profile, err);
	if (!strcmp(cmd, "features"))
		return hr_features_main(runtime, err);
	if (!strcmp(cmd, "install"))
		return hr_install_main(cli, err);
	if (!strcmp(cmd, "doctor"))
		return hr_doctor_main(cli, err);
	if (is_create_like(cmd))
		return create_path(cli, policy, runtime, err);
	if (!strcmp(cmd, "exec") || !strcmp(cmd, "update")) {
		_cleanup_free_ char *saved = hr_container_profile(policy, hr_cli_id(cli));
		const char *p = saved ? saved : cli->opts.profile;
		if (!strcmp(cmd, "exec") ? hr_exec_harden(cli, policy, p, err) < 0
					 : hr_update_check(cli, policy, p, err) < 0)
			return -1;
	}
	if (!strcmp(cmd, "delete"))
		return delete_path(cli, policy, runtime, err);
#if HAVE_BUILTIN
	if (strcmp(runtime, HR_RUNTIME_BUILTIN) == 0) {
		int status = 0;
		if (hr_rt_command(cli, &status, err) < 0)
			return -1;
		return status;
	}
#endif
	return hr_delegate_exec(runtime, cli, err);
}

/*
 * A command's help or a usage error, decided before anything reads a
 * bundle.  runc's own words come from runc with nothing but the command and
 * --help, so it cannot act either; hardrun's check and the builtin runtime
 * answer here.
 */
static int usage_main(struct hr_cli *cli, enum hr_cli_usage usage, const char *runtime,
		      struct hr_error **err)
{
	bool own = !runtime || strcmp(runtime, HR_RUNTIME_BUILTIN) == 0 ||
		   strcmp(cli->command, "check") == 0 || strcmp(cli->command, "install") == 0 ||
		   strcmp(cli->command, "doctor") == 0;
	if (!own) {
		hr_cli_reduce_to_usage(cli, usage == HR_CLI_HELP);
		return hr_delegate_exec(runtime, cli, err);
	}
	if (usage == HR_CLI_BAD_ARGS)
		return hr_cli_usage_error(cli, err);
	_cleanup_free_ char *text = hr_cli_help_text(cli);
	fputs(text, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct hr_cli cli;
	struct hr_error *err = NULL;
	_cleanup_free_ char *runtime = NULL;
	struct hr_policy *policy = NULL;
	int ret = 0;

	if (hr_cli_parse(&cli, argc, argv, &err) < 0) {
		hr_log_init(cli.log, cli.log_format, cli.debug);
		return fail(err);
	}
	hr_log_init(cli.log, cli.log_format, cli.debug);
	hr_warn_set_sink(warn_to_log);
#if HAVE_BUILTIN
	hr_rt_set_warn(runtime_warning, NULL);
#endif
	if (!cli.opts.profile)
		cli.opts.profile = profile_from_argv0(argv[0]);
	/* runc too answers a global --help (or --version) and runs no command. */
	if (cli.help) {
		fputs(usage_text, stdout);
		return 0;
	}

	enum hr_cli_usage usage = hr_cli_usage_of(&cli);
	bool strict = cli.command && needs_policy(cli.command) && usage == HR_CLI_RUN;
	policy = hr_policy_load(cli.opts.policy, &err);
	if (!policy && strict) {
		audit_broken_policy(&cli, err);
		return fail(err);
	}
	if (!policy) {
		/* Never block state/kill/delete on a broken policy file. */
		hr_log(HR_LOG_WARN, "%s (using built-in defaults for `%s`)", err->msg,
		       cli.command ? cli.command : "");
		hr_error_clear(&err);
		policy = hr_policy_defaults();
	}

	const char *want = cli.opts.runtime ? cli.opts.runtime : (policy ? policy->runtime : NULL);
#if HAVE_BUILTIN
	runtime = hr_delegate_find(want, true, &err);
#else
	runtime = hr_delegate_find(want, false, &err);
	if (runtime && strcmp(runtime, HR_RUNTIME_BUILTIN) == 0) {
		free(runtime);
		runtime = NULL;
		hr_error_set(&err, 0, "this hardrun was built without the builtin runtime");
	}
#endif
	if (cli.version) {
		print_version(runtime);
		ret = 0;
	} else if (!cli.command) {
		fputs(usage_text, stdout);
		ret = 0;
	} else if (usage != HR_CLI_RUN) {
		hr_error_clear(&err);
		ret = usage_main(&cli, usage, runtime, &err);
		if (ret < 0)
			ret = fail(err);
	} else if (!runtime && strcmp(cli.command, "check") != 0 &&
		   strcmp(cli.command, "install") != 0 && strcmp(cli.command, "doctor") != 0) {
		ret = fail(err);
		err = NULL;
	} else {
		hr_error_clear(&err);
		if (runtime)
			cli.state_root = runtime_root(&cli, runtime);
		ret = dispatch(&cli, policy, runtime, &err);
		if (ret < 0)
			ret = fail(err);
	}
	hr_policy_free(policy);
	hr_cli_free(&cli);
	return ret;
}
