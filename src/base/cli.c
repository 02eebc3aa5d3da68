/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/cli.h"
#include "hardrun/util.h"

#define B HR_FLAG_BOOL
#define V HR_FLAG_VALUE
#define M HR_FLAG_MULTI

/* runc 1.1's flags, per command.  Every command also takes --help/-h. */
static const struct hr_flag_spec global_flags[] = {
    {"debug", NULL, B},	   {"log", NULL, V},  {"log-format", NULL, V},
    {"root", NULL, V},	   {"criu", NULL, V}, {"systemd-cgroup", NULL, B},
    {"rootless", NULL, V}, {"help", "h", B},  {"version", "v", B},
    {NULL, NULL, B},
};

static const struct hr_flag_spec f_none[] = {{"help", "h", B}, {NULL, NULL, B}};

static const struct hr_flag_spec f_create[] = {
    {"bundle", "b", V},
    {"console-socket", NULL, V},
    {"pid-file", NULL, V},
    {"no-pivot", NULL, B},
    {"no-new-keyring", NULL, B},
    {"preserve-fds", NULL, V},
    {"help", "h", B},
    {NULL, NULL, B},
};

static const struct hr_flag_spec f_run[] = {
    {"bundle", "b", V},	       {"console-socket", NULL, V},
    {"detach", "d", B},	       {"keep", NULL, B},
    {"pid-file", NULL, V},     {"no-subreaper", NULL, B},
    {"no-pivot", NULL, B},     {"no-new-keyring", NULL, B},
    {"preserve-fds", NULL, V}, {"help", "h", B},
    {NULL, NULL, B},
};

static const struct hr_flag_spec f_exec[] = {
    {"console-socket", NULL, V},
    {"cwd", NULL, V},
    {"env", "e", M},
    {"tty", "t", B},
    {"user", "u", V},
    {"additional-gids", "g", M},
    {"process", "p", V},
    {"detach", "d", B},
    {"pid-file", NULL, V},
    {"process-label", NULL, V},
    {"apparmor", NULL, V},
    {"no-new-privs", NULL, B},
    {"cap", "c", M},
    {"preserve-fds", NULL, V},
    {"cgroup", NULL, M},
    {"ignore-paused", NULL, B},
    {"help", "h", B},
    {NULL, NULL, B},
};

static const struct hr_flag_spec f_delete[] = {
    {"force", "f", B}, {"help", "h", B}, {NULL, NULL, B}};
static const struct hr_flag_spec f_kill[] = {{"all", "a", B}, {"help", "h", B}, {NULL, NULL, B}};
static const struct hr_flag_spec f_list[] = {
    {"format", "f", V}, {"quiet", "q", B}, {"help", "h", B}, {NULL, NULL, B}};
static const struct hr_flag_spec f_ps[] = {{"format", "f", V}, {"help", "h", B}, {NULL, NULL, B}};
static const struct hr_flag_spec f_events[] = {
    {"interval", NULL, V}, {"stats", NULL, B}, {"help", "h", B}, {NULL, NULL, B}};
static const struct hr_flag_spec f_spec[] = {
    {"bundle", "b", V}, {"rootless", NULL, B}, {"help", "h", B}, {NULL, NULL, B}};

static const struct hr_flag_spec f_checkpoint[] = {
    {"image-path", NULL, V},
    {"work-path", NULL, V},
    {"parent-path", NULL, V},
    {"leave-running", NULL, B},
    {"tcp-established", NULL, B},
    {"ext-unix-sk", NULL, B},
    {"shell-job", NULL, B},
    {"lazy-pages", NULL, B},
    {"status-fd", NULL, V},
    {"page-server", NULL, V},
    {"file-locks", NULL, B},
    {"pre-dump", NULL, B},
    {"manage-cgroups-mode", NULL, V},
    {"empty-ns", NULL, M},
    {"auto-dedup", NULL, B},
    {"help", "h", B},
    {NULL, NULL, B},
};

static const struct hr_flag_spec f_restore[] = {
    {"console-socket", NULL, V},
    {"image-path", NULL, V},
    {"work-path", NULL, V},
    {"tcp-established", NULL, B},
    {"ext-unix-sk", NULL, B},
    {"shell-job", NULL, B},
    {"file-locks", NULL, B},
    {"manage-cgroups-mode", NULL, V},
    {"bundle", "b", V},
    {"detach", "d", B},
    {"pid-file", NULL, V},
    {"no-subreaper", NULL, B},
    {"no-pivot", NULL, B},
    {"empty-ns", NULL, M},
    {"auto-dedup", NULL, B},
    {"lazy-pages", NULL, B},
    {"lsm-profile", NULL, V},
    {"lsm-mount-context", NULL, V},
    {"help", "h", B},
    {NULL, NULL, B},
};

static const struct hr_flag_spec f_update[] = {
    {"resources", "r", V},
    {"blkio-weight", NULL, V},
    {"cpu-period", NULL, V},
    {"cpu-quota", NULL, V},
    {"cpu-share", NULL, V},
    {"cpu-rt-period", NULL, V},
    {"cpu-rt-runtime", NULL, V},
    {"cpuset-cpus", NULL, V},
    {"cpuset-mems", NULL, V},
    {"kernel-memory", NULL, V},
    {"kernel-memory-tcp", NULL, V},
    {"memory", NULL, V},
    {"memory-reservation", NULL, V},
    {"memory-swap", NULL, V},
    {"pids-limit", NULL, V},
    {"l3-cache-schema", NULL, V},
    {"mem-bw-schema", NULL, V},
    {"help", "h", B},
    {NULL, NULL, B},
};

/* hardrun's own commands. */
static const struct hr_flag_spec f_check[] = {
    {"bundle", "b", V}, {"config", NULL, V}, {"profile", NULL, V},
    {"format", "f", V}, {"help", "h", B},    {NULL, NULL, B},
};

static const struct hr_flag_spec f_install[] = {{"uninstall", NULL, HR_FLAG_BOOL},
						{"config", NULL, HR_FLAG_VALUE},
						{"help", "h", HR_FLAG_BOOL},
						{NULL, NULL, HR_FLAG_BOOL}};

static const struct hr_flag_spec f_doctor[] = {{"docker-config", NULL, HR_FLAG_VALUE},
					       {"containerd-config", NULL, HR_FLAG_VALUE},
					       {"podman-config", NULL, HR_FLAG_VALUE},
					       {"help", "h", HR_FLAG_BOOL},
					       {NULL, NULL, HR_FLAG_BOOL}};

/*
 * A command: its flags, how many positional arguments runc's checkArgs
 * wants (max < 0: no upper bound) and the usage line of its help.
 */
struct command {
	const char *name;
	const struct hr_flag_spec *flags;
	bool no_reorder; /* urfave's SkipArgReorder: args after the id are the payload */
	int min_args, max_args;
	const char *usage;
};

#define ID "<container-id>"
static const struct command commands[] = {
    {"checkpoint", f_checkpoint, false, 1, 1, ID},
    {"create", f_create, false, 1, 1, ID},
    {"delete", f_delete, false, 1, 1, ID},
    {"events", f_events, false, 1, 1, ID},
    {"exec", f_exec, true, 1, -1, ID " <command> [command options]  || -p process.json " ID},
    {"features", f_none, false, 0, 0, ""},
    {"init", f_none, false, 0, -1, ""},
    {"kill", f_kill, false, 1, 2, ID " [signal]"},
    {"list", f_list, false, 0, 0, ""},
    {"pause", f_none, false, 1, 1, ID},
    {"ps", f_ps, true, 1, -1, ID " [ps options]"},
    {"restore", f_restore, false, 1, 1, ID},
    {"resume", f_none, false, 1, 1, ID},
    {"run", f_run, false, 1, 1, ID},
    {"spec", f_spec, false, 0, 0, ""},
    {"start", f_none, false, 1, 1, ID},
    {"state", f_none, false, 1, 1, ID},
    {"update", f_update, false, 1, 1, ID},
    {"help", f_none, false, 0, -1, "[command]"},
    {"h", f_none, false, 0, -1, "[command]"},
    {"check", f_check, false, 0, 1, "(--bundle DIR | --config FILE | FILE)"},
    {"install", f_install, false, 1, 1, "docker|containerd|podman [--uninstall] [--config PATH]"},
    {"doctor", f_doctor, false, 0, 0,
     "[--docker-config F] [--containerd-config F] [--podman-config F]"},
    {NULL, NULL, false, 0, 0, NULL},
};
#undef ID

#undef B
#undef V
#undef M

static const struct hr_flag_spec *find_flag(const struct hr_flag_spec *tab, const char *name,
					    size_t len)
{
	for (; tab->name; tab++) {
		if ((strlen(tab->name) == len && strncmp(tab->name, name, len) == 0) ||
		    (tab->alias && strlen(tab->alias) == len &&
		     strncmp(tab->alias, name, len) == 0))
			return tab;
	}
	return NULL;
}

static bool is_flag(const char *a)
{
	return a[0] == '-' && a[1] != '\0' && strcmp(a, "--") != 0;
}

/* Go's strconv.ParseBool, which runc's bool flags use: 1 true, 0 false, -1 bad. */
static int go_bool(const char *v)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
	for (size_t i = 0; yes[i]; i++) {
		if (strcmp(v, yes[i]) == 0)
			return 1;
		if (strcmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

/*
 * Runc-table flag errors exit 1, as runc's do.  Decode one flag at argv[*i] (Go's flag syntax).  On
 * success *spec and *value are set and *i points at the last argv element consumed.
 */
static int take_flag(const struct hr_flag_spec *tab, char **argv, int argc, int *i,
		     const struct hr_flag_spec **spec, const char **value, struct hr_error **err)
{
	const char *a = argv[*i];
	const char *name = a + (a[1] == '-' ? 2 : 1);
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);

	*spec = find_flag(tab, name, len);
	if (!*spec)
		return hr_error_set_status(err, HR_EXIT_ERROR, 0,
					   "flag provided but not defined: -%.*s", (int)len, name);
	if ((*spec)->kind == HR_FLAG_BOOL) {
		int b = go_bool(eq ? eq + 1 : "true");
		if (b < 0)
			return hr_error_set_status(err, HR_EXIT_ERROR, 0,
						   "invalid boolean value \"%s\" for -%s", eq + 1,
						   (*spec)->name);
		*value = b ? "true" : "false";
		return 0;
	}
	if (eq) {
		*value = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return hr_error_set_status(err, HR_EXIT_ERROR, 0, "flag needs an argument: -%s",
					   (*spec)->name);
	*value = argv[++*i];
	return 0;
}

static int hardrun_flag(struct hr_cli *cli, char **argv, int argc, int *i, struct hr_error **err)
{
	static const struct hr_flag_spec own[] = {
	    {"hardrun-runtime", NULL, HR_FLAG_VALUE}, {"hardrun-profile", NULL, HR_FLAG_VALUE},
	    {"hardrun-policy", NULL, HR_FLAG_VALUE},  {"hardrun-audit-log", NULL, HR_FLAG_VALUE},
	    {"hardrun-no-audit", NULL, HR_FLAG_BOOL}, {NULL, NULL, HR_FLAG_BOOL},
	};
	const struct hr_flag_spec *spec = NULL;
	const char *value = NULL;

	if (take_flag(own, argv, argc, i, &spec, &value, err) < 0) {
		if (err && *err)
			(*err)->status = HR_EXIT_USAGE; /* hardrun's own option: documented as 2 */
		return -1;
	}
	if (strcmp(spec->name, "hardrun-runtime") == 0)
		cli->opts.runtime = value;
	else if (strcmp(spec->name, "hardrun-profile") == 0)
		cli->opts.profile = value;
	else if (strcmp(spec->name, "hardrun-policy") == 0)
		cli->opts.policy = value;
	else if (strcmp(spec->name, "hardrun-audit-log") == 0)
		cli->opts.audit_log = value;
	else
		cli->opts.no_audit = strcmp(value, "true") == 0;
	return 0;
}

static void set_global(struct hr_cli *cli, const struct hr_flag_spec *spec, const char *value)
{
	bool on = strcmp(value, "true") == 0;
	const char *n = spec->name;
	if (!strcmp(n, "debug"))
		cli->debug = on;
	else if (!strcmp(n, "log"))
		cli->log = value;
	else if (!strcmp(n, "log-format"))
		cli->log_format = value;
	else if (!strcmp(n, "root"))
		cli->root = value;
	else if (!strcmp(n, "criu"))
		cli->criu = value;
	else if (!strcmp(n, "systemd-cgroup"))
		cli->systemd_cgroup = on;
	else if (!strcmp(n, "rootless"))
		cli->rootless = value;
	else if (!strcmp(n, "help"))
		cli->help = on;
	else if (!strcmp(n, "version"))
		cli->version = on;
}

static void push_flag(struct hr_cli *cli, const struct hr_flag_spec *spec, const char *value)
{
	cli->flags = hr_xrealloc(cli->flags, (cli->n_flags + 1) * sizeof(*cli->flags));
	cli->flags[cli->n_flags].spec = spec;
	cli->flags[cli->n_flags].value = value;
	cli->n_flags++;
}

static void push_arg(struct hr_cli *cli, char *a)
{
	cli->args = hr_xrealloc(cli->args, (cli->n_args + 2) * sizeof(char *));
	cli->args[cli->n_args++] = a;
	cli->args[cli->n_args] = NULL;
}

static int parse_command(struct hr_cli *cli, const struct command *cmd, int argc, char **argv,
			 int i, struct hr_error **err)
{
	bool flags_done = false;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!flags_done && strcmp(a, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (!flags_done && is_flag(a)) {
			const struct hr_flag_spec *spec = NULL;
			const char *value = NULL;
			if (take_flag(cmd->flags, argv, argc, &i, &spec, &value, err) < 0)
				return hr_err_wrap(err, "%s", cmd->name);
			push_flag(cli, spec, value);
			continue;
		}
		push_arg(cli, argv[i]);
		/* exec and ps: everything after the container id belongs to it. */
		if (cmd->no_reorder)
			flags_done = true;
	}
	return 0;
}

static void options_from_env(struct hr_cli *cli)
{
	const char *v = NULL;
	if ((v = getenv("HARDRUN_RUNTIME")) && *v)
		cli->opts.runtime = v;
	if ((v = getenv("HARDRUN_PROFILE")) && *v)
		cli->opts.profile = v;
	if ((v = getenv("HARDRUN_POLICY")) && *v)
		cli->opts.policy = v;
	if ((v = getenv("HARDRUN_AUDIT_LOG")) && *v)
		cli->opts.audit_log = v;
}

int hr_cli_parse(struct hr_cli *cli, int argc, char **argv, struct hr_error **err)
{
	int i = 1;

	memset(cli, 0, sizeof(*cli));
	cli->command_index = -1;
	cli->command_entry = -1;
	cli->runtime_argv = hr_xcalloc((size_t)argc + 1, sizeof(char *));
	cli->runtime_argv[cli->runtime_argc++] = argv[0];
	options_from_env(cli);

	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--hardrun-", 10) == 0) {
			if (hardrun_flag(cli, argv, argc, &i, err) < 0)
				return -1;
			continue;
		}
		if (!is_flag(a))
			break;
		int start = i;
		const struct hr_flag_spec *spec = NULL;
		const char *value = NULL;
		if (take_flag(global_flags, argv, argc, &i, &spec, &value, err) < 0)
			return -1;
		set_global(cli, spec, value);
		for (int k = start; k <= i; k++)
			cli->runtime_argv[cli->runtime_argc++] = argv[k];
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		cli->runtime_argv[cli->runtime_argc++] = argv[i++];
	if (cli->log_format && strcmp(cli->log_format, "text") && strcmp(cli->log_format, "json"))
		return hr_error_set_status(err, HR_EXIT_ERROR, 0,
					   "invalid log-format: %s (want text or json)",
					   cli->log_format);
	if (i >= argc)
		return 0;

	cli->command = argv[i];
	cli->command_index = (int)cli->runtime_argc;
	for (int k = i; k < argc; k++)
		cli->runtime_argv[cli->runtime_argc++] = argv[k];
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, cli->command) == 0) {
			cli->known_command = true;
			cli->command_entry = (int)(c - commands);
			return parse_command(cli, c, argc, argv, i + 1, err);
		}
	}
	return 0;
}

void hr_cli_free(struct hr_cli *cli)
{
	free(cli->flags);
	free(cli->args);
	free(cli->runtime_argv);
	free(cli->state_root);
	memset(cli, 0, sizeof(*cli));
}

const char *hr_cli_flag(const struct hr_cli *cli, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < cli->n_flags; i++)
		if (strcmp(cli->flags[i].spec->name, name) == 0)
			v = cli->flags[i].value;
	return v;
}

bool hr_cli_flag_bool(const struct hr_cli *cli, const char *name)
{
	const char *v = hr_cli_flag(cli, name);
	return v && strcmp(v, "true") == 0;
}

const char **hr_cli_flag_all(const struct hr_cli *cli, const char *name)
{
	const char **v = hr_xcalloc(cli->n_flags + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < cli->n_flags; i++)
		if (strcmp(cli->flags[i].spec->name, name) == 0)
			v[n++] = cli->flags[i].value;
	return v;
}

char *hr_cli_bundle(const struct hr_cli *cli, struct hr_error **err)
{
	const char *b = hr_cli_flag(cli, "bundle");
	char *abs = NULL;
	if (!b || !*b) {
		abs = getcwd(NULL, 0);
		if (!abs)
			hr_error_set(err, errno, "getcwd");
		return abs;
	}
	if (b[0] == '/')
		return hr_xstrdup(b);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (!cwd) {
		hr_error_set(err, errno, "getcwd");
		return NULL;
	}
	return hr_xasprintf("%s/%s", cwd, b);
}

enum hr_cli_usage hr_cli_usage_of(const struct hr_cli *cli)
{
	if (cli->command_entry < 0)
		return HR_CLI_RUN;
	const struct command *c = &commands[cli->command_entry];
	if (hr_cli_flag_bool(cli, "help"))
		return HR_CLI_HELP;
	if ((int)cli->n_args < c->min_args || (c->max_args >= 0 && (int)cli->n_args > c->max_args))
		return HR_CLI_BAD_ARGS;
	return HR_CLI_RUN;
}

int hr_cli_usage_error(const struct hr_cli *cli, struct hr_error **err)
{
	const struct command *c = &commands[cli->command_entry];
	const char *how = c->min_args == c->max_args	   ? "exactly"
			  : (int)cli->n_args < c->min_args ? "a minimum of"
							   : "a maximum of";
	int n = (int)cli->n_args < c->min_args ? c->min_args : c->max_args;
	return hr_error_set(err, 0, "hardrun: \"%s\" requires %s %d argument(s)", c->name, how, n);
}

void hr_cli_reduce_to_usage(struct hr_cli *cli, bool help)
{
	const struct command *c = &commands[cli->command_entry];
	size_t n = (size_t)cli->command_index + 1;
	/* Too many arguments: as many empty ids, which no runtime accepts as
	 * a container, so runc reports the count and can act on nothing. */
	size_t extra = !help && c->max_args >= 0 && (int)cli->n_args > c->max_args
			   ? (size_t)c->max_args + 1
			   : 0;

	cli->runtime_argv = hr_xrealloc(cli->runtime_argv, (n + extra + 2) * sizeof(char *));
	if (help)
		cli->runtime_argv[n++] = "--help";
	while (extra-- > 0)
		cli->runtime_argv[n++] = "";
	cli->runtime_argv[n] = NULL;
	cli->runtime_argc = n;
}

char *hr_cli_help_text(const struct hr_cli *cli)
{
	const struct command *c = &commands[cli->command_entry];
	_cleanup_free_ char *opts = hr_xstrdup("");
	for (const struct hr_flag_spec *f = c->flags; f->name; f++) {
		char *o =
		    hr_xasprintf("%s   --%s%s%s%s\n", opts, f->name, f->alias ? ", -" : "",
				 f->alias ? f->alias : "", f->kind == HR_FLAG_BOOL ? "" : " value");
		free(opts);
		opts = o;
	}
	return hr_xasprintf("NAME:\n   hardrun %s\n\nUSAGE:\n   hardrun %s [command options] "
			    "%s\n\nOPTIONS:\n%s",
			    c->name, c->name, c->usage, opts);
}
