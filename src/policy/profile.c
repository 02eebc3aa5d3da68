/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/util.h"

#define POLICY_MAX_BYTES  (4u << 20)
#define EXTENDS_MAX_DEPTH 4

/*
 * Where the shipped profiles live: $HARDRUN_DATADIR, else the installed
 * datadir.  A development build (meson -Ddev_paths=true) run from its
 * build directory uses its source tree's.
 */
char *hr_data_dir(void)
{
	const char *env = getenv("HARDRUN_DATADIR");
	if (env && *env)
		return hr_xstrdup(env);
#if HR_DEV_PATHS
	_cleanup_free_ char *self = hr_realpath("/proc/self/exe");
	if (self && strncmp(self, HR_BUILD_DIR "/", strlen(HR_BUILD_DIR) + 1) == 0)
		return hr_xstrdup(HR_SOURCE_DIR "/profiles");
#endif
	return hr_xstrdup(HR_DATADIR);
}

/*
 * Where the engines keep containers' volumes (docs/policy.md, `volumeRoots`):
 * the only bind sources ever idmapped.  Volumes are shared by design between
 * the containers that name them, so no rootfs may lie there.
 */
const char *const hr_default_volume_roots[] = {
    "/var/lib/docker/volumes",
    "/var/lib/containers/storage/volumes",
    "/var/lib/kubelet/pods",
    NULL,
};

/*
 * Where the engines keep image layers and the overlays they mount from them
 * (`layerRoots`): shared by every container of an image, so never a bind
 * source to idmap; only a rootfs the engine mounted there, one container's.
 */
const char *const hr_default_layer_roots[] = {
    "/var/lib/docker/overlay2",
    "/var/lib/containers/storage/overlay",
    "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs",
    NULL,
};

static struct hr_json *load_json_file(const char *path, struct hr_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (hr_read_file_at(AT_FDCWD, path, POLICY_MAX_BYTES, &buf, &len, err) < 0)
		return NULL;
	struct hr_json *j = hr_json_parse(buf, len, NULL, err);
	if (!j) {
		hr_err_wrap(err, "%s", path);
		return NULL;
	}
	if (j->type != HR_JSON_OBJECT) {
		hr_json_free(j);
		hr_error_set(err, 0, "%s: the top level must be an object", path);
		return NULL;
	}
	return j;
}

void hr_policy_free(struct hr_policy *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->default_profile);
	free(p->runtime);
	free(p->profiles_dir);
	free(p->seccomp_dir);
	free(p->state_dir);
	free(p->audit_log);
	hr_strv_free(p->allowed_hooks);
	hr_strv_free(p->image_allow);
	hr_strv_free(p->annotation_profiles);
	hr_strv_free(p->allowed_annotations);
	hr_strv_free(p->volume_roots);
	hr_strv_free(p->layer_roots);
	free(p->caller_ranges);
	free(p);
}

/*
 * /run/hardrun, or for a rootless caller (not root, or root only inside a
 * user namespace, as under rootless podman) $XDG_RUNTIME_DIR/hardrun, where
 * runc keeps a rootless root too: /run/hardrun is not theirs to write.
 */
static char *default_state_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if ((geteuid() != 0 || hr_in_user_namespace()) && xdg && xdg[0] == '/')
		return hr_xasprintf("%s/hardrun", xdg);
	return hr_xstrdup("/run/hardrun");
}

/*
 * /var/log/hardrun/audit.log, or for a rootless caller (as for the state
 * dir) $XDG_STATE_HOME/hardrun/audit.log, else ~/.local/state/...: a
 * rootless decision is recorded where that user can write.
 */
static char *default_audit_log(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0 && !hr_in_user_namespace())
		return hr_xstrdup("/var/log/hardrun/audit.log");
	if (xdg && xdg[0] == '/')
		return hr_xasprintf("%s/hardrun/audit.log", xdg);
	if (home && home[0] == '/')
		return hr_xasprintf("%s/.local/state/hardrun/audit.log", home);
	return hr_xstrdup("/var/log/hardrun/audit.log");
}

struct hr_policy *hr_policy_defaults(void)
{
	_cleanup_free_ char *dd = hr_data_dir();
	struct hr_policy *p = hr_xcalloc(1, sizeof(*p));
	p->path = hr_xstrdup("(built-in defaults)");
	p->default_profile = hr_xstrdup("baseline");
	p->profiles_dir = hr_xasprintf("%s/policies", dd);
	p->seccomp_dir = hr_xasprintf("%s/seccomp", dd);
	p->state_dir = default_state_dir();
	p->audit_log = default_audit_log();
	p->audit_max_bytes = 16u << 20;
	/* Far above any distribution's uid allocations and below 2^31. */
	p->pool_start = 1u << 20;
	p->pool_size = 65536u * 4096u;
	p->range_size = 65536;
	p->pool_from_subid = true;
	p->allowed_hooks = hr_xcalloc(1, sizeof(char *));
	p->engine_hooks = true;
	p->image_allow = hr_xcalloc(1, sizeof(char *));
	p->image_unnamed_allowed = true;
	p->annotation_profiles = hr_xcalloc(1, sizeof(char *));
	hr_strv_push(&p->annotation_profiles, "baseline");
	hr_strv_push(&p->annotation_profiles, "restricted");
	hr_strv_push(&p->annotation_profiles, "untrusted");
	p->allowed_annotations = hr_xcalloc(1, sizeof(char *));
	p->volume_roots = hr_strv_dup((char *const *)hr_default_volume_roots);
	p->layer_roots = hr_strv_dup((char *const *)hr_default_layer_roots);
	return p;
}

static int get_u32(const struct hr_json *o, const char *key, uint32_t *out, const char *file,
		   const char *sec, struct hr_error **err)
{
	unsigned long long v = *out;
	if (hr_policy_get_uint64(o, key, &v, file, sec, err) < 0)
		return -1;
	if (v > UINT32_MAX)
		return hr_error_set(err, 0, "%s: `%s.%s` is out of range", file, sec, key);
	*out = (uint32_t)v;
	return 0;
}

/* Policy sections are not rule sections: "action" means nothing there. */
static int check_keys(const struct hr_json *o, const char *f, const char *sec,
		      const char *const keys[], struct hr_error **err)
{
	if (hr_policy_check_keys(o, f, sec, keys, err) < 0)
		return -1;
	if (o && hr_json_get(o, "action") && !hr_strv_contains((char *const *)keys, "action"))
		return hr_error_set(err, 0, "%s: unknown key `action` in `%s`", f, sec);
	return 0;
}

/* userns.callerRanges: [{"start": N, "size": M, "shared": bool}], outside the pool. */
static int parse_caller_ranges(struct hr_policy *p, const struct hr_json *arr,
			       struct hr_error **err)
{
	static const char *const keys[] = {"start", "size", "shared", NULL};
	const char *f = p->path;

	if (hr_json_is_null(arr))
		return 0;
	if (arr->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "%s: `userns.callerRanges` must be an array", f);
	p->caller_ranges = hr_xcalloc(arr->arr.len + 1, sizeof(*p->caller_ranges));
	for (size_t i = 0; i < arr->arr.len; i++) {
		struct hr_caller_range *r = &p->caller_ranges[p->n_caller_ranges++];
		const struct hr_json *o = arr->arr.items[i];
		if (!o || o->type != HR_JSON_OBJECT ||
		    check_keys(o, f, "userns.callerRanges", keys, err) < 0 ||
		    get_u32(o, "start", &r->start, f, "userns.callerRanges", err) < 0 ||
		    get_u32(o, "size", &r->size, f, "userns.callerRanges", err) < 0 ||
		    hr_policy_get_bool(o, "shared", &r->shared, f, "userns.callerRanges", err) < 0)
			return (err && *err)
				   ? -1
				   : hr_error_set(err, 0,
						  "%s: `userns.callerRanges[%zu]` must be an "
						  "object",
						  f, i);
		if (r->start == 0 || r->size == 0 || (uint64_t)r->start + r->size > UINT32_MAX ||
		    (r->start < (uint64_t)p->pool_start + p->pool_size &&
		     p->pool_start < (uint64_t)r->start + r->size))
			return hr_error_set(err, 0,
					    "%s: `userns.callerRanges[%zu]` must hold ids above 0, "
					    "within 32 bits and outside hardrun's pool",
					    f, i);
	}
	return 0;
}

static int parse_userns(struct hr_policy *p, const struct hr_json *o, struct hr_error **err)
{
	static const char *const keys[] = {"poolStart",	    "poolSize",	    "rangeSize", "useSubid",
					   "chownFallback", "callerRanges", NULL};
	const char *f = p->path;
	if (check_keys(o, f, "userns", keys, err) < 0 ||
	    get_u32(o, "poolStart", &p->pool_start, f, "userns", err) < 0 ||
	    get_u32(o, "poolSize", &p->pool_size, f, "userns", err) < 0 ||
	    get_u32(o, "rangeSize", &p->range_size, f, "userns", err) < 0 ||
	    hr_policy_get_bool(o, "useSubid", &p->pool_from_subid, f, "userns", err) < 0 ||
	    hr_policy_get_bool(o, "chownFallback", &p->idmap_chown_fallback, f, "userns", err) < 0)
		return -1;
	if (p->pool_start == 0 || p->range_size == 0 || p->pool_size < p->range_size ||
	    (uint64_t)p->pool_start + p->pool_size > UINT32_MAX)
		return hr_error_set(err, 0,
				    "%s: `userns` pool must start above 0 and hold at least one "
				    "range within 32-bit ids",
				    f);
	return parse_caller_ranges(p, hr_json_get(o, "callerRanges"), err);
}

static int parse_sections(struct hr_policy *p, const struct hr_json *j, struct hr_error **err)
{
	static const char *const hook_keys[] = {"allowed", "engines", NULL};
	static const char *const image_keys[] = {"allow", "requireDigest", "allowUnnamed", NULL};
	static const char *const ann_keys[] = {"profiles", "allowLooser", "allowed", NULL};
	static const char *const mac_keys[] = {"require", NULL};
	const char *f = p->path;
	const struct hr_json *o = NULL;

	if ((o = hr_json_get(j, "userns")) && parse_userns(p, o, err) < 0)
		return -1;
	o = hr_json_get(j, "hooks");
	if (check_keys(o, f, "hooks", hook_keys, err) < 0 ||
	    hr_policy_get_strv(o, "allowed", &p->allowed_hooks, f, "hooks", err) < 0 ||
	    hr_policy_get_bool(o, "engines", &p->engine_hooks, f, "hooks", err) < 0)
		return -1;
	o = hr_json_get(j, "images");
	if (check_keys(o, f, "images", image_keys, err) < 0 ||
	    hr_policy_get_strv(o, "allow", &p->image_allow, f, "images", err) < 0 ||
	    hr_policy_get_bool(o, "requireDigest", &p->image_require_digest, f, "images", err) <
		0 ||
	    hr_policy_get_bool(o, "allowUnnamed", &p->image_unnamed_allowed, f, "images", err) < 0)
		return -1;
	o = hr_json_get(j, "annotations");
	if (check_keys(o, f, "annotations", ann_keys, err) < 0 ||
	    hr_policy_get_strv(o, "profiles", &p->annotation_profiles, f, "annotations", err) < 0 ||
	    hr_policy_get_bool(o, "allowLooser", &p->annotation_allow_looser, f, "annotations",
			       err) < 0 ||
	    hr_policy_get_strv(o, "allowed", &p->allowed_annotations, f, "annotations", err) < 0)
		return -1;
	o = hr_json_get(j, "mac");
	if (check_keys(o, f, "mac", mac_keys, err) < 0 ||
	    hr_policy_get_bool(o, "require", &p->require_mac, f, "mac", err) < 0)
		return -1;
	return 0;
}

/* Absolute, and never "/": everything would lie beneath it. */
static int parse_roots(struct hr_policy *p, const struct hr_json *j, const char *key, char ***roots,
		       struct hr_error **err)
{
	if (hr_policy_get_strv(j, key, roots, p->path, "", err) < 0)
		return -1;
	for (size_t i = 0; (*roots)[i]; i++) {
		const char *v = (*roots)[i];
		if (v[0] != '/' || v[strspn(v, "/")] == '\0')
			return hr_error_set(err, 0,
					    "%s: `%s[%zu]` must be an absolute path other "
					    "than /: `%s`",
					    p->path, key, i, v);
	}
	return 0;
}

static int parse_policy(struct hr_policy *p, const struct hr_json *j, struct hr_error **err)
{
	static const char *const keys[] = {
	    "defaultProfile", "runtime",       "profilesDir", "seccompDir",
	    "stateDir",	      "auditLog",      "userns",      "hooks",
	    "images",	      "annotations",   "mac",	      "configHandover",
	    "volumeRoots",    "auditMaxBytes", "layerRoots",  NULL};
	const char *f = p->path;
	if (check_keys(j, f, "(top level)", keys, err) < 0)
		return -1;
	if (hr_policy_get_string(j, "defaultProfile", &p->default_profile, f, "", err) < 0 ||
	    hr_policy_get_string(j, "runtime", &p->runtime, f, "", err) < 0 ||
	    hr_policy_get_string(j, "profilesDir", &p->profiles_dir, f, "", err) < 0 ||
	    hr_policy_get_string(j, "seccompDir", &p->seccomp_dir, f, "", err) < 0 ||
	    hr_policy_get_string(j, "stateDir", &p->state_dir, f, "", err) < 0 ||
	    hr_policy_get_string(j, "auditLog", &p->audit_log, f, "", err) < 0)
		return -1;
	unsigned long long max = p->audit_max_bytes;
	if (hr_policy_get_uint64(j, "auditMaxBytes", &max, f, "", err) < 0)
		return -1;
	p->audit_max_bytes = max;
	/* Of hardrun 0.x, which had a second hand-over: a host policy written
	 * for it still loads, and says the key does nothing now. */
	if (hr_json_get(j, "configHandover"))
		hr_warn("%s: `configHandover` is ignored: config.json is always hardened, "
			"written whole, then handed to the runtime; remove the key",
			f);
	if (p->state_dir[0] != '/')
		return hr_error_set(err, 0, "%s: `stateDir` must be an absolute path", f);
	if (parse_roots(p, j, "volumeRoots", &p->volume_roots, err) < 0 ||
	    parse_roots(p, j, "layerRoots", &p->layer_roots, err) < 0)
		return -1;
	return parse_sections(p, j, err);
}

struct hr_policy *hr_policy_load(const char *path, struct hr_error **err)
{
	const char *env = getenv("HARDRUN_POLICY");
	bool explicit = true;
	if (!path || !*path)
		path = env && *env ? env : NULL;
	if (!path) {
		path = HR_DEFAULT_POLICY_PATH;
		explicit = false;
	}
	struct hr_policy *p = hr_policy_defaults();
	if (!explicit && access(path, F_OK) < 0 && errno == ENOENT)
		return p;
	_cleanup_json_ struct hr_json *j = load_json_file(path, err);
	if (!j) {
		hr_policy_free(p);
		hr_err_wrap(err, "policy");
		return NULL;
	}
	free(p->path);
	p->path = hr_xstrdup(path);
	if (parse_policy(p, j, err) < 0) {
		hr_policy_free(p);
		return NULL;
	}
	return p;
}

struct hr_policy *hr_policy_parse(const char *label, const char *buf, size_t len,
				  struct hr_error **err)
{
	_cleanup_json_ struct hr_json *j = hr_json_parse(buf, len, NULL, err);
	if (!j || j->type != HR_JSON_OBJECT) {
		if (j)
			hr_error_set(err, 0, "%s: the top level must be an object", label);
		return NULL;
	}
	struct hr_policy *p = hr_policy_defaults();
	free(p->path);
	p->path = hr_xstrdup(label);
	if (parse_policy(p, j, err) < 0) {
		hr_policy_free(p);
		return NULL;
	}
	return p;
}

/* ---- profiles ----------------------------------------------------------- */

void hr_profile_free(struct hr_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].settings && p->rules[i].rule->free_settings)
			p->rules[i].rule->free_settings(p->rules[i].settings);
	free(p->rules);
	free(p->name);
	free(p->path);
	free(p);
}

const struct hr_rule_config *hr_profile_rule(const struct hr_profile *p, const char *name)
{
	for (size_t i = 0; p && i < p->n_rules; i++)
		if (strcmp(p->rules[i].rule->name, name) == 0)
			return &p->rules[i];
	return NULL;
}

static bool valid_name(const char *n)
{
	if (!*n || strlen(n) > 64)
		return false;
	for (const char *c = n; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_'))
			return false;
	return true;
}

static char *profile_path(const struct hr_policy *policy, const char *name, struct hr_error **err)
{
	/* Absolute and resolved: the container's record keeps this path for
	 * exec and update, which may run from another working directory. */
	if (strchr(name, '/')) {
		char *real = hr_realpath(name);
		if (!real)
			hr_error_set(err, errno, "profile file `%s`", name);
		return real;
	}
	if (!valid_name(name)) {
		hr_error_set(err, 0, "invalid profile name `%s`", name);
		return NULL;
	}
	char *path = hr_xasprintf("%s/%s.json", policy->profiles_dir, name);
	if (access(path, F_OK) < 0) {
		hr_error_set(err, 0, "unknown profile `%s` (no %s)", name, path);
		free(path);
		return NULL;
	}
	return path;
}

/*
 * Load a profile file and, through "extends", its parents, into one merged
 * "rules" object: a child's section for a rule replaces the parent's whole.
 */
static struct hr_json *load_profile_json(const struct hr_policy *policy, const char *name,
					 int depth, char **path_out, struct hr_error **err)
{
	static const char *const keys[] = {"name",    "description", "strictness",
					   "extends", "rules",	     NULL};
	_cleanup_free_ char *path = profile_path(policy, name, err);
	if (!path)
		return NULL;
	_cleanup_json_ struct hr_json *j = load_json_file(path, err);
	if (!j || hr_policy_check_keys(j, path, "(top level)", keys, err) < 0)
		return NULL;
	if (hr_json_get(j, "action")) {
		hr_error_set(err, 0, "%s: unknown key `action` at the top level", path);
		return NULL;
	}
	struct hr_json *rules = hr_json_get(j, "rules");
	if (!rules || rules->type != HR_JSON_OBJECT) {
		hr_error_set(err, 0, "%s: `rules` must be an object", path);
		return NULL;
	}
	for (size_t i = 0; i < rules->obj.len; i++)
		if (!hr_rule_find(rules->obj.members[i].key)) {
			hr_error_set(err, 0, "%s: unknown rule `%s` in `rules`", path,
				     rules->obj.members[i].key);
			return NULL;
		}
	_cleanup_free_ char *parent_name = NULL;
	if (hr_policy_get_string(j, "extends", &parent_name, path, "(top level)", err) < 0)
		return NULL;
	if (parent_name) {
		if (depth >= EXTENDS_MAX_DEPTH) {
			hr_error_set(err, 0, "%s: `extends` chain deeper than %d", path,
				     EXTENDS_MAX_DEPTH);
			return NULL;
		}
		struct hr_json *parent =
		    load_profile_json(policy, parent_name, depth + 1, NULL, err);
		if (!parent)
			return hr_err_wrap(err, "%s: extends `%s`", path, parent_name), NULL;
		struct hr_json *prules = hr_json_get(parent, "rules");
		for (size_t i = 0; i < rules->obj.len; i++)
			hr_json_set(prules, rules->obj.members[i].key,
				    hr_json_clone(rules->obj.members[i].value));
		for (size_t i = 0; i < j->obj.len; i++)
			if (strcmp(j->obj.members[i].key, "rules") != 0 &&
			    strcmp(j->obj.members[i].key, "extends") != 0)
				hr_json_set(parent, j->obj.members[i].key,
					    hr_json_clone(j->obj.members[i].value));
		hr_json_free(j);
		j = parent;
	}
	if (path_out)
		*path_out = hr_steal_ptr(&path);
	return hr_steal_ptr(&j);
}

static int configure_rule(struct hr_profile *p, struct hr_rule_config *rc,
			  const struct hr_json *rules, struct hr_error **err)
{
	const struct hr_json *sec = hr_json_get(rules, rc->rule->name);
	_cleanup_free_ char *action = NULL;
	_cleanup_free_ char *secname = hr_xasprintf("rules.%s", rc->rule->name);

	if (!sec)
		return hr_error_set(err, 0,
				    "%s: profile does not configure rule `%s` (set its action to "
				    "\"off\" to disable it)",
				    p->path, rc->rule->name);
	if (sec->type != HR_JSON_OBJECT)
		return hr_error_set(err, 0, "%s: `%s` must be an object", p->path, secname);
	if (hr_policy_get_string(sec, "action", &action, p->path, secname, err) < 0)
		return -1;
	int a = action ? hr_action_parse(action) : -1;
	if (a < 0)
		return hr_error_set(err, 0,
				    "%s: `%s.action` must be one of off, warn, fix, deny (got %s)",
				    p->path, secname, action ? action : "nothing");
	rc->action = (enum hr_action)a;
	if (rc->rule->parse && rc->rule->parse(sec, p->path, &rc->settings, err) < 0)
		return -1;
	return 0;
}

/* Every rule family of this binary, each from its section of `rules`. */
static int configure_rules(struct hr_profile *p, const struct hr_json *rules, struct hr_error **err)
{
	for (size_t n = 0; hr_rules[n]; n++)
		p->n_rules++;
	p->rules = hr_xcalloc(p->n_rules, sizeof(*p->rules));
	for (size_t i = 0; i < p->n_rules; i++) {
		p->rules[i].rule = hr_rules[i];
		if (configure_rule(p, &p->rules[i], rules, err) < 0)
			return -1;
	}
	return 0;
}

struct hr_profile *hr_profile_load(const struct hr_policy *policy, const char *name,
				   struct hr_error **err)
{
	struct hr_profile *p = hr_xcalloc(1, sizeof(*p));
	_cleanup_json_ struct hr_json *j = load_profile_json(policy, name, 0, &p->path, err);
	unsigned long long strict = 0;

	if (!j)
		goto fail;
	p->name = hr_xstrdup(strchr(name, '/') ? strrchr(name, '/') + 1 : name);
	if (hr_policy_get_string(j, "name", &p->name, p->path, "(top level)", err) < 0 ||
	    hr_policy_get_uint64(j, "strictness", &strict, p->path, "(top level)", err) < 0)
		goto fail;
	p->strictness = (int)(strict > 100 ? 100 : strict);
	if (configure_rules(p, hr_json_get(j, "rules"), err) < 0)
		goto fail;
	return p;
fail:
	hr_err_wrap(err, "profile `%s`", name);
	hr_profile_free(p);
	return NULL;
}

struct hr_profile *hr_profile_parse(const char *label, const char *buf, size_t len,
				    struct hr_error **err)
{
	static const char *const keys[] = {"name", "description", "strictness", "rules", NULL};
	_cleanup_json_ struct hr_json *j = hr_json_parse(buf, len, NULL, err);
	struct hr_profile *p = hr_xcalloc(1, sizeof(*p));
	p->path = hr_xstrdup(label);
	p->name = hr_xstrdup(label);
	if (!j || hr_policy_check_keys(j, label, "(top level)", keys, err) < 0 ||
	    hr_json_get(j, "action") || !hr_json_get(j, "rules")) {
		hr_error_set(err, 0, "%s: not a profile", label);
		hr_profile_free(p);
		return NULL;
	}
	if (configure_rules(p, hr_json_get(j, "rules"), err) < 0) {
		hr_profile_free(p);
		return NULL;
	}
	return p;
}

struct hr_profile *hr_profile_resolve(const struct hr_policy *policy, const char *requested,
				      const struct hr_json *spec, struct hr_error **err)
{
	const char *base = requested && *requested ? requested : policy->default_profile;
	struct hr_profile *p = hr_profile_load(policy, base, err);
	const struct hr_json *ann =
	    hr_json_get(hr_json_get(spec, "annotations"), HR_PROFILE_ANNOTATION);
	if (!p || hr_json_is_null(ann))
		return p;

	const char *want = hr_json_as_string(ann);
	if (!want) {
		hr_profile_free(p);
		hr_error_set(err, 0, "annotation `%s` must be a string", HR_PROFILE_ANNOTATION);
		return NULL;
	}
	if (strcmp(want, p->name) == 0)
		return p;
	if (!hr_strv_contains(policy->annotation_profiles, want)) {
		hr_profile_free(p);
		hr_error_set(err, 0,
			     "annotation `%s` asks for profile `%s`, which %s does not allow",
			     HR_PROFILE_ANNOTATION, want, policy->path);
		return NULL;
	}
	struct hr_profile *q = hr_profile_load(policy, want, err);
	if (q && q->strictness < p->strictness && !policy->annotation_allow_looser) {
		hr_error_set(err, 0,
			     "annotation `%s` asks for profile `%s`, which is looser than `%s`; "
			     "%s does not allow looser profiles",
			     HR_PROFILE_ANNOTATION, want, p->name, policy->path);
		hr_profile_free(q);
		q = NULL;
	}
	hr_profile_free(p);
	return q;
}
