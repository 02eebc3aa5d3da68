/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resources: a pids limit (fork bombs take the whole host down), an
 * optional memory limit, capped rlimits, and sysctls only from the list of
 * keys the kernel scopes to a namespace the container owns.  A sysctl
 * outside that list writes host-wide state (kernel.core_pattern runs a
 * program as host root), and a namespaced one is only safe when its
 * namespace is really the container's own.
 *
 * Settings: "pidsLimit" (the highest pids limit, default 4096), "memoryLimit"
 * (bytes; when set, the highest memory and memory+swap limit),
 * "rlimits" ({"RLIMIT_X": highest hard limit}; default RLIMIT_NOFILE
 * 1048576), "sysctlAllow" (fnmatch patterns; default runc's namespaced
 * list).  hr_resources_check_update() applies the same limits to `update`.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules-resources.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define rlimit_names hr_rlimit_names
#define N_RLIMITS    HR_N_RLIMITS

/*
 * The keys runc itself accepts as namespaced (IPC and POSIX message queue
 * keys need a private IPC namespace, net.* a private network namespace).
 */
static const char *const sysctl_default[] = {
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
    "fs.mqueue.*",
    "net.*",
    NULL,
};

#define DEFAULT_PIDS_MAX   4096
#define DEFAULT_NOFILE_MAX 1048576

struct resources_settings {
	int64_t pids_max;
	bool have_memory;
	int64_t memory_max;
	bool have_rlimit[N_RLIMITS];
	uint64_t rlimit_max[N_RLIMITS];
	char **sysctl_allow;
	bool unapplied_warn; /* a limit the host cannot apply: start anyway, with a warning */
};

static int rlimit_index(const char *name)
{
	for (size_t i = 0; i < N_RLIMITS; i++)
		if (strcmp(name, rlimit_names[i].name) == 0)
			return (int)i;
	return -1;
}

static void resources_free(void *settings)
{
	struct resources_settings *s = settings;
	if (!s)
		return;
	hr_strv_free(s->sysctl_allow);
	free(s);
}

static void resources_freep(struct resources_settings **s)
{
	resources_free(*s);
}

static int parse_rlimits(const struct hr_json *section, struct resources_settings *s,
			 const char *file, struct hr_error **err)
{
	const struct hr_json *rl = hr_json_get(section, "rlimits");
	if (hr_json_is_null(rl)) {
		s->have_rlimit[rlimit_index("RLIMIT_NOFILE")] = true;
		s->rlimit_max[rlimit_index("RLIMIT_NOFILE")] = DEFAULT_NOFILE_MAX;
		return 0;
	}
	if (rl->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "%s: resources.rlimits must be an object", file);
	for (size_t i = 0; i < rl->obj.len; i++) {
		const char *key = rl->obj.members[i].key;
		int idx = rlimit_index(key);
		unsigned long long v = 0;
		if (idx < 0)
			return hr_error_set(err, 0, "%s: resources.rlimits: unknown rlimit `%s`",
					    file, key);
		if (hr_policy_get_uint64(rl, key, &v, file, "resources.rlimits", err) < 0)
			return -1;
		s->have_rlimit[idx] = true;
		s->rlimit_max[idx] = v;
	}
	return 0;
}

static int resources_parse(const struct hr_json *section, const char *file, void **settings,
			   struct hr_error **err)
{
	static const char *const keys[] = {"pidsLimit",	  "memoryLimit", "rlimits",
					   "sysctlAllow", "unapplied",	 NULL};
	_cleanup_(resources_freep) struct resources_settings *s = hr_xcalloc(1, sizeof(*s));
	unsigned long long v = 0;

	s->pids_max = DEFAULT_PIDS_MAX;
	if (!hr_json_is_null(section)) {
		if (hr_policy_check_keys(section, file, "resources", keys, err) < 0 ||
		    hr_policy_get_strv(section, "sysctlAllow", &s->sysctl_allow, file, "resources",
				       err) < 0)
			return -1;
		if (!hr_json_is_null(hr_json_get(section, "pidsLimit"))) {
			if (hr_policy_get_uint64(section, "pidsLimit", &v, file, "resources", err) <
			    0)
				return -1;
			if (v == 0 || v > INT64_MAX)
				return hr_error_set(err, 0, "%s: resources.pidsLimit: out of range",
						    file);
			s->pids_max = (int64_t)v;
		}
		if (!hr_json_is_null(hr_json_get(section, "memoryLimit"))) {
			if (hr_policy_get_uint64(section, "memoryLimit", &v, file, "resources",
						 err) < 0)
				return -1;
			if (v < 4096 || v > INT64_MAX)
				return hr_error_set(
				    err, 0, "%s: resources.memoryLimit: out of range", file);
			s->have_memory = true;
			s->memory_max = (int64_t)v;
		}
	}
	if (parse_rlimits(section, s, file, err) < 0)
		return -1;
	if (!hr_json_is_null(hr_json_get(section, "unapplied"))) {
		_cleanup_free_ char *u = NULL;
		if (hr_policy_get_string(section, "unapplied", &u, file, "resources", err) < 0)
			return -1;
		if (strcmp(u, "deny") != 0 && strcmp(u, "warn") != 0)
			return hr_error_set(
			    err, 0, "%s: resources.unapplied: `%s` is not deny or warn", file, u);
		s->unapplied_warn = strcmp(u, "warn") == 0;
	}
	if (!s->sysctl_allow)
		s->sysctl_allow = hr_strv_dup((char *const *)sysctl_default);
	*settings = hr_steal_ptr(&s);
	return 0;
}

/* An optional int64 member of obj; *present tells whether it was there. */
static int get_i64(const struct hr_json *obj, const char *key, int64_t *out, bool *present,
		   const char *path, struct hr_error **err)
{
	const struct hr_json *j = hr_json_get(obj, key);
	*out = 0;
	*present = !hr_json_is_null(j);
	if (*present && !hr_json_as_int64(j, out))
		return hr_error_set(err, 0, "config: `%s.%s` must be an integer", path, key);
	return 0;
}

/*
 * A limit that must be set, positive and at most max (0 and -1 both mean
 * "no limit" to runc).
 */
static int cap_limit(struct hr_ctx *ctx, const char *parent, const char *key, int64_t max,
		     struct hr_error **err)
{
	_cleanup_free_ char *dotted = hr_xasprintf("linux.resources.%s.%s", parent, key);
	_cleanup_free_ char *slashed = hr_xasprintf("linux/resources/%s", parent);
	struct hr_json *obj = hr_spec_get(ctx->spec, slashed, HR_JSON_OBJECT, false, err);
	int64_t cur = 0;
	bool present = false;

	if (!obj && err && *err)
		return -1;
	if (get_i64(obj, key, &cur, &present, slashed, err) < 0)
		return -1;
	if (present && cur > 0 && cur <= max)
		return 0;
	_cleanup_free_ char *before = present ? hr_xasprintf("%lld", (long long)cur) : NULL;
	_cleanup_free_ char *after = hr_xasprintf("%lld", (long long)max);
	bool fix;
	if (!present)
		fix = hr_report(ctx, dotted, before, after, "no %s limit: %s", parent,
				strcmp(parent, "pids") == 0
				    ? "one fork bomb can exhaust the host's process table"
				    : "the container can take all of the host's memory");
	else if (cur <= 0)
		fix = hr_report(ctx, dotted, before, after, "%s limit %lld means unlimited", parent,
				(long long)cur);
	else
		fix = hr_report(ctx, dotted, before, after,
				"%s limit is above the profile's maximum %lld", parent,
				(long long)max);
	if (!fix)
		return 0;
	obj = hr_spec_get(ctx->spec, slashed, HR_JSON_OBJECT, true, err);
	if (!obj)
		return hr_err_wrap(err, "resources");
	hr_json_set(obj, key, hr_json_new_int(max));
	return 0;
}

/* memory.swap (memory+swap) must not lift the memory limit. */
static int cap_swap(struct hr_ctx *ctx, int64_t max, struct hr_error **err)
{
	struct hr_json *mem =
	    hr_spec_get(ctx->spec, "linux/resources/memory", HR_JSON_OBJECT, false, err);
	int64_t swap = 0;
	bool present = false;

	if (!mem)
		return (err && *err) ? -1 : 0;
	if (get_i64(mem, "swap", &swap, &present, "linux.resources.memory", err) < 0)
		return -1;
	if (!present || swap == 0 || (swap > 0 && swap <= max))
		return 0;
	_cleanup_free_ char *before = hr_xasprintf("%lld", (long long)swap);
	_cleanup_free_ char *after = hr_xasprintf("%lld", (long long)max);
	if (hr_report(ctx, "linux.resources.memory.swap", before, after,
		      "memory+swap limit is above the profile's memory limit"))
		hr_json_set(mem, "swap", hr_json_new_int(max));
	return 0;
}

static int get_u64(const struct hr_json *obj, const char *key, uint64_t *out, const char *path,
		   struct hr_error **err)
{
	const struct hr_json *j = hr_json_get(obj, key);
	*out = 0;
	if (!hr_json_is_null(j) && !hr_json_as_uint64(j, out))
		return hr_error_set(err, 0, "config: `%s.%s` must be a uint64", path, key);
	return 0;
}

static struct hr_json *rlimit_json(const char *type, uint64_t hard, uint64_t soft)
{
	struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(o, "type", hr_json_new_string(type));
	hr_json_set(o, "hard", hr_json_new_uint(hard));
	hr_json_set(o, "soft", hr_json_new_uint(soft));
	return o;
}

/* Cap one rlimit entry; returns its rlimit index, -1 when refused, -2 on error. */
static int check_rlimit(struct hr_ctx *ctx, const struct resources_settings *s,
			struct hr_json *item, const char *path, unsigned *seen,
			struct hr_error **err)
{
	if (item->type != HR_JSON_OBJECT) {
		hr_error_set(err, 0, "config: `%s` must be an object", path);
		return -2;
	}
	const struct hr_json *tj = hr_json_get(item, "type");
	const char *type = hr_json_is_null(tj) ? "" : hr_json_as_string(tj);
	uint64_t hard = 0, soft = 0;
	if (!type || get_u64(item, "hard", &hard, path, err) < 0 ||
	    get_u64(item, "soft", &soft, path, err) < 0) {
		hr_error_set(err, 0, "config: `%s.type` must be a string", path);
		return -2;
	}
	_cleanup_free_ char *before = hr_json_brief(item);
	int idx = rlimit_index(type);
	if (idx < 0) {
		/* runc refuses these; a runtime that matched "rlimit_nofile"
		 * would apply a limit hardrun never capped. */
		hr_report_unfixable(ctx, path, before, "unknown rlimit type");
		return -1;
	}
	if (*seen & (1u << idx)) {
		hr_report_unfixable(ctx, path, before, "duplicate rlimit %s", type);
		return -1;
	}
	*seen |= 1u << idx;
	if (!s->have_rlimit[idx] || (hard <= s->rlimit_max[idx] && soft <= hard))
		return idx;
	uint64_t nh = hard < s->rlimit_max[idx] ? hard : s->rlimit_max[idx];
	uint64_t ns = soft < nh ? soft : nh;
	struct hr_json *repl = rlimit_json(type, nh, ns);
	_cleanup_free_ char *after = hr_json_brief(repl);
	hr_json_free(repl);
	if (hr_report(ctx, path, before, after, "%s above the profile's maximum %llu", type,
		      (unsigned long long)s->rlimit_max[idx])) {
		hr_json_set(item, "hard", hr_json_new_uint(nh));
		hr_json_set(item, "soft", hr_json_new_uint(ns));
	}
	return idx;
}

/*
 * A capped rlimit the config leaves out is inherited from the runtime,
 * which inherits hardrun's own: add the cap when that is higher.
 */
static int add_missing_rlimits(struct hr_ctx *ctx, const struct resources_settings *s,
			       unsigned seen, const char *arr_path, struct hr_error **err)
{
	for (size_t i = 0; i < N_RLIMITS; i++) {
		struct rlimit own;
		if (!s->have_rlimit[i] || (seen & (1u << i)) ||
		    getrlimit(rlimit_names[i].resource, &own) < 0)
			continue;
		if (own.rlim_max != RLIM_INFINITY && own.rlim_max <= s->rlimit_max[i])
			continue;
		uint64_t soft = own.rlim_cur < s->rlimit_max[i] ? own.rlim_cur : s->rlimit_max[i];
		struct hr_json *add = rlimit_json(rlimit_names[i].name, s->rlimit_max[i], soft);
		_cleanup_free_ char *after = hr_json_brief(add);
		_cleanup_free_ char *dotted = hr_xasprintf("%s.rlimits", arr_path);
		if (!hr_report(ctx, dotted, NULL, after,
			       "%s not set: the inherited limit is above the profile's maximum",
			       rlimit_names[i].name)) {
			hr_json_free(add);
			continue;
		}
		struct hr_json *proc = hr_spec_get(ctx->spec, "process", HR_JSON_OBJECT, true, err);
		struct hr_json *arr = proc ? hr_json_ensure_array(proc, "rlimits") : NULL;
		if (!arr) {
			hr_json_free(add);
			return hr_error_set(err, 0, "config: `process.rlimits` must be an array");
		}
		hr_json_append(arr, add);
	}
	return 0;
}

static int check_rlimits(struct hr_ctx *ctx, const struct resources_settings *s,
			 struct hr_json *proc, struct hr_error **err)
{
	struct hr_json *arr = proc ? hr_json_get(proc, "rlimits") : NULL;
	unsigned seen = 0;

	if (!hr_json_is_null(arr)) {
		if (arr->type != HR_JSON_ARRAY)
			return hr_error_set(err, 0, "config: `process.rlimits` must be an array");
		for (size_t i = 0; i < arr->arr.len; i++) {
			char path[48];
			snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
			if (hr_json_is_null(arr->arr.items[i]))
				continue;
			if (check_rlimit(ctx, s, arr->arr.items[i], path, &seen, err) == -2)
				return -1;
		}
	}
	/* An exec'd process without rlimits gets the container's (capped at
	 * create), not the runtime's: nothing to add there. */
	if (ctx->entry == HR_ENTRY_EXEC)
		return 0;
	return add_missing_rlimits(ctx, s, seen, "process", err);
}

/* Is the container's namespace of `type` its own (listed, and not the host's)? */
static bool owns_namespace(struct hr_json *spec, const char *type)
{
	struct hr_error *e = NULL;
	struct hr_json *arr = hr_spec_get(spec, "linux/namespaces", HR_JSON_ARRAY, false, &e);
	hr_error_clear(&e);
	for (size_t i = 0; arr && i < arr->arr.len; i++) {
		const char *t = hr_json_as_string(hr_json_get(arr->arr.items[i], "type"));
		if (!t || strcmp(t, type) != 0)
			continue;
		const struct hr_json *pj = hr_json_get(arr->arr.items[i], "path");
		const char *p = hr_json_as_string(pj);
		if (hr_json_is_null(pj) || (p && !*p))
			return true;
		bool host = true;
		if (!p || hr_ns_path_is_host(type, p, &host, &e) < 0) {
			hr_error_clear(&e);
			return false;
		}
		return !host;
	}
	return false;
}

/* The namespace a namespaced sysctl belongs to, NULL for others. */
static const char *sysctl_namespace(const char *key)
{
	if (strncmp(key, "net.", 4) == 0)
		return "network";
	if (strncmp(key, "fs.mqueue.", 10) == 0 || strncmp(key, "kernel.msg", 10) == 0 ||
	    strncmp(key, "kernel.sem", 10) == 0 || strncmp(key, "kernel.shm", 10) == 0)
		return "ipc";
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
		return "uts";
	return NULL;
}

/* Why key may not be set, or NULL when it may. */
static const char *sysctl_refusal(struct hr_ctx *ctx, const struct resources_settings *s,
				  const char *key)
{
	/* A runtime turns dots into slashes under /proc/sys: slashes and
	 * empty or dot-dot components could walk out of the allowed subtree. */
	if (!*key || strchr(key, '/') || strstr(key, "..") || key[0] == '.' ||
	    key[strlen(key) - 1] == '.')
		return "malformed sysctl name";
	bool listed = false;
	for (char **p = s->sysctl_allow; p && *p && !listed; p++)
		listed = fnmatch(*p, key, 0) == 0;
	if (!listed)
		return "sysctl not in the profile's namespaced-safe list";
	const char *ns = sysctl_namespace(key);
	if (ns && !owns_namespace(ctx->spec, ns))
		return "namespaced sysctl without a private namespace would change the host";
	return NULL;
}

static int check_sysctls(struct hr_ctx *ctx, const struct resources_settings *s,
			 struct hr_error **err)
{
	struct hr_json *obj = hr_spec_get(ctx->spec, "linux/sysctl", HR_JSON_OBJECT, false, err);
	if (!obj)
		return (err && *err) ? -1 : 0;
	for (size_t i = obj->obj.len; i-- > 0;) {
		const char *key = obj->obj.members[i].key;
		struct hr_json *v = obj->obj.members[i].value;
		if (!hr_json_as_string(v))
			return hr_error_set(err, 0,
					    "config: `linux.sysctl.%.100s` must be a string", key);
		const char *why = sysctl_refusal(ctx, s, key);
		if (!why)
			continue;
		_cleanup_free_ char *path = hr_xasprintf("linux.sysctl.%.200s", key);
		_cleanup_free_ char *before = hr_json_brief(v);
		if (hr_report(ctx, path, before, NULL, "%s", why))
			hr_json_remove(obj, key);
	}
	return 0;
}

/* linux.cgroupsPath: a cgroup of the container's own, never one with tasks
 * nor one beneath a cgroup with tasks. */
static int check_cgroups_path(struct hr_ctx *ctx, struct hr_error **err)
{
	const char *cg = NULL;
	struct hr_cgroup_facts f;
	const char *why;

	if (hr_spec_get_string(ctx->spec, "linux/cgroupsPath", &cg, err) < 0)
		return -1;
	if (!cg || !*cg)
		return 0;
	hr_cgroup_facts(cg, &f);
	why = hr_cgroup_verdict(&f);
	if (why)
		hr_report_unfixable(ctx, "linux.cgroupsPath", cg, "%s%s%s%s", why,
				    f.under_tasks && !f.tasks ? " (" : "",
				    f.under_tasks && !f.tasks ? f.under : "",
				    f.under_tasks && !f.tasks ? ")" : "");
	return 0;
}

/* linux.resources.unified: each key held to the profile like its v1 field. */
static int check_unified(struct hr_ctx *ctx, const struct resources_settings *s,
			 struct hr_error **err)
{
	struct hr_json *u =
	    hr_spec_get(ctx->spec, "linux/resources/unified", HR_JSON_OBJECT, false, err);

	if (!u)
		return (err && *err) ? -1 : 0;
	for (size_t i = u->obj.len; i-- > 0;) {
		const char *key = u->obj.members[i].key;
		const char *v = hr_json_as_string(u->obj.members[i].value);
		char fix[32];
		if (!v)
			return hr_error_set(
			    err, 0, "config: `linux.resources.unified.%.100s` must be a string",
			    key);
		const char *why = hr_unified_verdict(key, v, s->pids_max,
						     s->have_memory ? s->memory_max : 0, fix);
		if (!why)
			continue;
		_cleanup_free_ char *path = hr_xasprintf("linux.resources.unified.%.200s", key);
		if (!*fix) {
			hr_report_unfixable(ctx, path, v, "%s", why);
			continue;
		}
		if (hr_report(ctx, path, v, fix, "%s", why))
			hr_json_set(u, key, hr_json_new_string(fix));
	}
	return 0;
}

/*
 * A rootless caller on cgroup v1 has no pids cgroup of its own, so runc
 * cannot apply hardrun's pids limit and fails with "cannot set pids limit",
 * which names neither hardrun nor the profile.  Said here instead, as the
 * builtin runtime's `unapplied` says it: refused with the remedy, or under
 * "warn" started without the limit.  The builtin runtime decides for itself.
 */
static void rootless_v1_pids(struct hr_ctx *ctx, const struct resources_settings *s)
{
	struct hr_json *pids = hr_json_get_path(ctx->spec, "linux/resources/pids");
	struct statfs sf;
	const char *prof = ctx->profile && ctx->profile->name ? ctx->profile->name : "this";

	if (ctx->in_memory || (!ctx->in_userns && geteuid() == 0) || hr_json_is_null(pids) ||
	    hr_json_is_null(hr_json_get(pids, "limit")) || statfs("/sys/fs/cgroup", &sf) < 0 ||
	    sf.f_type == CGROUP2_SUPER_MAGIC)
		return;
	if (s->unapplied_warn) {
		hr_report_as(ctx, HR_ACTION_WARN, "linux.resources.pids.limit", NULL, NULL,
			     "not applied: a rootless container on cgroup v1 has no pids cgroup "
			     "(resources.unapplied is warn)");
		hr_json_remove(pids, "limit");
		return;
	}
	hr_report_as(
	    ctx, HR_ACTION_DENY, "linux.resources.pids.limit", NULL, NULL,
	    "hardrun's pids limit (profile `%s`, resources.pidsLimit) cannot be applied: a "
	    "rootless container on cgroup v1 has no pids cgroup of its own; remedy: "
	    "cgroup v2 (systemd.unified_cgroup_hierarchy=1), or a profile with "
	    "resources.unapplied \"warn\"",
	    prof);
}

static int resources_apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct resources_settings *s = settings;
	struct hr_json *proc = hr_spec_get(ctx->spec, "process", HR_JSON_OBJECT, false, err);

	if (!proc && err && *err)
		return -1;
	if (cap_limit(ctx, "pids", "limit", s->pids_max, err) < 0)
		return -1;
	rootless_v1_pids(ctx, s);
	if (s->have_memory && (cap_limit(ctx, "memory", "limit", s->memory_max, err) < 0 ||
			       cap_swap(ctx, s->memory_max, err) < 0))
		return -1;
	if (check_rlimits(ctx, s, proc, err) < 0 || check_sysctls(ctx, s, err) < 0 ||
	    check_unified(ctx, s, err) < 0 || check_cgroups_path(ctx, err) < 0)
		return -1;
	return 0;
}

static int resources_apply_process(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	if (!ctx->spec || ctx->spec->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "process: expected an object");
	return check_rlimits(ctx, settings, ctx->spec, err);
}

/* One requested value of `runc update`; 0 leaves the limit unchanged. */
static void check_update_value(struct hr_ctx *ctx, const char *path, long long v, int64_t max)
{
	if (v == 0 || (v > 0 && v <= max))
		return;
	char before[32], after[32];
	snprintf(before, sizeof(before), "%lld", v);
	snprintf(after, sizeof(after), "%lld", (long long)max);
	hr_report_unfixable(ctx, path, before, "update would lift the limit above the profile's %s",
			    after);
}

int hr_resources_check_update(struct hr_ctx *ctx, const void *settings, const char *resources_json,
			      long long pids_flag, long long memory_flag, long long swap_flag,
			      struct hr_error **err)
{
	const struct resources_settings *s = settings;
	_cleanup_json_ struct hr_json *res = NULL;
	int64_t v = 0;
	bool present = false;

	if (!ctx->cur_rule) {
		ctx->cur_rule = "resources";
		ctx->cur_action = HR_ACTION_DENY;
	}
	if (resources_json) {
		res = hr_json_parse(resources_json, strlen(resources_json), NULL, err);
		if (!res)
			return hr_err_wrap(err, "update resources");
		if (res->type != HR_JSON_OBJECT)
			return hr_error_set(err, 0, "update resources: expected an object");
		struct hr_json *pids = hr_spec_get(res, "pids", HR_JSON_OBJECT, false, err);
		if (!pids && *err)
			return -1;
		if (get_i64(pids, "limit", &v, &present, "pids", err) < 0)
			return -1;
		if (present)
			check_update_value(ctx, "pids.limit", v, s->pids_max);
		struct hr_json *mem = hr_spec_get(res, "memory", HR_JSON_OBJECT, false, err);
		if (!mem && *err)
			return -1;
		for (int i = 0; s->have_memory && i < 2; i++) {
			const char *key = i ? "swap" : "limit";
			if (get_i64(mem, key, &v, &present, "memory", err) < 0)
				return -1;
			_cleanup_free_ char *path = hr_xasprintf("memory.%s", key);
			if (present)
				check_update_value(ctx, path, v, s->memory_max);
		}
		const struct hr_json *u = hr_json_get(res, "unified");
		for (size_t i = 0; u && u->type == HR_JSON_OBJECT && i < u->obj.len; i++) {
			const char *uv = hr_json_as_string(u->obj.members[i].value);
			char fix[32];
			const char *why =
			    hr_unified_verdict(u->obj.members[i].key, uv ? uv : "", s->pids_max,
					       s->have_memory ? s->memory_max : 0, fix);
			_cleanup_free_ char *path =
			    hr_xasprintf("unified.%.200s", u->obj.members[i].key);
			if (why)
				hr_report_unfixable(ctx, path, uv, "update: %s", why);
		}
	}
	/* The sentinel only means "not given" for flags; a JSON value of
	 * LLONG_MIN is just another negative (unlimited) limit. */
	if (pids_flag != HR_UPDATE_UNSET)
		check_update_value(ctx, "--pids-limit", pids_flag, s->pids_max);
	if (s->have_memory && memory_flag != HR_UPDATE_UNSET)
		check_update_value(ctx, "--memory", memory_flag, s->memory_max);
	/* memory+swap: the profile's memoryLimit caps it as it caps memory.swap */
	if (s->have_memory && swap_flag != HR_UPDATE_UNSET)
		check_update_value(ctx, "--memory-swap", swap_flag, s->memory_max);
	return 0;
}

const struct hr_rule hr_rule_resources = {
    .name = "resources",
    .parse = resources_parse,
    .free_settings = resources_free,
    .apply = resources_apply,
    .apply_process = resources_apply_process,
};

bool hr_resources_unapplied_fatal(const void *settings)
{
	const struct resources_settings *s = settings;
	return !s || !s->unapplied_warn;
}

bool hr_resources_sysctl_listed(const void *settings, const char *key)
{
	const struct resources_settings *s = settings;
	char *const *allow = s ? s->sysctl_allow : (char *const *)sysctl_default;

	for (; allow && *allow; allow++)
		if (fnmatch(*allow, key, 0) == 0)
			return true;
	return false;
}
