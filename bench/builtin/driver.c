/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The builtin runtime without the policy engine, for the benchmark only:
 * `driver [global flags] run|create --bundle DIR ID` loads config.json as it
 * is (already hardened) and calls hr_rt_run()/hr_rt_create(); any other
 * command goes to hr_rt_command().  It separates the runtime's cost from the
 * policy's in bench.sh.  Never install it: it applies configs unchecked.
 */
#include <stdio.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/cli.h"
#include "hardrun/runtime.h"
#include "hardrun/spec.h"

int main(int argc, char **argv)
{
	struct hr_cli cli;
	struct hr_error *err = NULL;
	int status = 0, r;

	if (hr_cli_parse(&cli, argc, argv, &err) < 0 || !cli.command) {
		fprintf(stderr, "driver: %s\n", err ? err->msg : "no command");
		return 2;
	}
	if (!strcmp(cli.command, "run") || !strcmp(cli.command, "create")) {
		_cleanup_free_ char *bundle = hr_cli_bundle(&cli, &err);
		_cleanup_close_ int dirfd = -1;
		_cleanup_json_ struct hr_json *spec =
		    bundle ? hr_spec_load(bundle, &dirfd, &err) : NULL;

		if (!spec) {
			fprintf(stderr, "driver: %s\n", err->msg);
			return 1;
		}
		r = !strcmp(cli.command, "run") ? hr_rt_run(&cli, spec, bundle, NULL, &status, &err)
						: hr_rt_create(&cli, spec, bundle, NULL, &err);
	} else {
		r = hr_rt_command(&cli, &status, &err);
	}
	if (r < 0) {
		fprintf(stderr, "driver: %s\n", err->msg);
		return 1;
	}
	return status;
}
