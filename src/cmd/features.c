/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/delegate.h"
#include "hardrun/features.h"
#include "hardrun/json.h"
#include "hardrun/util.h"

static struct hr_json *builtin_features(void)
{
	static const char *const ns[] = {"cgroup", "ipc",  "mount", "network",
					 "pid",	   "user", "uts",   NULL};
	struct hr_json *f = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(f, "ociVersionMin", hr_json_new_string("1.0.0"));
	hr_json_set(f, "ociVersionMax", hr_json_new_string("1.1.0"));
	struct hr_json *lx = hr_json_ensure_object(f, "linux");
	struct hr_json *arr = hr_json_ensure_array(lx, "namespaces");
	for (size_t i = 0; ns[i]; i++)
		hr_json_append(arr, hr_json_new_string(ns[i]));
	return f;
}

int hr_features_main(const char *runtime, struct hr_error **err)
{
	_cleanup_json_ struct hr_json *f = NULL;
	_cleanup_free_ char *out = NULL;

	if (strcmp(runtime, HR_RUNTIME_BUILTIN) != 0) {
		_cleanup_free_ char *raw = hr_delegate_capture(runtime, "features");
		if (!raw)
			return hr_error_set(err, 0, "`%s features` failed", runtime);
		f = hr_json_parse(raw, strlen(raw), NULL, err);
		if (!f || f->type != HR_JSON_OBJECT)
			return hr_err_wrap(err, "`%s features` output", runtime);
	} else {
		f = builtin_features();
	}
	struct hr_json *lx = hr_json_ensure_object(f, "linux");
	struct hr_json *ns = lx ? hr_json_ensure_array(lx, "namespaces") : NULL;
	if (!ns)
		return hr_error_set(err, 0, "`%s features`: unexpected layout", runtime);
	bool has_user = false;
	for (size_t i = 0; i < ns->arr.len; i++)
		has_user |= hr_json_as_string(ns->arr.items[i]) &&
			    !strcmp(hr_json_as_string(ns->arr.items[i]), "user");
	if (!has_user)
		hr_json_append(ns, hr_json_new_string("user"));
	struct hr_json *ext = hr_json_ensure_object(lx, "mountExtensions");
	struct hr_json *idmap = ext ? hr_json_ensure_object(ext, "idmap") : NULL;
	if (!idmap)
		return hr_error_set(err, 0, "`%s features`: unexpected layout", runtime);
	hr_json_set(idmap, "enabled", hr_json_new_bool(true));
	struct hr_json *ann = hr_json_ensure_object(f, "annotations");
	if (ann)
		hr_json_set(ann, "run.hardrun.version", hr_json_new_string(HR_VERSION));
	if (hr_json_serialize(f, true, &out, NULL, err) < 0)
		return -1;
	puts(out);
	return 0;
}
