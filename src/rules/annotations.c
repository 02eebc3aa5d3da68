/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `annotations`: annotations the lower runtime acts on, which
 * would let whoever writes the config (a pod author, not the host admin)
 * reconfigure the runtime from below the policy:
 *
 *   run.oci.*              crun: seccomp BPF blobs, hook output files on the
 *                          host, keep_original_groups, handlers (krun, wasm)
 *   org.criu.config        runc/crun: a CRIU config file read on the host, as root
 *   org.systemd.property.* runc/crun systemd cgroup driver: arbitrary unit
 *                          properties (DeviceAllow=, Delegate=, ...)
 *   bundle                 runc records the bundle under this label; an
 *                          annotation of the same name shadows it in the state
 *                          that hooks (root, on the host) read config.json from
 *   io.katacontainers.*    Kata: hypervisor, kernel and path overrides
 *   dev.gvisor.flag.*      runsc flag overrides
 *
 * Names are matched case-insensitively: annotations are a Go map, so
 * `RUN.oci.x` is a distinct key that runc or crun might not read today but a
 * later version or another runtime may; stripping it costs nothing.
 * Left alone, whatever the list says: hardrun's own `run.hardrun.*` (the
 * profile selection reads it) and CRI's `io.kubernetes.*` (pod metadata the
 * runtime never acts on, but tooling does).  com.docker.* and CRI-O's pod
 * annotations (io.kubernetes.cri-o.Devices) are acted on above the runtime,
 * before the config exists, so stripping them here would change nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#define SECTION "annotations"

static const char *const default_unsafe[] = {
    "run.oci.*", "org.criu.config",	"org.systemd.property.*",
    "bundle",	 "io.katacontainers.*", "dev.gvisor.flag.*",
    NULL,
};

static const char *const protected_prefixes[] = {"run.hardrun.", "io.kubernetes.", NULL};

struct annotations_settings {
	char **unsafe; /* glob patterns, case-insensitive */
};

static void free_settings(void *p)
{
	struct annotations_settings *s = p;

	if (s)
		hr_strv_free(s->unsafe);
	free(s);
}

static int parse(const struct hr_json *section, const char *file, void **settings,
		 struct hr_error **err)
{
	static const char *const keys[] = {"unsafe", NULL};
	struct annotations_settings *s = hr_xcalloc(1, sizeof(*s));

	if (section &&
	    (hr_policy_check_keys(section, file, SECTION, keys, err) < 0 ||
	     hr_policy_get_strv(section, "unsafe", &s->unsafe, file, SECTION, err) < 0)) {
		free_settings(s);
		return -1;
	}
	if (!s->unsafe)
		s->unsafe = hr_strv_dup((char *const *)default_unsafe);
	*settings = s;
	return 0;
}

static bool match_any(char *const *patterns, const char *key)
{
	for (char *const *p = patterns; p && *p; p++)
		if (fnmatch(*p, key, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

static bool is_unsafe(const struct annotations_settings *s, const struct hr_policy *pol,
		      const char *key)
{
	for (size_t i = 0; protected_prefixes[i]; i++)
		if (hr_startswith(key, protected_prefixes[i]))
			return false;
	if (!match_any(s->unsafe, key))
		return false;
	return !match_any(pol ? pol->allowed_annotations : NULL, key);
}

/* Remove member i exactly (no name lookup: keys are compared by position here). */
static void remove_member(struct hr_json *obj, size_t i)
{
	free(obj->obj.members[i].key);
	hr_json_free(obj->obj.members[i].value);
	memmove(&obj->obj.members[i], &obj->obj.members[i + 1],
		(obj->obj.len - i - 1) * sizeof(obj->obj.members[0]));
	obj->obj.len--;
}

static int apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct annotations_settings *s = settings;
	struct hr_json *ann = hr_spec_get(ctx->spec, "annotations", HR_JSON_OBJECT, false, err);

	if (!ann)
		return *err ? -1 : 0;
	for (size_t m = 0; m < ann->obj.len;) {
		const char *key = ann->obj.members[m].key;
		const struct hr_json *v = ann->obj.members[m].value;
		if (!hr_json_as_string(v))
			return hr_error_set(err, 0, "annotations.%s: expected string, got %s", key,
					    hr_json_type_name(v->type));
		if (!is_unsafe(s, ctx->policy, key)) {
			m++;
			continue;
		}
		_cleanup_free_ char *where = hr_xasprintf("annotations.%s", key);
		if (hr_report(ctx, where, hr_json_as_string(v), NULL,
			      "annotation `%s` reconfigures the lower runtime and is not in the "
			      "host policy's allowed annotations",
			      key))
			remove_member(ann, m);
		else
			m++;
	}
	return 0;
}

const struct hr_rule hr_rule_annotations = {
    .name = "annotations",
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
    .apply_process = NULL,
};
