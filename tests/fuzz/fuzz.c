/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer targets, one binary per mode (HR_FUZZ_MODE at compile time):
 *   json   - the JSON tree: parse, serialize, reparse must be identical
 *   policy - the host policy and profile parsers on arbitrary JSON
 *   rules  - the rule engine on arbitrary configs, with the shipped profiles
 *   cli    - the command-line parser: the input is argv, NUL-separated
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hardrun/cli.h"
#include "hardrun/json.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if HR_FUZZ_MODE == 0
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_error *err = NULL;
	struct hr_json *j = hr_json_parse((const char *)data, size, NULL, &err);
	if (!j) {
		hr_error_clear(&err);
		return 0;
	}
	char *out = NULL;
	size_t len = 0;
	if (hr_json_serialize(j, false, &out, &len, &err) < 0)
		abort();
	struct hr_json *k = hr_json_parse(out, len, NULL, &err);
	/* What we write, we must read back as the same tree. */
	if (!k || !hr_json_equal(j, k))
		abort();
	struct hr_json *c = hr_json_clone(k);
	if (!hr_json_equal(c, j))
		abort();
	hr_json_free(c);
	hr_json_free(k);
	hr_json_free(j);
	free(out);
	return 0;
}
#elif HR_FUZZ_MODE == 1
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_error *err = NULL;
	struct hr_policy *p = hr_policy_parse("fuzz", (const char *)data, size, &err);
	hr_policy_free(p);
	hr_error_clear(&err);
	struct hr_profile *prof = hr_profile_parse("fuzz", (const char *)data, size, &err);
	hr_profile_free(prof);
	hr_error_clear(&err);
	return 0;
}
#elif HR_FUZZ_MODE == 3
/*
 * Everything main() asks of a parsed command line before it reads a file
 * or runs anything: the usage decision, help text, usage error, the id,
 * every flag's values, the bundle.
 */
static void use_cli(struct hr_cli *cli)
{
	static const char *const names[] = {"bundle", "process",   "env",	   "cap", "help",
					    "format", "resources", "preserve-fds", NULL};
	struct hr_error *err = NULL;
	enum hr_cli_usage u = hr_cli_usage_of(cli);

	if (u == HR_CLI_HELP) {
		free(hr_cli_help_text(cli));
	} else if (u == HR_CLI_BAD_ARGS) {
		if (hr_cli_usage_error(cli, &err) >= 0 || !err)
			abort();
		hr_error_clear(&err);
		hr_cli_reduce_to_usage(cli, false);
		if (cli->runtime_argv[cli->runtime_argc] != NULL)
			abort();
	}
	for (size_t i = 0; names[i]; i++) {
		(void)hr_cli_flag(cli, names[i]);
		(void)hr_cli_flag_bool(cli, names[i]);
		free(hr_cli_flag_all(cli, names[i]));
	}
	(void)hr_cli_id(cli);
	if (cli->known_command)
		free(hr_cli_bundle(cli, &err));
	hr_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[66] = {"hardrun"};
	int argc = 1;
	struct hr_error *err = NULL;
	struct hr_cli cli;

	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; argc < 65 && p <= buf + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (hr_cli_parse(&cli, argc, argv, &err) == 0) {
		/* The runtime's argv is the caller's, NULL-terminated, minus --hardrun-*. */
		if (cli.runtime_argc > (size_t)argc)
			abort();
		if (cli.command_entry >= 0 && !cli.known_command)
			abort();
		use_cli(&cli);
	} else if (!err) {
		abort(); /* a failure always says why */
	}
	hr_error_clear(&err);
	hr_cli_free(&cli);
	free(buf);
	return 0;
}
#else
static struct hr_policy *policy;
static struct hr_profile *profiles[3];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"baseline", "restricted", "untrusted"};
	struct hr_error *err = NULL;
	if (!policy) {
		setenv("HARDRUN_DATADIR", HR_TEST_SRCDIR "/profiles", 0);
		policy = hr_policy_defaults();
		free(policy->state_dir);
		policy->state_dir = strdup("/tmp/hardrun-fuzz-state");
		for (int i = 0; i < 3; i++)
			if (!(profiles[i] = hr_profile_load(policy, names[i], &err)))
				abort();
	}
	if (size < 1)
		return 0;
	struct hr_json *spec = hr_json_parse((const char *)data + 1, size - 1, NULL, &err);
	if (!spec) {
		hr_error_clear(&err);
		return 0;
	}
	struct hr_ctx ctx = {
	    .entry = data[0] & 1 ? HR_ENTRY_EXEC : HR_ENTRY_CREATE,
	    .spec = spec,
	    .policy = policy,
	    .profile = profiles[(data[0] >> 1) % 3],
	};
	/* Dry run (no container id): rules must not touch the host. */
	if (spec->type == HR_JSON_OBJECT && hr_rules_run(&ctx, &err) < 0)
		hr_error_clear(&err);
	hr_findings_free(&ctx.findings);
	hr_json_free(spec);
	return 0;
}
#endif
