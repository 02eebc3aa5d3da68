/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devices: the container sees only the harmless default device nodes, and
 * its device cgroup never allows everything.  A device node of the host's
 * disk, memory (/dev/mem, char 1:1), kernel log (/dev/kmsg) or console gives
 * the host away without any capability, so anything outside the default set
 * (plus the profile's allowedDevices) is removed.  The lower runtime adds
 * its own default cgroup allows (the standard nodes, ptys) after ours.
 *
 * Settings: "allowedDevices" (extra nodes, each "c|b MAJOR:MINOR /dev/PATH",
 * allowed both as linux.devices entries and as device cgroup rules).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hardrun/cleanup.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

struct hr_dev {
	char type; /* 'c', 'b', 'p' ('u' is folded into 'c') */
	int64_t major, minor;
	char *path;
};

/*
 * The nodes every runtime creates itself.  Left out on purpose: /dev/console
 * (char 5:1 is the host's console; runtimes bind the container's pty there
 * without a device entry), /dev/fuse and /dev/net/tun (kernel attack surface
 * most containers never use; a profile may list them in allowedDevices).
 */
static const struct hr_dev dev_defaults[] = {
    {'c', 1, 3, "/dev/null"},	{'c', 1, 5, "/dev/zero"},    {'c', 1, 7, "/dev/full"},
    {'c', 1, 8, "/dev/random"}, {'c', 1, 9, "/dev/urandom"}, {'c', 5, 0, "/dev/tty"},
    {'c', 5, 2, "/dev/ptmx"},
};
#define N_DEFAULTS (sizeof(dev_defaults) / sizeof(dev_defaults[0]))
#define PTS_MAJOR  136
/* /dev/net/tun: Docker's default cgroup rules allow it; creating an interface
 * still needs CAP_NET_ADMIN over a network namespace, so the cgroup allow
 * alone is harmless, but the node is not created by default. */
#define TUN_MAJOR 10
#define TUN_MINOR 200

struct devices_settings {
	struct hr_dev *allowed;
	size_t n_allowed;
};

static void devices_free(void *settings)
{
	struct devices_settings *s = settings;
	if (!s)
		return;
	for (size_t i = 0; i < s->n_allowed; i++)
		free(s->allowed[i].path);
	free(s->allowed);
	free(s);
}

static void devices_freep(struct devices_settings **s)
{
	devices_free(*s);
}

/* "c 10:229 /dev/fuse" */
static int parse_dev(const char *spec, struct hr_dev *d)
{
	char type = 0;
	long long maj = -1, min = -1;
	int end = 0;

	if (sscanf(spec, "%c %lld:%lld %n", &type, &maj, &min, &end) < 3 || end == 0)
		return -1;
	if ((type != 'c' && type != 'b') || maj < 0 || min < 0 || spec[end] != '/')
		return -1;
	d->type = type;
	d->major = maj;
	d->minor = min;
	d->path = hr_xstrdup(spec + end);
	return 0;
}

static int devices_parse(const struct hr_json *section, const char *file, void **settings,
			 struct hr_error **err)
{
	static const char *const keys[] = {"allowedDevices", NULL};
	_cleanup_(devices_freep) struct devices_settings *s = hr_xcalloc(1, sizeof(*s));
	_cleanup_strv_ char **allowed = NULL;

	if (!hr_json_is_null(section) &&
	    (hr_policy_check_keys(section, file, "devices", keys, err) < 0 ||
	     hr_policy_get_strv(section, "allowedDevices", &allowed, file, "devices", err) < 0))
		return -1;
	s->allowed = hr_xcalloc(hr_strv_len(allowed) + 1, sizeof(*s->allowed));
	for (char **p = allowed; p && *p; p++) {
		if (parse_dev(*p, &s->allowed[s->n_allowed]) < 0)
			return hr_error_set(
			    err, 0,
			    "%s: devices.allowedDevices: `%s` is not \"c|b MAJOR:MINOR "
			    "/dev/PATH\"",
			    file, *p);
		s->n_allowed++;
	}
	*settings = hr_steal_ptr(&s);
	return 0;
}

static bool dev_match(const struct hr_dev *a, char type, int64_t maj, int64_t min)
{
	return a->type == type && a->major == maj && a->minor == min;
}

/* Is (type, major, minor) one of the default or allowed devices? */
static const struct hr_dev *dev_known(const struct devices_settings *s, char type, int64_t maj,
				      int64_t min)
{
	for (size_t i = 0; i < N_DEFAULTS; i++)
		if (dev_match(&dev_defaults[i], type, maj, min))
			return &dev_defaults[i];
	for (size_t i = 0; i < s->n_allowed; i++)
		if (dev_match(&s->allowed[i], type, maj, min))
			return &s->allowed[i];
	return NULL;
}

/* An optional int64 member; absent/null yields def. */
static int get_i64(const struct hr_json *obj, const char *key, int64_t def, int64_t *out,
		   const char *path, struct hr_error **err)
{
	const struct hr_json *j = hr_json_get(obj, key);
	*out = def;
	if (hr_json_is_null(j))
		return 0;
	if (!hr_json_as_int64(j, out))
		return hr_error_set(err, 0, "config: `%s.%s` must be an integer", path, key);
	return 0;
}

/* Optional string member; absent/null yields def. */
static int get_str(const struct hr_json *obj, const char *key, const char *def, const char **out,
		   const char *path, struct hr_error **err)
{
	const struct hr_json *j = hr_json_get(obj, key);
	*out = def;
	if (hr_json_is_null(j))
		return 0;
	if (!(*out = hr_json_as_string(j)))
		return hr_error_set(err, 0, "config: `%s.%s` must be a string", path, key);
	return 0;
}

static char fold_type(const char *t)
{
	if (strcmp(t, "u") == 0 || strcmp(t, "c") == 0)
		return 'c';
	if (strcmp(t, "b") == 0)
		return 'b';
	if (strcmp(t, "p") == 0)
		return 'p';
	if (strcmp(t, "a") == 0)
		return 'a';
	return 0;
}

/* Check linux.devices; returns < 0 on a mistyped entry. */
static int check_nodes(struct hr_ctx *ctx, const struct devices_settings *s, struct hr_error **err)
{
	struct hr_json *arr = hr_spec_get(ctx->spec, "linux/devices", HR_JSON_ARRAY, false, err);
	if (!arr)
		return (err && *err) ? -1 : 0;
	for (size_t i = arr->arr.len; i-- > 0;) {
		struct hr_json *d = arr->arr.items[i];
		char path[48];
		snprintf(path, sizeof(path), "linux.devices[%zu]", i);
		if (hr_json_is_null(d))
			continue;
		if (d->type != HR_JSON_OBJECT)
			return hr_error_set(err, 0, "config: `%s` must be an object", path);
		const char *p = NULL, *t = NULL;
		int64_t maj = 0, min = 0;
		if (get_str(d, "path", "", &p, path, err) < 0 ||
		    get_str(d, "type", "", &t, path, err) < 0 ||
		    get_i64(d, "major", 0, &maj, path, err) < 0 ||
		    get_i64(d, "minor", 0, &min, path, err) < 0)
			return -1;
		const struct hr_dev *k = dev_known(s, fold_type(t), maj, min);
		if (k && strcmp(k->path, p) == 0)
			continue;
		_cleanup_free_ char *before = hr_json_brief(d);
		if (hr_report(ctx, path, before, NULL,
			      "device %s %s %lld:%lld is not an allowed node", p, t, (long long)maj,
			      (long long)min))
			hr_json_array_remove(arr, i);
	}
	return 0;
}

/* Access bits as runc reads a rule's access string. */
#define ACC_R 1u
#define ACC_W 2u
#define ACC_M 4u

struct cg_rule {
	bool allow;
	char type;	      /* 'a', 'c', 'b' */
	int64_t major, minor; /* < 0: wildcard */
	unsigned access;      /* ACC_* */
};

/* Each r, w and m grants; runc ignores every other letter ("rwa" is rw). */
static unsigned access_bits(const char *a)
{
	unsigned bits = 0;
	for (; *a; a++)
		bits |= *a == 'r' ? ACC_R : *a == 'w' ? ACC_W : *a == 'm' ? ACC_M : 0;
	return bits;
}

/*
 * A device cgroup rule as runc 1.1 reads it: type "" is "a", only "a", "b"
 * and "c" exist (runc refuses "u" and "p" here), an absent major or minor
 * is the wildcard, and the access string must not be empty.
 */
static int read_cg_rule(const struct hr_json *r, const char *path, struct cg_rule *out,
			struct hr_error **err)
{
	const struct hr_json *aj = hr_json_get(r, "allow");
	const char *t = NULL, *access = NULL;

	if (!hr_json_is_null(aj) && aj->type != HR_JSON_BOOL)
		return hr_error_set(err, 0, "config: `%s.allow` must be a bool", path);
	out->allow = !hr_json_is_null(aj) && aj->boolean;
	if (get_str(r, "type", "", &t, path, err) < 0 ||
	    get_i64(r, "major", -1, &out->major, path, err) < 0 ||
	    get_i64(r, "minor", -1, &out->minor, path, err) < 0 ||
	    get_str(r, "access", "", &access, path, err) < 0)
		return -1;
	if (!*t)
		t = "a";
	if (strcmp(t, "a") && strcmp(t, "b") && strcmp(t, "c"))
		return hr_error_set(err, 0, "config: `%s.type`: invalid cgroup device type \"%s\"",
				    path, t);
	if (!*access)
		return hr_error_set(err, 0, "config: `%s.access` must not be empty", path);
	out->type = t[0];
	out->access = access_bits(access);
	return 0;
}

/*
 * Nodes the platforms' default rules name that the container never needs
 * through the cgroup: /dev/console (5:1, the host's console; the runtime
 * binds the container's own pty there) and /dev/net/tun (10:200; a profile
 * lists it in allowedDevices to have it).  Docker sends both on every
 * container, so they are dropped without refusing it, unless the profile's
 * allowedDevices names them.
 */
static bool cg_platform_default(const struct cg_rule *r)
{
	return r->allow && r->type == 'c' &&
	       ((r->major == 5 && r->minor == 1) ||
		(r->major == TUN_MAJOR && r->minor == TUN_MINOR));
}

/* Does an allow rule only let in what the defaults already let in? */
static bool cg_rule_harmless(const struct devices_settings *s, const struct cg_rule *r)
{
	if (!r->allow || (r->access & (ACC_R | ACC_W)) == 0)
		return true; /* denials, and mknod alone (the node still needs rw) */
	if (r->type == 'c' && r->major == PTS_MAJOR)
		return true; /* the container's own ptys */
	return r->type != 'a' && r->major >= 0 && r->minor >= 0 &&
	       dev_known(s, r->type, r->major, r->minor);
}

static struct hr_json *cg_json(bool allow, char type, int64_t maj, int64_t min, const char *access)
{
	struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
	char t[2] = {type, 0};
	hr_json_set(o, "allow", hr_json_new_bool(allow));
	if (type != 'a') {
		hr_json_set(o, "type", hr_json_new_string(t));
		hr_json_set(o, "major", hr_json_new_int(maj));
		hr_json_set(o, "minor", hr_json_new_int(min));
	}
	hr_json_set(o, "access", hr_json_new_string(access));
	return o;
}

static struct hr_json *cg_default_list(const struct devices_settings *s)
{
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY);
	hr_json_append(arr, cg_json(false, 'a', -1, -1, "rwm"));
	for (size_t i = 0; i < N_DEFAULTS; i++)
		hr_json_append(
		    arr, cg_json(true, 'c', dev_defaults[i].major, dev_defaults[i].minor, "rwm"));
	for (size_t i = 0; i < s->n_allowed; i++)
		hr_json_append(arr, cg_json(true, s->allowed[i].type, s->allowed[i].major,
					    s->allowed[i].minor, "rwm"));
	return arr;
}

static bool is_deny_all(const struct cg_rule *r)
{
	return !r->allow && r->type == 'a' && r->access == (ACC_R | ACC_W | ACC_M);
}

static int check_cgroup(struct hr_ctx *ctx, const struct devices_settings *s, struct hr_error **err)
{
	struct hr_json *res = hr_spec_get(ctx->spec, "linux/resources", HR_JSON_OBJECT, false, err);
	if (!res)
		return (err && *err) ? -1 : 0;
	struct hr_json *arr = hr_spec_get(res, "devices", HR_JSON_ARRAY, false, err);
	if (!arr)
		return (err && *err) ? -1 : 0;

	bool allow_all = false, starts_deny = false;
	for (size_t i = 0; i < arr->arr.len; i++) {
		struct cg_rule r;
		char path[64];
		snprintf(path, sizeof(path), "linux.resources.devices[%zu]", i);
		if (arr->arr.items[i]->type != HR_JSON_OBJECT)
			return hr_error_set(err, 0, "config: `%s` must be an object", path);
		if (read_cg_rule(arr->arr.items[i], path, &r, err) < 0)
			return -1;
		if (i == 0)
			starts_deny = is_deny_all(&r);
		/* runc turns any "a" allow into allow-all, whatever its access. */
		if (r.allow && r.type == 'a')
			allow_all = true;
	}
	if (allow_all) {
		/* One finding for the list: an allow-all anywhere undoes every
		 * rule before it, so no single-rule edit is a fix. */
		_cleanup_free_ char *before = hr_json_brief(arr);
		struct hr_json *repl = cg_default_list(s);
		_cleanup_free_ char *after = hr_json_brief(repl);
		if (hr_report(ctx, "linux.resources.devices", before, after,
			      "device cgroup allows every device"))
			hr_json_set(res, "devices", repl);
		else
			hr_json_free(repl);
		return 0;
	}
	for (size_t i = arr->arr.len; i-- > 0;) {
		struct cg_rule r;
		char path[64];
		snprintf(path, sizeof(path), "linux.resources.devices[%zu]", i);
		if (read_cg_rule(arr->arr.items[i], path, &r, err) < 0)
			return -1;
		_cleanup_free_ char *before = hr_json_brief(arr->arr.items[i]);
		if (cg_platform_default(&r) && !dev_known(s, r.type, r.major, r.minor)) {
			enum hr_action a =
			    ctx->cur_action == HR_ACTION_WARN ? HR_ACTION_WARN : HR_ACTION_FIX;
			hr_report_as(ctx, a, path, before, NULL,
				     "device cgroup rule for /dev/console or /dev/net/tun dropped");
			if (a == HR_ACTION_FIX)
				hr_json_array_remove(arr, i);
			continue;
		}
		if (cg_rule_harmless(s, &r))
			continue;
		if (hr_report(
			ctx, path, before, NULL,
			"device cgroup rule allows access to devices outside the default set"))
			hr_json_array_remove(arr, i);
	}
	if (!starts_deny && arr->arr.len > 0) {
		/* Without a leading deny-all, what the rules add to depends on
		 * the parent cgroup, which may allow everything. */
		if (hr_report(ctx, "linux.resources.devices[0]", NULL,
			      "{\"allow\":false,\"access\":\"rwm\"}",
			      "device cgroup rules do not start by denying every device")) {
			hr_json_append(arr, cg_json(false, 'a', -1, -1, "rwm"));
			struct hr_json *first = arr->arr.items[arr->arr.len - 1];
			memmove(arr->arr.items + 1, arr->arr.items,
				(arr->arr.len - 1) * sizeof(*arr->arr.items));
			arr->arr.items[0] = first;
		}
	}
	return 0;
}

static int devices_apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	if (check_nodes(ctx, settings, err) < 0 || check_cgroup(ctx, settings, err) < 0)
		return -1;
	return 0;
}

const struct hr_rule hr_rule_devices = {
    .name = "devices",
    .parse = devices_parse,
    .free_settings = devices_free,
    .apply = devices_apply,
    .apply_process = NULL,
};
