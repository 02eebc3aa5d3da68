/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer targets, one binary per mode (HR_FUZZ_MODE at compile time):
 *   json   - the JSON tree: parse, serialize, reparse must be identical
 *   policy - the host policy and profile parsers on arbitrary JSON
 *   rules  - the rule engine on arbitrary configs, with the shipped profiles
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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
