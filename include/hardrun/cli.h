/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_CLI_H
#define HARDRUN_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "hardrun/error.h"

/*
 * runc's command line, as runc 1.1 (urfave/cli v1 over Go's flag package)
 * reads it: global flags, a command, the command's flags and positional
 * arguments.  Flags take `-f`, `--flag`, `--flag=v` and `--flag v` forms.
 *
 * hardrun's own options are `--hardrun-*` flags that may appear anywhere
 * among the global flags (Docker puts runtimeArgs first); they are removed
 * from the argv handed to the lower runtime, which is otherwise the
 * caller's argv byte-for-byte.
 */

enum hr_flag_kind {
	HR_FLAG_BOOL,  /* -d, -d=true */
	HR_FLAG_VALUE, /* --bundle DIR, --bundle=DIR */
	HR_FLAG_MULTI, /* repeatable value: --env A --env B */
};

/* One flag of the command-line table. */
struct hr_flag_spec {
	const char *name;  /* long name, "bundle" */
	const char *alias; /* short alias, "b", or NULL */
	enum hr_flag_kind kind;
};

/* A parsed flag occurrence. */
struct hr_flag_value {
	const struct hr_flag_spec *spec;
	const char *value; /* "true"/"false" for bool flags; points into argv */
};

/* hardrun's own options, from --hardrun-* flags or HARDRUN_* variables. */
struct hr_options {
	const char *runtime;   /* --hardrun-runtime / HARDRUN_RUNTIME */
	const char *profile;   /* --hardrun-profile / HARDRUN_PROFILE / argv[0] suffix */
	const char *policy;    /* --hardrun-policy / HARDRUN_POLICY */
	const char *audit_log; /* --hardrun-audit-log / HARDRUN_AUDIT_LOG */
	bool no_audit;
};

struct hr_cli {
	/* global flags (NULL/false when absent) */
	const char *root;
	const char *log;
	const char *log_format; /* "text" (default) or "json" */
	const char *criu;
	const char *rootless;
	bool debug;
	bool systemd_cgroup;
	bool help;
	bool version;

	struct hr_options opts;

	/*
	 * Where the runtime keeps its containers, as hardrun checks them: --root
	 * made absolute, else the runtime's own default (the builtin's, crun's,
	 * runc's).  Set by main() once the runtime is known; owned (freed by
	 * hr_cli_free), never passed on.
	 */
	char *state_root;

	const char *command; /* canonical name ("run"), NULL if none given */
	bool known_command;  /* command is in runc's table */
	int command_entry;   /* its row in that table, -1 if unknown */

	/* the command's flags in order, and its positional arguments */
	struct hr_flag_value *flags;
	size_t n_flags;
	char **args; /* pointers into argv; NULL-terminated */
	size_t n_args;

	/* argv for the lower runtime: hardrun flags removed; argv[0] replaced by caller */
	char **runtime_argv;
	size_t runtime_argc;
	int command_index; /* index of the command in runtime_argv, -1 if none */
};

/* Parse argv.  The hr_cli points into argv; free with hr_cli_free(). */
int hr_cli_parse(struct hr_cli *cli, int argc, char **argv, struct hr_error **err);
void hr_cli_free(struct hr_cli *cli);

/* Last value of a command flag by long name, or NULL (bool: "true"/"false"). */
const char *hr_cli_flag(const struct hr_cli *cli, const char *name);
/* True if a bool flag was given and not =false (Go's spellings are normalised). */
bool hr_cli_flag_bool(const struct hr_cli *cli, const char *name);
/* All values of a (multi) flag, NULL-terminated malloc'd vector of argv pointers. */
const char **hr_cli_flag_all(const struct hr_cli *cli, const char *name);

/*
 * What a command line asks for before anything reads a bundle: the command
 * (HR_CLI_RUN; also for unknown commands, which go to the lower runtime as
 * given), its help (-h/--help among its flags), or a usage error (a number
 * of positional arguments runc's checkArgs refuses, e.g. `exec` without an
 * id).  The last two never harden, read config.json or start anything.
 */
enum hr_cli_usage {
	HR_CLI_RUN,
	HR_CLI_HELP,
	HR_CLI_BAD_ARGS,
};
enum hr_cli_usage hr_cli_usage_of(const struct hr_cli *cli);

/* HR_CLI_BAD_ARGS as runc words it ("requires exactly 1 argument(s)"); -1. */
int hr_cli_usage_error(const struct hr_cli *cli, struct hr_error **err);

/*
 * Cut runtime_argv down to the global flags and the command, plus --help
 * when help: the lower runtime then prints that command's help (exit 0) or
 * its usage error (exit 1) and never acts, whatever else the caller gave.
 */
void hr_cli_reduce_to_usage(struct hr_cli *cli, bool help);

/* hardrun's own help for a known command (the builtin runtime has none); malloc'd. */
char *hr_cli_help_text(const struct hr_cli *cli);

/* The container id (first positional argument) or NULL. */
static inline const char *hr_cli_id(const struct hr_cli *cli)
{
	return cli->n_args > 0 ? cli->args[0] : NULL;
}

/*
 * The bundle directory for create/run/restore: --bundle, else the current
 * directory.  Returns a malloc'd absolute path.
 */
char *hr_cli_bundle(const struct hr_cli *cli, struct hr_error **err);

#endif
