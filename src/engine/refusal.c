/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"

/* What the user changes to get past a rule family's refusal: the request
 * to drop, named as the engines' flags name it. */
static const struct {
	const char *rule, *remedy;
} remedies[] = {
    {"capabilities", "drop the capabilities named (docker/podman: --privileged, --cap-add)"},
    {"namespaces", "drop the host namespace (docker/podman: --pid, --ipc, --uts, --network host)"},
    {"devices", "drop the device (docker/podman: --device, --privileged)"},
    {"mounts", "drop or change the mount named (docker/podman: -v, --mount)"},
    {"hooks", "drop the hook named from the config"},
    {"seccomp", "drop the seccomp override (docker/podman: --security-opt seccomp=...)"},
    {"lsm", "drop the label override (docker/podman: --security-opt label=, apparmor=)"},
    {"userns", "drop the id mapping (docker: userns-remap, podman: --uidmap, --userns)"},
    {"resources", "lower the limit named (docker/podman: --pids-limit, --memory)"},
    {"process", "change the process setting named (docker/podman: --user, --security-opt)"},
    {"annotations", "drop the annotation named"},
    {"images", "use an image the profile allows"},
};

static const char *remedy_of(const char *rule)
{
	for (size_t i = 0; i < sizeof(remedies) / sizeof(remedies[0]); i++)
		if (strcmp(remedies[i].rule, rule) == 0)
			return remedies[i].remedy;
	return "change the field named";
}

static void append(char **buf, size_t *len, const char *text)
{
	size_t n = strlen(text);

	*buf = hr_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, text, n + 1);
	*len += n;
}

/* Is finding i a denial whose rule (same_reason: and reason) an earlier
 * denial had? */
static bool seen(const struct hr_findings *f, size_t i, bool same_reason)
{
	for (size_t j = 0; j < i; j++)
		if (f->items[j].action == HR_ACTION_DENY &&
		    !strcmp(f->items[j].rule, f->items[i].rule) &&
		    (!same_reason || !strcmp(f->items[j].reason, f->items[i].reason)))
			return true;
	return false;
}

/* "rule: reason (path, path)": the paths of every denial with that rule and
 * reason, so the same list refused in three capability sets is said once. */
static void describe(const struct hr_findings *f, size_t i, char **msg, size_t *len)
{
	const struct hr_finding *first = &f->items[i];

	append(msg, len, first->rule);
	append(msg, len, ": ");
	append(msg, len, first->reason);
	append(msg, len, " (");
	append(msg, len, first->path);
	for (size_t j = i + 1; j < f->len; j++) {
		const struct hr_finding *g = &f->items[j];
		if (g->action == HR_ACTION_DENY && !strcmp(g->rule, first->rule) &&
		    !strcmp(g->reason, first->reason)) {
			append(msg, len, ", ");
			append(msg, len, g->path);
		}
	}
	append(msg, len, ")");
}

int hr_refusal_error(const struct hr_findings *f, const char *what, const char *profile,
		     struct hr_error **err)
{
	_cleanup_free_ char *msg = hr_xstrdup("");
	_cleanup_free_ char *fix = hr_xstrdup("");
	size_t len = 0, fix_len = 0;

	for (size_t i = 0; i < f->len; i++) {
		if (f->items[i].action != HR_ACTION_DENY)
			continue;
		if (!seen(f, i, true)) {
			append(&msg, &len, len ? "; " : "");
			describe(f, i, &msg, &len);
		}
		if (!seen(f, i, false)) {
			append(&fix, &fix_len, fix_len ? "; " : "");
			append(&fix, &fix_len, remedy_of(f->items[i].rule));
		}
	}
	return hr_error_set(err, 0,
			    "%s refused by hardrun profile `%s`: %s. To run it: %s; or choose a "
			    "profile that allows it (--hardrun-profile NAME or annotation %s)",
			    what, profile, msg, fix, HR_PROFILE_ANNOTATION);
}
