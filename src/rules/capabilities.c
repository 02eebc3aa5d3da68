/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capabilities: every capability set of the process (bounding, effective,
 * inheritable, permitted, ambient) is intersected with the profile's
 * allowlist minus the never-allowed set.
 *
 * Names are matched the way the most permissive lower runtime would match
 * them, so a spelling one runtime ignores cannot be granted by another:
 * runc 1.1 only knows the exact "CAP_SYS_ADMIN" and ignores anything else,
 * but crun resolves names with libcap's cap_from_name(), which takes
 * lower-case names and plain numbers.  So "cap_sys_admin", "SYS_ADMIN" and
 * "21" are all CAP_SYS_ADMIN here and are rewritten to the canonical form.
 * A name that matches no capability at all is refused (unfixable): runc
 * would silently drop it, but a runtime with a newer capability table might
 * not, and hardrun cannot tell what it would grant.
 *
 * One rule for what the engine asked for: a set within the engines' own
 * default set (Docker's, which containerd's and CRI's equal and podman's and
 * `runc spec`'s are subsets of) is what every container gets without a
 * flag, so what the profile does not allow of it (Docker's NET_RAW) is cut
 * by the rule's action and audited.  A capability beyond that set was asked
 * for by someone (`--privileged`, `--cap-add`, a pod's securityContext): if
 * the profile does not allow it the container is refused, even under `fix`,
 * with one finding naming the flag to drop.  Silently running without what
 * was asked for only moves the failure into the workload.
 *
 * Settings: "allow" (capability names; default Docker's set minus NET_RAW),
 * "neverAllowed" (names added to the built-in never-allowed set; a name in
 * both lists is a policy error).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hardrun/cleanup.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
#define N_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))

/*
 * Never allowed, whatever the profile says: each is either a host-wide
 * escape on its own (module loading, raw I/O, mount and friends, ptrace of
 * anything reachable, open_by_handle_at, BPF and perf programs, MAC policy
 * changes) or acts on host-global state the kernel does not namespace
 * (clock, kernel log, process accounting, audit configuration, suspend and
 * alarm wakeups, the console, immutable flags, resource-limit overrides,
 * checkpoint/restore of arbitrary pids).  NET_ADMIN is namespaced, but only
 * harmless with a private network namespace, which not every profile forces.
 * Left out on purpose: SYS_NICE, IPC_OWNER, LEASE, NET_RAW (namespaced or
 * low impact; profiles simply leave them out of their allowlist).
 */
static const char *const never_builtin[] = {
    "SYS_ADMIN",	  "SYS_MODULE",	    "SYS_PTRACE",    "SYS_RAWIO",     "SYS_BOOT",
    "MAC_ADMIN",	  "MAC_OVERRIDE",   "NET_ADMIN",     "BPF",	      "PERFMON",
    "DAC_READ_SEARCH",	  "SYS_TIME",	    "SYSLOG",	     "SYS_PACCT",     "SYS_RESOURCE",
    "LINUX_IMMUTABLE",	  "WAKE_ALARM",	    "BLOCK_SUSPEND", "AUDIT_CONTROL", "AUDIT_READ",
    "CHECKPOINT_RESTORE", "SYS_TTY_CONFIG",
};

/* Docker's default set minus NET_RAW: the allowlist when a profile names none. */
static const char *const allow_default[] = {
    "CHOWN",   "DAC_OVERRIDE", "FSETID",	   "FOWNER",	 "MKNOD", "SETGID",	 "SETUID",
    "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",  "AUDIT_WRITE",
};

/* The engines' default set: Docker's, containerd's and CRI's (NET_RAW included). */
static const char *const engine_default[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",	 "FOWNER", "MKNOD",	  "NET_RAW",	"SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "KILL",   "AUDIT_WRITE", "SYS_CHROOT", "NET_BIND_SERVICE",
};

/*
 * Each set is filtered on its own: a capability named only in ambient (with
 * an empty inheritable set, as `runc spec` writes it) is still removed, since
 * what the kernel makes of an unpaired ambient entry depends on how the
 * runtime orders its prctl calls.
 */
static const char *const set_names[] = {"bounding", "effective", "inheritable", "permitted",
					"ambient"};
enum { N_SETS = 5 };

struct caps_settings {
	uint64_t allow;
	uint64_t never;
	uint64_t engine_default; /* engine_default[] as a mask */
};

/*
 * Resolve a capability name as permissively as any runtime would: optional
 * "CAP_" prefix, any case, or a decimal number.  Returns -1 when unknown.
 */
static int cap_lookup(const char *name)
{
	const char *n = name;

	if (hr_startswith(n, "CAP_"))
		n += 4;
	if (*n >= '0' && *n <= '9') {
		char *end = NULL;
		unsigned long v = strtoul(n, &end, 10);
		if (*end == '\0' && v < N_CAPS && strlen(n) <= 2)
			return (int)v;
		return -1;
	}
	for (size_t i = 0; i < N_CAPS; i++)
		if (strcasecmp(n, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

static char *cap_canonical(int cap)
{
	return hr_xasprintf("CAP_%s", cap_names[cap]);
}

static int names_to_mask(char *const *names, uint64_t *mask, const char *file, const char *key,
			 struct hr_error **err)
{
	for (char *const *p = names; p && *p; p++) {
		int c = cap_lookup(*p);
		if (c < 0)
			return hr_error_set(err, 0, "%s: capabilities.%s: unknown capability `%s`",
					    file, key, *p);
		*mask |= UINT64_C(1) << c;
	}
	return 0;
}

static int caps_parse(const struct hr_json *section, const char *file, void **settings,
		      struct hr_error **err)
{
	static const char *const keys[] = {"allow", "neverAllowed", NULL};
	_cleanup_strv_ char **allow = NULL;
	_cleanup_strv_ char **never = NULL;
	_cleanup_free_ struct caps_settings *s = hr_xcalloc(1, sizeof(*s));

	for (size_t i = 0; i < sizeof(never_builtin) / sizeof(never_builtin[0]); i++)
		s->never |= UINT64_C(1) << cap_lookup(never_builtin[i]);
	if (!hr_json_is_null(section)) {
		if (hr_policy_check_keys(section, file, "capabilities", keys, err) < 0 ||
		    hr_policy_get_strv(section, "allow", &allow, file, "capabilities", err) < 0 ||
		    hr_policy_get_strv(section, "neverAllowed", &never, file, "capabilities", err) <
			0)
			return -1;
	}
	if (allow) {
		if (names_to_mask(allow, &s->allow, file, "allow", err) < 0)
			return -1;
	} else {
		for (size_t i = 0; i < sizeof(allow_default) / sizeof(allow_default[0]); i++)
			s->allow |= UINT64_C(1) << cap_lookup(allow_default[i]);
	}
	if (names_to_mask(never, &s->never, file, "neverAllowed", err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(engine_default) / sizeof(engine_default[0]); i++)
		s->engine_default |= UINT64_C(1) << cap_lookup(engine_default[i]);
	if (s->allow & s->never) {
		int c = __builtin_ctzll(s->allow & s->never);
		return hr_error_set(err, 0,
				    "%s: capabilities.allow: CAP_%s is never allowed and cannot be "
				    "in the allowlist",
				    file, cap_names[c]);
	}
	*settings = hr_steal_ptr(&s);
	return 0;
}

static void caps_free(void *settings)
{
	free(settings);
}

static void append_names(char **buf, const char *label, uint64_t mask)
{
	if (!mask)
		return;
	char *old = *buf;
	char *names = NULL;
	for (size_t c = 0; c < N_CAPS; c++) {
		if (!(mask & (UINT64_C(1) << c)))
			continue;
		char *n = names ? hr_xasprintf("%s, CAP_%s", names, cap_names[c])
				: hr_xasprintf("CAP_%s", cap_names[c]);
		free(names);
		names = n;
	}
	*buf = hr_xasprintf("%s%s%s (%s)", old ? old : "", old ? "; " : "", names, label);
	free(old);
	free(names);
}

struct set_scan {
	uint64_t requested; /* every known capability named */
	bool rewrite;	    /* spelling or duplicates differ from canonical */
};

/* Read one set, reporting unknown names; an element of the wrong type is an error. */
static int scan_set(struct hr_ctx *ctx, const struct hr_json *arr, const char *path,
		    struct set_scan *out, struct hr_error **err)
{
	for (size_t i = 0; i < arr->arr.len; i++) {
		const char *name = hr_json_as_string(arr->arr.items[i]);
		if (!name)
			return hr_error_set(err, 0, "%s[%zu]: capability must be a string", path,
					    i);
		int c = cap_lookup(name);
		if (c < 0) {
			_cleanup_free_ char *item = hr_json_brief(arr->arr.items[i]);
			hr_report_unfixable(ctx, path, item,
					    "unknown capability name: hardrun cannot tell what a "
					    "runtime would grant for it");
			out->rewrite = true;
			continue;
		}
		uint64_t bit = UINT64_C(1) << c;
		_cleanup_free_ char *canon = cap_canonical(c);
		if ((out->requested & bit) || strcmp(canon, name) != 0)
			out->rewrite = true;
		out->requested |= bit;
	}
	return 0;
}

static struct hr_json *mask_to_array(uint64_t mask)
{
	struct hr_json *arr = hr_json_new(HR_JSON_ARRAY);
	for (size_t c = 0; c < N_CAPS; c++)
		if (mask & (UINT64_C(1) << c)) {
			_cleanup_free_ char *name = cap_canonical((int)c);
			hr_json_append(arr, hr_json_new_string(name));
		}
	return arr;
}

/* What filtering the sets did, reported once for all of them. */
struct caps_change {
	uint64_t removed; /* capabilities taken out of some set */
	char *sets;	  /* names of the sets changed, ", "-joined */
	bool renamed;	  /* spelling or duplicates rewritten */
	bool fixed;	  /* the spec was rewritten (action fix) */
};

static int check_set(struct hr_ctx *ctx, const struct caps_settings *s, struct hr_json *caps,
		     int set, const char *prefix, struct caps_change *ch, struct hr_error **err)
{
	struct hr_json *arr = hr_json_get(caps, set_names[set]);
	_cleanup_free_ char *path = hr_xasprintf("%s.%s", prefix, set_names[set]);
	struct set_scan scan = {0};

	if (hr_json_is_null(arr))
		return 0;
	if (arr->type != HR_JSON_ARRAY)
		return hr_error_set(err, 0, "%s: expected an array, got %s", path,
				    hr_json_type_name(arr->type));
	if (scan_set(ctx, arr, path, &scan, err) < 0)
		return -1;

	uint64_t keep = scan.requested & s->allow & ~s->never;
	if (keep == scan.requested && !scan.rewrite)
		return 0;
	ch->removed |= scan.requested & ~keep;
	char *sets =
	    hr_xasprintf("%s%s%s", ch->sets ? ch->sets : "", ch->sets ? ", " : "", set_names[set]);
	free(ch->sets);
	ch->sets = sets;
	if (ctx->cur_action == HR_ACTION_FIX) {
		hr_json_set(caps, set_names[set], mask_to_array(keep));
		ch->fixed = true;
	}
	return 0;
}

/*
 * One finding for every set changed: the capabilities taken out and where
 * from (an audit record per exec stays small).
 */
static void report_change(struct hr_ctx *ctx, const char *prefix, struct caps_change *ch)
{
	_cleanup_free_ char *names = NULL;
	_cleanup_free_ char *where = hr_xasprintf("%s.{%s}", prefix, ch->sets);

	if (!ch->sets)
		return;
	append_names(&names, "not in the profile's allowlist", ch->removed);
	if (ch->removed)
		hr_report(ctx, where, NULL, NULL, "capabilities %s: %s",
			  ch->fixed ? "removed" : "not allowed", names);
	else
		hr_report(ctx, where, NULL, NULL,
			  "capability names rewritten to canonical form, duplicates removed");
	free(ch->sets);
}

/* Every known capability named in any set (unknown names and bad types: later). */
static uint64_t requested_union(const struct hr_json *caps)
{
	uint64_t u = 0;
	for (int set = 0; set < N_SETS; set++) {
		const struct hr_json *arr = hr_json_get(caps, set_names[set]);
		for (size_t i = 0; arr && arr->type == HR_JSON_ARRAY && i < arr->arr.len; i++) {
			const char *n = hr_json_as_string(arr->arr.items[i]);
			int c = n ? cap_lookup(n) : -1;
			if (c >= 0)
				u |= UINT64_C(1) << c;
		}
	}
	return u;
}

/* "--cap-add A --cap-add B" for the capabilities of mask (exec: runc's --cap). */
static char *cap_add_flags(const char *flag, uint64_t mask)
{
	char *out = NULL;
	for (size_t c = 0; c < N_CAPS; c++) {
		if (!(mask & (UINT64_C(1) << c)))
			continue;
		char *n =
		    hr_xasprintf("%s%s%s %s", out ? out : "", out ? " " : "", flag, cap_names[c]);
		free(out);
		out = n;
	}
	return out;
}

/*
 * One refusal for the whole object, with the remedy: what was asked for
 * beyond the engine's default set (explicit), or under `deny` what the
 * profile does not allow of the default set.
 */
static void refuse_once(struct hr_ctx *ctx, const struct caps_settings *s, const char *prefix,
			uint64_t requested, uint64_t excess, uint64_t explicit)
{
	const char *prof = ctx->profile && ctx->profile->name ? ctx->profile->name : "this";
	_cleanup_free_ char *names = NULL;

	if (__builtin_popcountll(requested) >= 30 && (excess & s->never)) {
		hr_report_unfixable(ctx, prefix, NULL,
				    "the container asks for every capability (--privileged), "
				    "which hardrun never grants; remedy: drop --privileged and "
				    "add only what the program needs with --cap-add");
		return;
	}
	if (explicit) {
		append_names(&names,
			     (explicit & s->never) == explicit ? "never allowed"
							       : "not in the profile's allowlist",
			     explicit);
		_cleanup_free_ char *flags =
		    cap_add_flags(ctx->entry == HR_ENTRY_EXEC ? "--cap" : "--cap-add", explicit);
		hr_report_unfixable(ctx, prefix, NULL,
				    "asked for beyond the engine's default capabilities: %s; "
				    "remedy: drop %s%s",
				    names, flags,
				    (explicit & s->never) == explicit
					? ""
					: ", or use a profile whose allowlist has it");
		return;
	}
	append_names(&names, "not in the profile's allowlist", excess);
	_cleanup_free_ char *keep = cap_add_flags("--cap-add", s->allow & ~s->never);
	hr_report_unfixable(ctx, prefix, NULL,
			    "%s; remedy: --cap-drop ALL%s%s, or a profile that fixes instead of "
			    "refusing (profile `%s` refuses)",
			    names, keep ? " " : "", keep ? keep : "", prof);
}

static int caps_check(struct hr_ctx *ctx, const void *settings, const char *path,
		      const char *prefix, struct hr_error **err)
{
	const struct caps_settings *s = settings;

	/* A missing capabilities object means an empty set for every set. */
	struct hr_json *caps = hr_spec_get(ctx->spec, path, HR_JSON_OBJECT, false, err);
	if (!caps)
		return (err && *err) ? -1 : 0;
	uint64_t requested = requested_union(caps);
	uint64_t excess = requested & ~(s->allow & ~s->never);
	uint64_t explicit = excess & ~s->engine_default;
	if (excess && ctx->cur_action != HR_ACTION_WARN &&
	    (explicit || ctx->cur_action == HR_ACTION_DENY)) {
		refuse_once(ctx, s, prefix, requested, excess, explicit);
		return 0;
	}
	struct caps_change ch = {0};
	for (int set = 0; set < N_SETS; set++)
		if (check_set(ctx, s, caps, set, prefix, &ch, err) < 0) {
			free(ch.sets);
			return -1;
		}
	report_change(ctx, prefix, &ch);
	return 0;
}

/*
 * A CRI pod sandbox (the pause container) gets containerd's default
 * capabilities, which no pod spec can change: refusing it would refuse every
 * pod.  Its capabilities are cut down to the profile's set instead; the
 * pause process needs none of them.
 */
static bool is_cri_sandbox(const struct hr_json *spec)
{
	const char *t = hr_json_as_string(
	    hr_json_get(hr_json_get(spec, "annotations"), "io.kubernetes.cri.container-type"));
	return t && strcmp(t, "sandbox") == 0;
}

static int caps_apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	enum hr_action saved = ctx->cur_action;
	if (saved == HR_ACTION_DENY && is_cri_sandbox(ctx->spec))
		ctx->cur_action = HR_ACTION_FIX;
	int r = caps_check(ctx, settings, "process/capabilities", "process.capabilities", err);
	ctx->cur_action = saved;
	return r;
}

static int caps_apply_process(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	return caps_check(ctx, settings, "capabilities", "process.capabilities", err);
}

const struct hr_rule hr_rule_capabilities = {
    .name = "capabilities",
    .parse = caps_parse,
    .free_settings = caps_free,
    .apply = caps_apply,
    .apply_process = caps_apply_process,
};
