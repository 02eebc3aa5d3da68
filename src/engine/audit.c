/* The audit record of one decision (include/hardrun/audit.h). */
#include <stddef.h>

#include "hardrun/audit.h"
#include "hardrun/cleanup.h"
#include "hardrun/cli.h"
#include "hardrun/json.h"
#include "hardrun/log.h"
#include "hardrun/profile.h"
#include "hardrun/util.h"

static void add_annotation(struct hr_json *rec, const char *field, const struct hr_json *ann,
			   const char *const keys[])
{
	for (size_t i = 0; keys[i]; i++) {
		const char *v = hr_json_as_string(hr_json_get(ann, keys[i]));
		if (v && *v) {
			hr_json_set(rec, field, hr_json_new_string(v));
			return;
		}
	}
}

int hr_audit_decision(const struct hr_cli *cli, const struct hr_policy *policy,
		      const struct hr_json *spec, const char *profile,
		      const struct hr_findings *findings, const char *error, struct hr_error **err)
{
	static const char *const pod[] = {"io.kubernetes.cri.sandbox-name",
					  "io.kubernetes.pod.name", NULL};
	static const char *const ns[] = {"io.kubernetes.cri.sandbox-namespace",
					 "io.kubernetes.pod.namespace", NULL};
	static const char *const image[] = {"io.kubernetes.cri.image-name",
					    "org.opencontainers.image.ref.name",
					    "io.kubernetes.cri-o.ImageName", NULL};
	const char *path = cli->opts.audit_log ? cli->opts.audit_log : policy->audit_log;
	char ts[48];

	if (cli->opts.no_audit || !path || !*path)
		return 0;
	hr_rfc3339_now(ts, sizeof(ts));
	_cleanup_json_ struct hr_json *rec = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(rec, "time", hr_json_new_string(ts));
	hr_json_set(rec, "command", hr_json_new_string(cli->command ? cli->command : ""));
	const char *id = hr_cli_id(cli);
	hr_json_set(rec, "id", id ? hr_json_new_string(id) : hr_json_new(HR_JSON_NULL));
	const struct hr_json *ann = hr_json_get(spec, "annotations");
	add_annotation(rec, "pod", ann, pod);
	add_annotation(rec, "namespace", ann, ns);
	add_annotation(rec, "image", ann, image);
	hr_json_set(rec, "profile", profile ? hr_json_new_string(profile) : hr_json_new(0));
	bool denied = error != NULL;
	hr_json_set(rec, "verdict", hr_json_new_string(denied ? "refused" : "allowed"));
	if (error)
		hr_json_set(rec, "error", hr_json_new_string(error));
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY);
	for (size_t i = 0; findings && i < findings->len; i++)
		hr_json_append(arr, hr_finding_json(&findings->items[i]));
	hr_json_set(rec, "findings", arr);
	return hr_audit_append(path, policy->audit_max_bytes, rec, err);
}
