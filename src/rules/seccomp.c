/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp: every container runs under a syscall filter.  A config with no
 * profile, or one that allows everything (what `--security-opt
 * seccomp=unconfined` and many Kubernetes pods send), gets the default
 * profile.  A config that brings its own keeps it, minus the never-allowed
 * syscalls in any rule that can let a call through; when its default action
 * allows, those syscalls get an explicit deny.
 *
 * Names are compared the way runc will use them: as C strings (cut at a NUL
 * byte) and by syscall number on every architecture the filter covers, so a
 * second spelling of a forbidden call is caught as well.
 */
#include <errno.h>
#include <seccomp.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/rules.h"
#include "hardrun/profile.h"
#include "hardrun/seccomp.h"
#include "hardrun/util.h"
#include "seccomp-int.h"

struct seccomp_settings {
	char *profile; /* file in policy->seccomp_dir, or an absolute path */
	char **never;  /* extra never-allowed syscalls from the policy */
	bool allow_custom;
	bool no_setid;		/* seccomp-setid.c */
	struct hr_json *loaded; /* the profile, read once per process */
};

static void seccomp_free(void *p)
{
	struct seccomp_settings *s = p;
	if (!s)
		return;
	free(s->profile);
	hr_strv_free(s->never);
	hr_json_free(s->loaded);
	free(s);
}

static int seccomp_parse(const struct hr_json *section, const char *file, void **settings,
			 struct hr_error **err)
{
	static const char *const keys[] = {"profile", "neverAllowed", "allowCustom", "noSetid",
					   NULL};
	struct seccomp_settings *s = hr_xcalloc(1, sizeof(*s));

	s->allow_custom = true;
	if (!hr_json_is_null(section) &&
	    (hr_policy_check_keys(section, file, "seccomp", keys, err) < 0 ||
	     hr_policy_get_string(section, "profile", &s->profile, file, "seccomp", err) < 0 ||
	     hr_policy_get_strv(section, "neverAllowed", &s->never, file, "seccomp", err) < 0 ||
	     hr_policy_get_bool(section, "allowCustom", &s->allow_custom, file, "seccomp", err) <
		 0 ||
	     hr_policy_get_bool(section, "noSetid", &s->no_setid, file, "seccomp", err) < 0))
		goto fail;
	for (size_t i = 0; s->never && s->never[i]; i++)
		if (!hr_seccomp_syscall_known(s->never[i])) {
			hr_error_set(
			    err, 0,
			    "%s: seccomp.neverAllowed: syscall `%s` is unknown to libseccomp", file,
			    s->never[i]);
			goto fail;
		}
	if (!s->profile)
		s->profile = hr_xstrdup("default.json");
	if (s->profile[0] != '/' && strchr(s->profile, '/')) {
		hr_error_set(
		    err, 0, "%s: seccomp.profile: `%s` is neither a file name nor an absolute path",
		    file, s->profile);
		goto fail;
	}
	*settings = s;
	return 0;
fail:
	seccomp_free(s);
	return -1;
}

/*
 * x32 code runs only on a kernel built with CONFIG_X86_X32_ABI and not
 * booted with syscall.x32=n; elsewhere the kernel fails every x32 syscall
 * with ENOSYS whatever a filter allows.  There an x32 branch gives a
 * container nothing, and compiling it is the largest part of what runc pays
 * for the profile at each start (docs/performance.md).  Without the branch
 * an x32 call is killed by the filter (an architecture it does not list)
 * instead of failing: no x32 call succeeds either way.  Probed only while
 * hardrun runs without a filter of its own, which might kill it for that.
 */
static bool kernel_runs_x32(void)
{
#ifdef __x86_64__
	char status[8192];
	ssize_t n = hr_read_small_at(AT_FDCWD, "/proc/self/status", status, sizeof(status));
	const char *mode = n > 0 ? strstr(status, "\nSeccomp:\t") : NULL;

	if (!mode || mode[10] != '0')
		return true;
	errno = 0;
	return !(syscall(0x40000000L | SYS_getpid) < 0 && errno == ENOSYS);
#else
	return true;
#endif
}

/*
 * A filter carries a branch per listed architecture; on x86_64 only x86_64,
 * x86 and x32 code can run (aarch64: aarch64 and arm), so the others only
 * make every syscall of the container pay for a longer program.  Profiles
 * for other hosts are left as they are.
 */
static void native_arches_only(struct hr_json *profile)
{
	const char *x86_64[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
				kernel_runs_x32() ? "SCMP_ARCH_X32" : NULL, NULL};
	static const char *const aarch64[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
	uint32_t native = seccomp_arch_native();
	const char *const *keep = native == SCMP_ARCH_X86_64	? x86_64
				  : native == SCMP_ARCH_AARCH64 ? aarch64
								: NULL;
	struct hr_json *arches = hr_json_get(profile, "architectures");
	if (!keep || !arches || arches->type != HR_JSON_ARRAY)
		return;
	for (size_t i = arches->arr.len; i-- > 0;) {
		const char *a = hr_json_as_string(arches->arr.items[i]);
		bool ok = false;
		for (size_t k = 0; a && keep[k]; k++)
			ok |= strcmp(a, keep[k]) == 0;
		if (!ok)
			hr_json_array_remove(arches, i);
	}
}

/* The profile's tree, read and parsed once however many configs use it. */
static const struct hr_json *
shipped_profile(const struct hr_ctx *ctx, const struct seccomp_settings *s, struct hr_error **err)
{
	const char *dir = HR_DATADIR "/seccomp";
	struct seccomp_settings *m = (struct seccomp_settings *)s;

	if (m->loaded)
		return m->loaded;
	if (ctx->policy && ctx->policy->seccomp_dir)
		dir = ctx->policy->seccomp_dir;
	if (hr_seccomp_load_profile(dir, s->profile, &m->loaded, err) < 0)
		return NULL;
	native_arches_only(m->loaded);
	/* the profile the policy means: configs are compared with this one */
	if (s->no_setid && hr_seccomp_forbid_setid(m->loaded) < 0) {
		hr_error_set(err, 0, "seccomp profile `%s`: syscalls is not an array", s->profile);
		hr_json_free(hr_steal_ptr(&m->loaded));
		return NULL;
	}
	return m->loaded;
}

static int load_profile(const struct hr_ctx *ctx, const struct seccomp_settings *s,
			struct hr_json **out, struct hr_error **err)
{
	const struct hr_json *p = shipped_profile(ctx, s, err);
	if (!p)
		return -1;
	*out = hr_json_clone(p);
	return 0;
}

/* Put the profile in place; the container never runs with what it had. */
static int inject(struct hr_ctx *ctx, const struct seccomp_settings *s, struct hr_error **err)
{
	struct hr_json *def = NULL;
	struct hr_json *linux_obj;

	if (load_profile(ctx, s, &def, err) < 0)
		return -1;
	linux_obj = hr_json_ensure_object(ctx->spec, "linux");
	if (!linux_obj) {
		hr_json_free(def);
		return hr_error_set(err, 0, "linux: not an object");
	}
	hr_json_set(linux_obj, "seccomp", def);
	return 0;
}

static bool rule_denies(const struct hr_json *rule)
{
	return !hr_seccomp_action_allows(hr_json_as_string(hr_json_get(rule, "action")));
}

static bool default_allows(const struct hr_json *sc)
{
	return hr_seccomp_action_allows(hr_json_as_string(hr_json_get(sc, "defaultAction")));
}

/* Allows by default and denies nothing: no filter worth the name. */
static bool allows_all(const struct hr_json *sc)
{
	const char *def = hr_json_as_string(hr_json_get(sc, "defaultAction"));
	const struct hr_json *calls = hr_json_get(sc, "syscalls");

	if (!def || (strcmp(def, "SCMP_ACT_ALLOW") != 0 && strcmp(def, "SCMP_ACT_LOG") != 0))
		return false;
	for (size_t i = 0; calls && calls->type == HR_JSON_ARRAY && i < calls->arr.len; i++)
		if (rule_denies(calls->arr.items[i]))
			return false;
	return true;
}

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define NS_FLAGS 0x7E020000ULL

/* One pass over a custom profile. */
struct scrub {
	struct hr_ctx *ctx;
	struct hr_json *sc;
	struct hr_seccomp_set *never;
	struct hr_seccomp_set *clones; /* [0] clone, [1] clone3 */
	bool clone_removed, clone3_removed;
};

/*
 * Does an allow rule for clone keep every CLONE_NEW* flag clear?  Only if it
 * has a masked check of them on the flags argument and no other check on
 * that argument: runc ORs conditions that share an index.
 */
static bool clone_guarded(const struct hr_json *rule)
{
	const struct hr_json *args = hr_json_get(rule, "args");
	struct hr_seccomp_arg arg;
	bool guard = false;
	size_t on_flags = 0;

	for (size_t i = 0; args && args->type == HR_JSON_ARRAY && i < args->arr.len; i++) {
		if (hr_seccomp_arg_read(args->arr.items[i], &arg, NULL) < 0 || arg.index != 0)
			continue;
		on_flags++;
		if (arg.op == SCMP_CMP_MASKED_EQ && (arg.value & NS_FLAGS) == NS_FLAGS &&
		    (arg.value_two & NS_FLAGS) == 0)
			guard = true;
	}
	return guard && on_flags == 1;
}

/*
 * unshare and setns are never allowed; clone and clone3 reach the same
 * namespace code.  clone3 passes its flags in memory no filter can read.
 */
static bool clone_must_go(struct scrub *x, const struct hr_json *rule, const char *name,
			  const char *path)
{
	long c = hr_seccomp_set_find(x->clones, name);

	if (c == 1 &&
	    hr_report(x->ctx, path, name, "ENOSYS",
		      "syscall %s can create namespaces and its flags cannot be checked", name))
		return x->clone3_removed = true;
	if (c == 0 && !clone_guarded(rule) &&
	    hr_report(x->ctx, path, name, "CLONE_NEW* flags refused",
		      "syscall %s is allowed with namespace-creating flags", name))
		return x->clone_removed = true;
	return false;
}

/*
 * Returns true when names[j] must go (and reports why).  Unusable names in a
 * deny rule of a filter that allows by default cannot be repaired: runc
 * would skip them and the call they meant to stop would run.
 */
static bool name_must_go(struct scrub *x, const struct hr_json *rule, const struct hr_json *n,
			 const char *path)
{
	const char *name = n->s.str;
	const char *never =
	    hr_seccomp_set_name(x->never, (size_t)hr_seccomp_set_find(x->never, name));
	bool malformed = strlen(name) != n->s.len || !hr_seccomp_syscall_known(name);

	if (never && !rule_denies(rule))
		return hr_report(x->ctx, path, name, NULL,
				 strcmp(never, name) == 0
				     ? "syscall %s is never allowed in a container%s"
				     : "syscall %s is never allowed in a container (it is %s)",
				 name, strcmp(never, name) == 0 ? "" : never);
	if (!malformed)
		return !rule_denies(rule) && clone_must_go(x, rule, name, path);
	if (rule_denies(rule) && default_allows(x->sc)) {
		hr_report_unfixable(x->ctx, path, name,
				    "syscall name \"%s\" is unknown to libseccomp or malformed: "
				    "the deny rule cannot be enforced",
				    name);
		return false;
	}
	return hr_report(
	    x->ctx, path, name, NULL,
	    "syscall name \"%s\" is unknown to libseccomp or malformed: dropped from the rule",
	    name);
}

static void scrub_rules(struct scrub *x)
{
	struct hr_json *calls = hr_json_get(x->sc, "syscalls");
	size_t orig = 0;

	for (size_t i = 0; calls && calls->type == HR_JSON_ARRAY && i < calls->arr.len; orig++) {
		struct hr_json *rule = calls->arr.items[i];
		struct hr_json *names = hr_json_get(rule, "names");
		size_t orig_j = 0, had = names->arr.len;

		for (size_t j = 0; j < names->arr.len; orig_j++) {
			char path[96];

			snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].names[%zu]", orig,
				 orig_j);
			if (name_must_go(x, rule, names->arr.items[j], path))
				hr_json_array_remove(names, j);
			else
				j++;
		}
		/* a rule we emptied would otherwise mean nothing, or trip a runtime */
		if (had > 0 && names->arr.len == 0)
			hr_json_array_remove(calls, i);
		else
			i++;
	}
}

/* Mark the members of `never` stopped by a deny rule without conditions. */
static void mark_denied(const struct hr_json *sc, const struct hr_seccomp_set *never, bool *denied)
{
	const struct hr_json *calls = hr_json_get(sc, "syscalls");

	for (size_t i = 0; calls && calls->type == HR_JSON_ARRAY && i < calls->arr.len; i++) {
		const struct hr_json *r = calls->arr.items[i];
		const struct hr_json *args = hr_json_get(r, "args");
		const struct hr_json *names = hr_json_get(r, "names");

		if (!rule_denies(r) || (!hr_json_is_null(args) && args->arr.len > 0))
			continue;
		for (size_t j = 0; j < names->arr.len; j++) {
			long k = hr_seccomp_set_find(never, names->arr.items[j]->s.str);
			if (k >= 0)
				denied[k] = true;
		}
	}
}

/* A filter that allows by default must still stop the never-allowed list. */
static int deny_never(struct hr_ctx *ctx, const struct hr_seccomp_set *never, struct hr_json *sc)
{
	_cleanup_json_ struct hr_json *names = hr_json_new(HR_JSON_ARRAY);
	_cleanup_free_ char *after = NULL;
	_cleanup_free_ bool *denied = NULL;
	struct hr_json *rule, *calls;
	size_t n = hr_seccomp_set_len(never);

	if (!default_allows(sc))
		return 0;
	denied = hr_xcalloc(n + 1, sizeof(*denied));
	mark_denied(sc, never, denied);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t k = 0; k < names->arr.len && !dup; k++)
			dup =
			    strcmp(names->arr.items[k]->s.str, hr_seccomp_set_name(never, i)) == 0;
		if (!denied[i] && !dup)
			hr_json_append(names, hr_json_new_string(hr_seccomp_set_name(never, i)));
	}
	if (names->arr.len == 0)
		return 0;
	after = hr_json_brief(names);
	if (!hr_report(ctx, "linux.seccomp.syscalls", NULL, after,
		       "default action %s lets %zu never-allowed syscalls run",
		       hr_json_as_string(hr_json_get(sc, "defaultAction")), names->arr.len))
		return 0;
	rule = hr_json_new(HR_JSON_OBJECT);
	hr_json_set(rule, "names", hr_steal_ptr(&names));
	hr_json_set(rule, "action", hr_json_new_string("SCMP_ACT_ERRNO"));
	hr_json_set(rule, "errnoRet", hr_json_new_int(EPERM));
	calls = hr_json_ensure_array(sc, "syscalls");
	if (!calls) {
		hr_json_free(rule);
		return -1;
	}
	hr_json_append(calls, rule);
	return 0;
}

static void append_rule(struct hr_json *sc, const char *name, const char *action, int errno_ret,
			uint64_t mask, uint64_t value)
{
	struct hr_json *rule = hr_json_new(HR_JSON_OBJECT);
	struct hr_json *names = hr_json_new(HR_JSON_ARRAY);
	struct hr_json *calls = hr_json_ensure_array(sc, "syscalls");

	hr_json_append(names, hr_json_new_string(name));
	hr_json_set(rule, "names", names);
	hr_json_set(rule, "action", hr_json_new_string(action));
	if (errno_ret >= 0)
		hr_json_set(rule, "errnoRet", hr_json_new_int(errno_ret));
	if (mask) {
		struct hr_json *args = hr_json_new(HR_JSON_ARRAY);
		struct hr_json *arg = hr_json_new(HR_JSON_OBJECT);

		hr_json_set(arg, "index", hr_json_new_uint(0));
		hr_json_set(arg, "value", hr_json_new_uint(mask));
		hr_json_set(arg, "valueTwo", hr_json_new_uint(value));
		hr_json_set(arg, "op", hr_json_new_string("SCMP_CMP_MASKED_EQ"));
		hr_json_append(args, arg);
		hr_json_set(rule, "args", args);
	}
	if (calls)
		hr_json_append(calls, rule);
	else
		hr_json_free(rule);
}

/*
 * Put back what the removals of clone and clone3 took, checked this time,
 * and when the default allows, stop namespace flags explicitly.  clone3 gets
 * ENOSYS, the one answer on which glibc and Go fall back to clone.
 */
static void guard_clone(struct scrub *x)
{
	bool denied[2] = {false, false};
	bool allows = default_allows(x->sc);

	mark_denied(x->sc, x->clones, denied);
	if (allows && (!denied[0] || !denied[1]) &&
	    !hr_report(x->ctx, "linux.seccomp.syscalls", NULL,
		       "clone with CLONE_NEW*: EPERM, clone3: ENOSYS",
		       "default action %s lets clone and clone3 create namespaces",
		       hr_json_as_string(hr_json_get(x->sc, "defaultAction"))))
		return;
	if (x->clone3_removed || (allows && !denied[1]))
		append_rule(x->sc, "clone3", "SCMP_ACT_ERRNO", ENOSYS, 0, 0);
	if (x->clone_removed && !allows)
		append_rule(x->sc, "clone", "SCMP_ACT_ALLOW", -1, NS_FLAGS, 0);
	for (uint64_t bit = 1; allows && !denied[0] && bit <= NS_FLAGS; bit <<= 1)
		if (bit & NS_FLAGS)
			append_rule(x->sc, "clone", "SCMP_ACT_ERRNO", EPERM, bit, bit);
}

/*
 * runc connects to the listener as root before the container runs: a
 * runtime's socket there is refused.  Notify rules without a listener are
 * the runtime's own error and stay so.
 */
static void check_listener(struct hr_ctx *ctx, const struct hr_json *sc)
{
	const char *listener = hr_json_as_string(hr_json_get(sc, "listenerPath"));

	if (listener && *listener) {
		_cleanup_free_ char *why = hr_seccomp_listener_refusal(listener);
		if (why)
			hr_report_unfixable(ctx, "linux.seccomp.listenerPath", listener,
					    "seccomp listener refused: %s", why);
		else
			hr_report_as(ctx, HR_ACTION_WARN, "linux.seccomp.listenerPath", listener,
				     NULL,
				     "syscall decisions are handed to an agent outside the "
				     "container");
	} else if (hr_seccomp_has_notify(sc)) {
		hr_report_as(ctx, HR_ACTION_WARN, "linux.seccomp.listenerPath", NULL, NULL,
			     "SCMP_ACT_NOTIFY rules without a listener: the runtime will "
			     "refuse them");
	}
}

/*
 * SECCOMP_FILTER_FLAG_SPEC_ALLOW keeps the kernel from turning on the
 * Spectre-v4 (speculative store bypass) mitigation that installing a
 * filter otherwise brings: the container's code could read across
 * speculation what the mitigation hides.  Removed (fix) or refused.
 */
static void check_flags(struct hr_ctx *ctx, struct hr_json *sc)
{
	struct hr_json *flags = hr_json_get(sc, "flags");

	if (!flags || flags->type != HR_JSON_ARRAY)
		return;
	for (size_t i = 0; i < flags->arr.len;) {
		const char *f = hr_json_as_string(flags->arr.items[i]);
		if (!f || strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") != 0 ||
		    !hr_report(ctx, "linux.seccomp.flags", f, NULL,
			       "the flag turns off the Spectre-v4 mitigation for the container"))
			i++;
		else
			hr_json_array_remove(flags, i);
	}
}

/*
 * An allow-everything profile with notify rules: the default profile with
 * those rules on top.  Returns the profile to scrub, NULL after a refusal
 * or a report that kept the config as it was.
 */
static struct hr_json *notify_on_default(struct hr_ctx *ctx, const struct seccomp_settings *s,
					 struct hr_json *sc, const char *before,
					 struct hr_error **err)
{
	const struct hr_json *def = shipped_profile(ctx, s, err);
	if (!def)
		return NULL;
	if (!hr_report(ctx, "linux.seccomp.defaultAction", before, s->profile,
		       "the seccomp profile allows every syscall: its notify rules are kept on "
		       "the default profile"))
		return NULL;
	struct hr_json *merged = hr_seccomp_notify_onto(sc, def);
	hr_json_set(hr_json_get(ctx->spec, "linux"), "seccomp", merged);
	return merged;
}

/* Replace the config's profile with ours when the report asks for a fix. */
static int replace_if(struct hr_ctx *ctx, const struct seccomp_settings *s, bool fix,
		      struct hr_error **err)
{
	return fix ? inject(ctx, s, err) : 0;
}

static int seccomp_apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct seccomp_settings *s = settings;
	struct hr_json *sc = hr_json_get_path(ctx->spec, "linux/seccomp");
	struct hr_error *verr = NULL;
	_cleanup_free_ char *before = NULL;
	size_t denials = ctx->findings.denials;
	static const char *const clones[] = {"clone", "clone3", NULL};
	const struct hr_json *arches = hr_json_get(sc, "architectures");
	struct scrub x = {0};
	int r;

	if (ctx->entry != HR_ENTRY_CREATE)
		return 0;
	if (hr_json_is_null(sc))
		return replace_if(ctx, s,
				  hr_report(ctx, "linux.seccomp", NULL, s->profile,
					    "no seccomp profile: every syscall is reachable"),
				  err);
	if (hr_seccomp_check_structure(sc, &verr) < 0) {
		hr_report_unfixable(ctx, "linux.seccomp", NULL, "invalid seccomp profile: %s",
				    verr->msg);
		hr_error_clear(&verr);
		return 0;
	}
	check_listener(ctx, sc);
	check_flags(ctx, sc);
	before = hr_json_brief(hr_json_get(sc, "defaultAction"));
	if (allows_all(sc) && s->allow_custom && hr_seccomp_has_notify(sc)) {
		if (!(sc = notify_on_default(ctx, s, sc, before, err)))
			return err && *err ? -1 : 0;
		arches = hr_json_get(sc, "architectures"); /* the old profile is gone */
	} else if (allows_all(sc))
		return replace_if(ctx, s,
				  hr_report(ctx, "linux.seccomp.defaultAction", before, s->profile,
					    "the seccomp profile allows every syscall"),
				  err);
	if (!s->allow_custom) {
		_cleanup_json_ struct hr_json *def = NULL;

		if (load_profile(ctx, s, &def, err) < 0)
			return -1;
		if (!hr_json_equal(def, sc))
			return replace_if(
			    ctx, s,
			    hr_report(ctx, "linux.seccomp", NULL, s->profile,
				      "the policy does not allow a custom seccomp profile"),
			    err);
		return 0;
	}
	x.ctx = ctx;
	x.sc = sc;
	x.never = hr_seccomp_set_new(hr_seccomp_never_allowed, s->never, arches);
	x.clones = hr_seccomp_set_new(clones, NULL, arches);
	scrub_rules(&x);
	r = deny_never(ctx, x.never, sc);
	if (r == 0)
		guard_clone(&x);
	hr_seccomp_set_free(x.never);
	hr_seccomp_set_free(x.clones);
	if (r == 0 && s->no_setid && !hr_json_equal(sc, shipped_profile(ctx, s, err))) {
		_cleanup_json_ struct hr_json *want = hr_json_clone(sc);
		r = hr_seccomp_forbid_setid(want);
		if (r == 0 && !hr_json_equal(want, sc) &&
		    hr_report(ctx, "linux.seccomp.syscalls", NULL, "noSetid",
			      "the profile lets container root make setuid, setgid or "
			      "file-capability files"))
			r = hr_seccomp_forbid_setid(sc);
	}
	if (r < 0)
		return hr_error_set(err, 0, "linux.seccomp.syscalls: not an array");
	/* what reaches the runtime must be a filter libseccomp accepts in full */
	if (ctx->cur_action == HR_ACTION_FIX && ctx->findings.denials == denials &&
	    hr_seccomp_validate(sc, &verr) < 0) {
		hr_report_unfixable(ctx, "linux.seccomp", NULL, "invalid seccomp profile: %s",
				    verr->msg);
		hr_error_clear(&verr);
	}
	return 0;
}

const struct hr_rule hr_rule_seccomp = {
    .name = "seccomp",
    .parse = seccomp_parse,
    .free_settings = seccomp_free,
    .apply = seccomp_apply,
    .apply_process = NULL,
};
