/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "hardrun/cli.h"
#include "tap.h"

static int parse(struct hr_cli *cli, char **argv)
{
	int argc = 0;
	struct hr_error *err = NULL;
	while (argv[argc])
		argc++;
	int r = hr_cli_parse(cli, argc, argv, &err);
	if (r < 0) {
		printf("# error: %s\n", err->msg);
		hr_error_clear(&err);
	}
	return r;
}

static char *joined(const struct hr_cli *cli)
{
	static char buf[1024];
	buf[0] = 0;
	for (size_t i = 1; i < cli->runtime_argc; i++) {
		strcat(buf, cli->runtime_argv[i]);
		strcat(buf, i + 1 < cli->runtime_argc ? " " : "");
	}
	return buf;
}

static void test_docker_style(void)
{
	struct hr_cli cli;
	char *argv[] = {"hardrun",	"--hardrun-profile",
			"restricted",	"--hardrun-runtime=/x/runc",
			"--root",	"/run/r",
			"--log=/tmp/l", "--log-format",
			"json",		"--systemd-cgroup",
			"create",	"--bundle",
			"/b",		"--pid-file=/p",
			"ctr1",		NULL};
	ok(parse(&cli, argv) == 0, "docker-style argv parses");
	is_str(cli.opts.profile, "restricted", "hardrun profile flag");
	is_str(cli.opts.runtime, "/x/runc", "hardrun runtime flag with =");
	is_str(cli.root, "/run/r", "--root value");
	is_str(cli.log, "/tmp/l", "--log=value");
	is_str(cli.log_format, "json", "--log-format value");
	ok(cli.systemd_cgroup, "bool global flag");
	is_str(cli.command, "create", "command found");
	is_str(hr_cli_flag(&cli, "bundle"), "/b", "--bundle");
	is_str(hr_cli_flag(&cli, "pid-file"), "/p", "--pid-file=");
	is_str(hr_cli_id(&cli), "ctr1", "container id");
	is_str(joined(&cli),
	       "--root /run/r --log=/tmp/l --log-format json --systemd-cgroup create --bundle /b "
	       "--pid-file=/p ctr1",
	       "runtime argv is the caller's minus hardrun flags");
	hr_cli_free(&cli);
}

static void test_reorder_and_aliases(void)
{
	struct hr_cli cli;
	char *argv[] = {"runc", "run", "ctr2", "-b", "bundle", "-d", "--keep", NULL};
	ok(parse(&cli, argv) == 0, "flags after the id parse (urfave reorder)");
	is_str(hr_cli_flag(&cli, "bundle"), "bundle", "-b alias");
	ok(hr_cli_flag_bool(&cli, "detach"), "-d alias is bool");
	is_str(hr_cli_id(&cli), "ctr2", "id");
	hr_cli_free(&cli);

	char *ex[] = {"runc", "exec", "-t",    "--cap", "CAP_SYS_ADMIN", "--cap=CAP_NET_RAW", "ctr",
		      "sh",   "-c",   "--cap", NULL};
	ok(parse(&cli, ex) == 0, "exec parses");
	const char **caps = hr_cli_flag_all(&cli, "cap");
	ok(caps[0] && caps[1] && !caps[2] && !strcmp(caps[1], "CAP_NET_RAW"),
	   "repeated --cap collected");
	free(caps);
	ok(cli.n_args == 4 && !strcmp(cli.args[3], "--cap"),
	   "exec: everything after the id is the command");
	hr_cli_free(&cli);
}

static void test_errors(void)
{
	struct hr_cli cli;
	char *a[] = {"runc", "--bogus", "state", "x", NULL};
	ok(parse(&cli, a) < 0, "unknown global flag is an error");
	hr_cli_free(&cli);
	char *b[] = {"runc", "--root", NULL};
	ok(parse(&cli, b) < 0, "missing flag value is an error");
	hr_cli_free(&cli);
	char *c[] = {"runc", "--log-format", "xml", "list", NULL};
	ok(parse(&cli, c) < 0, "bad log format is an error");
	hr_cli_free(&cli);
	char *d[] = {"runc", "create", "--bundel", "x", "id", NULL};
	ok(parse(&cli, d) < 0, "unknown command flag is an error");
	hr_cli_free(&cli);
	char *e[] = {"runc", "frobnicate", "--whatever", NULL};
	ok(parse(&cli, e) == 0 && !cli.known_command, "unknown command passes through");
	hr_cli_free(&cli);
	char *f[] = {"runc", "--debug=false", "kill", "-a", "id", "KILL", NULL};
	ok(parse(&cli, f) == 0 && !cli.debug && hr_cli_flag_bool(&cli, "all") && cli.n_args == 2,
	   "bool =false and kill args");
	hr_cli_free(&cli);
}

static void test_usage(void)
{
	struct hr_cli cli;
	struct hr_error *err = NULL;
	char *exec_noid[] = {"hardrun", "exec", NULL};
	char *exec_h[] = {"hardrun", "--root", "/r", "exec", "-h", NULL};
	char *run_h[] = {"hardrun", "run", "--bundle", "/b", "x", "--help=T", NULL};
	char *exec_h_arg[] = {"hardrun", "exec", "x", "-h", NULL};
	char *list_x[] = {"hardrun", "list", "x", NULL};
	char *kill_ok[] = {"hardrun", "kill", "x", "KILL", NULL};

	ok(parse(&cli, exec_noid) == 0 && hr_cli_usage_of(&cli) == HR_CLI_BAD_ARGS,
	   "exec without an id is a usage error");
	ok(hr_cli_usage_error(&cli, &err) < 0 && strstr(err->msg, "a minimum of 1"),
	   "worded as runc words it: %s", err ? err->msg : "");
	hr_error_clear(&err);
	hr_cli_free(&cli);
	ok(parse(&cli, exec_h) == 0 && hr_cli_usage_of(&cli) == HR_CLI_HELP, "exec -h is help");
	hr_cli_reduce_to_usage(&cli, true);
	is_str(joined(&cli), "--root /r exec --help", "the runtime gets globals, exec, --help");
	hr_cli_free(&cli);
	ok(parse(&cli, run_h) == 0 && hr_cli_usage_of(&cli) == HR_CLI_HELP,
	   "run ... --help=T (Go's bool spelling) after the id is help");
	hr_cli_free(&cli);
	ok(parse(&cli, exec_h_arg) == 0 && hr_cli_usage_of(&cli) == HR_CLI_RUN,
	   "exec ID -h: -h belongs to the command run in the container");
	hr_cli_free(&cli);
	ok(parse(&cli, list_x) == 0 && hr_cli_usage_of(&cli) == HR_CLI_BAD_ARGS,
	   "list takes no argument");
	hr_cli_reduce_to_usage(&cli, false);
	ok(cli.runtime_argc == 3 && strcmp(cli.runtime_argv[1], "list") == 0 &&
	       strcmp(cli.runtime_argv[2], "") == 0 && !cli.runtime_argv[3],
	   "too many arguments reach the runtime as empty ids");
	hr_cli_free(&cli);
	ok(parse(&cli, kill_ok) == 0 && hr_cli_usage_of(&cli) == HR_CLI_RUN, "kill ID SIGNAL runs");
	hr_cli_free(&cli);
}

int main(void)
{
	test_usage();
	test_docker_style();
	test_reorder_and_aliases();
	test_errors();
	return tap_done();
}
