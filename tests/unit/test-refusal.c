/* SPDX-License-Identifier: Apache-2.0 */
/* The one refusal message (hr_refusal_error): one reason per rule family,
 * every path it applies to, a remedy, one line. */
#include <stdlib.h>
#include <string.h>

#include "hardrun/error.h"
#include "hardrun/rules.h"
#include "tap.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void deny(struct hr_ctx *ctx, const char *rule, const char *path, const char *reason)
{
	ctx->cur_rule = rule;
	ctx->cur_action = HR_ACTION_DENY;
	hr_report_unfixable(ctx, path, NULL, "%s", reason);
}

int main(void)
{
	struct hr_ctx ctx = {0};
	struct hr_error *err = NULL;
	const char *caps = "never allowed: CAP_SYS_ADMIN, CAP_SYS_MODULE";

	deny(&ctx, "capabilities", "process.capabilities.bounding", caps);
	deny(&ctx, "capabilities", "process.capabilities.effective", caps);
	deny(&ctx, "capabilities", "process.capabilities.permitted", caps);
	ctx.cur_rule = "mounts";
	ctx.cur_action = HR_ACTION_FIX;
	hr_report(&ctx, "mounts[1]", NULL, NULL, "fixed, not refused");
	deny(&ctx, "namespaces", "linux.namespaces", "host pid namespace");
	deny(&ctx, "namespaces", "linux.namespaces[2]", "host ipc namespace");

	ok(hr_refusal_error(&ctx.findings, "container", "baseline", &err) == -1 && err,
	   "a refusal is an error");
	const char *m = err ? err->msg : "";
	ok(strncmp(m, "container refused by hardrun profile `baseline`: ", 49) == 0,
	   "names the profile: %s", m);
	ok(count(m, "CAP_SYS_ADMIN") == 1, "the capability list once, not once per set");
	ok(strstr(m, "(process.capabilities.bounding, process.capabilities.effective, "
		     "process.capabilities.permitted)") != NULL,
	   "every set it applies to, named");
	ok(strstr(m, "namespaces: host pid namespace (linux.namespaces); namespaces: host ipc "
		     "namespace (linux.namespaces[2])") != NULL,
	   "each distinct reason once, with the paths it applies to");
	ok(count(m, "drop the host namespace") == 1, "one remedy per rule family");
	ok(!strstr(m, "fixed, not refused"), "fixes are not refusals");
	ok(strstr(m, "To run it: drop the capabilities named") &&
	       strstr(m, "drop the host namespace") && strstr(m, "--hardrun-profile"),
	   "a remedy per family, and the profile to choose");
	ok(!strchr(m, '\n'), "one line: the runtime's log shows its last error line");
	hr_error_clear(&err);
	hr_findings_free(&ctx.findings);
	return tap_done();
}
