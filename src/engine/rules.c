/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/util.h"

/*
 * Rule families, in the order they run.  userns and namespaces come first
 * because later rules (sysctls, capabilities) depend on which namespaces the
 * container has; lsm comes last because the Landlock helper wraps the final
 * process.args and adds a mount after the mounts rule has checked the list.
 */
#define RULE(n) extern const struct hr_rule hr_rule_##n;
RULE(userns)
RULE(namespaces)
RULE(capabilities)
RULE(process)
RULE(seccomp)
RULE(mounts)
RULE(devices)
RULE(resources)
RULE(hooks)
RULE(images)
RULE(annotations)
RULE(lsm)
#undef RULE

/* Every family is linked in: a missing one is a link error, never a rule
 * silently left out. */
const struct hr_rule *const hr_rules[] = {
    &hr_rule_userns,
    &hr_rule_namespaces,
    &hr_rule_capabilities,
    &hr_rule_process,
    &hr_rule_seccomp,
    &hr_rule_mounts,
    &hr_rule_devices,
    &hr_rule_resources,
    &hr_rule_hooks,
    &hr_rule_images,
    &hr_rule_annotations,
    &hr_rule_lsm,
    NULL,
};

const struct hr_rule *hr_rule_find(const char *name)
{
	for (size_t i = 0; hr_rules[i]; i++)
		if (strcmp(hr_rules[i]->name, name) == 0)
			return hr_rules[i];
	return NULL;
}

const char *hr_action_name(enum hr_action a)
{
	static const char *const n[] = {"off", "warn", "fix", "deny"};
	return (unsigned)a < 4 ? n[a] : "unknown";
}

int hr_action_parse(const char *s)
{
	for (int a = HR_ACTION_OFF; a <= HR_ACTION_DENY; a++)
		if (strcmp(s, hr_action_name((enum hr_action)a)) == 0)
			return a;
	return -1;
}

void hr_findings_free(struct hr_findings *f)
{
	for (size_t i = 0; i < f->len; i++) {
		free(f->items[i].rule);
		free(f->items[i].path);
		free(f->items[i].before);
		free(f->items[i].after);
		free(f->items[i].reason);
	}
	free(f->items);
	memset(f, 0, sizeof(*f));
}

__attribute__((format(printf, 6, 0))) static void
add_finding(struct hr_ctx *ctx, enum hr_action action, const char *path, const char *before,
	    const char *after, const char *fmt, va_list ap)
{
	struct hr_findings *f = &ctx->findings;
	char *reason = NULL;
	if (vasprintf(&reason, fmt, ap) < 0)
		abort();
	if (f->len == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->items = hr_xrealloc(f->items, f->cap * sizeof(*f->items));
	}
	f->items[f->len++] = (struct hr_finding){
	    .rule = hr_xstrdup(ctx->cur_rule ? ctx->cur_rule : "engine"),
	    .action = action,
	    .path = hr_xstrdup(path ? path : ""),
	    .before = before ? hr_xstrdup(before) : NULL,
	    .after = after ? hr_xstrdup(after) : NULL,
	    .reason = reason,
	};
	if (action == HR_ACTION_DENY)
		f->denials++;
}

bool hr_report(struct hr_ctx *ctx, const char *path, const char *before, const char *after,
	       const char *fmt, ...)
{
	va_list ap;
	enum hr_action a = ctx->cur_action == HR_ACTION_OFF ? HR_ACTION_WARN : ctx->cur_action;
	va_start(ap, fmt);
	add_finding(ctx, a, path, before, a == HR_ACTION_FIX ? after : NULL, fmt, ap);
	va_end(ap);
	return a == HR_ACTION_FIX;
}

void hr_report_unfixable(struct hr_ctx *ctx, const char *path, const char *before, const char *fmt,
			 ...)
{
	va_list ap;
	enum hr_action a = ctx->cur_action == HR_ACTION_WARN ? HR_ACTION_WARN : HR_ACTION_DENY;
	va_start(ap, fmt);
	add_finding(ctx, a, path, before, NULL, fmt, ap);
	va_end(ap);
}

void hr_report_as(struct hr_ctx *ctx, enum hr_action action, const char *path, const char *before,
		  const char *after, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_finding(ctx, action, path, before, after, fmt, ap);
	va_end(ap);
}

struct hr_json *hr_finding_json(const struct hr_finding *f)
{
	struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(o, "rule", hr_json_new_string(f->rule));
	hr_json_set(o, "action", hr_json_new_string(hr_action_name(f->action)));
	hr_json_set(o, "path", hr_json_new_string(f->path));
	hr_json_set(o, "before",
		    f->before ? hr_json_new_string(f->before) : hr_json_new(HR_JSON_NULL));
	hr_json_set(o, "after",
		    f->after ? hr_json_new_string(f->after) : hr_json_new(HR_JSON_NULL));
	hr_json_set(o, "reason", hr_json_new_string(f->reason));
	return o;
}

int hr_rules_run(struct hr_ctx *ctx, struct hr_error **err)
{
	for (size_t i = 0; i < ctx->profile->n_rules; i++) {
		const struct hr_rule_config *rc = &ctx->profile->rules[i];
		int (*fn)(struct hr_ctx *, const void *, struct hr_error **) =
		    ctx->entry == HR_ENTRY_EXEC ? rc->rule->apply_process : rc->rule->apply;
		if (rc->action == HR_ACTION_OFF || fn == NULL)
			continue;
		ctx->cur_rule = rc->rule->name;
		ctx->cur_action = rc->action;
		int r = fn(ctx, rc->settings, err);
		ctx->cur_rule = NULL;
		if (r < 0)
			return hr_err_wrap(err, "rule %s", rc->rule->name);
	}
	return 0;
}

/* ---- strict policy parsing helpers ------------------------------------ */

int hr_policy_check_keys(const struct hr_json *obj, const char *file, const char *section,
			 const char *const allowed[], struct hr_error **err)
{
	if (!obj)
		return 0;
	if (obj->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "%s: `%s` must be an object, not %s", file, section,
				    hr_json_type_name(obj->type));
	for (size_t i = 0; i < obj->obj.len; i++) {
		const char *k = obj->obj.members[i].key;
		bool ok = strcmp(k, "action") == 0;
		for (size_t a = 0; !ok && allowed && allowed[a]; a++)
			ok = strcmp(k, allowed[a]) == 0;
		if (!ok)
			return hr_error_set(err, 0, "%s: unknown key `%s` in `%s`", file, k,
					    section);
	}
	return 0;
}

static int wrong_type(const char *file, const char *section, const char *key, const char *want,
		      const struct hr_json *v, struct hr_error **err)
{
	return hr_error_set(err, 0, "%s: `%s.%s` must be %s, not %s", file, section, key, want,
			    hr_json_type_name(v->type));
}

/* Policy keys are matched exactly: a policy is ours, not Go's. */
static const struct hr_json *exact(const struct hr_json *obj, const char *key)
{
	if (!obj || obj->type != HR_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->obj.len; i++)
		if (strcmp(obj->obj.members[i].key, key) == 0)
			return obj->obj.members[i].value;
	return NULL;
}

int hr_policy_get_bool(const struct hr_json *obj, const char *key, bool *out, const char *file,
		       const char *section, struct hr_error **err)
{
	const struct hr_json *v = exact(obj, key);
	if (!v)
		return 0;
	if (v->type != HR_JSON_BOOL)
		return wrong_type(file, section, key, "a boolean", v, err);
	*out = v->boolean;
	return 0;
}

int hr_policy_get_uint64(const struct hr_json *obj, const char *key, unsigned long long *out,
			 const char *file, const char *section, struct hr_error **err)
{
	const struct hr_json *v = exact(obj, key);
	uint64_t u = 0;
	if (!v)
		return 0;
	if (!hr_json_as_uint64(v, &u))
		return hr_error_set(err, 0, "%s: `%s.%s` must be a non-negative integer", file,
				    section, key);
	*out = u;
	return 0;
}

int hr_policy_get_string(const struct hr_json *obj, const char *key, char **out, const char *file,
			 const char *section, struct hr_error **err)
{
	const struct hr_json *v = exact(obj, key);
	if (!v)
		return 0;
	const char *s = hr_json_as_string(v);
	if (!s)
		return wrong_type(file, section, key, "a string", v, err);
	free(*out);
	*out = hr_xstrdup(s);
	return 0;
}

int hr_policy_get_strv(const struct hr_json *obj, const char *key, char ***out, const char *file,
		       const char *section, struct hr_error **err)
{
	const struct hr_json *v = exact(obj, key);
	char **r = NULL;
	if (!v)
		return 0;
	if (v->type != HR_JSON_ARRAY)
		return wrong_type(file, section, key, "an array of strings", v, err);
	r = hr_xcalloc(v->arr.len + 1, sizeof(char *));
	for (size_t i = 0; i < v->arr.len; i++) {
		const char *s = hr_json_as_string(v->arr.items[i]);
		if (!s) {
			hr_strv_free(r);
			return hr_error_set(err, 0, "%s: `%s.%s[%zu]` must be a string", file,
					    section, key, i);
		}
		r[i] = hr_xstrdup(s);
	}
	hr_strv_free(*out);
	*out = r;
	return 0;
}
