/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_RULES_H
#define HARDRUN_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "hardrun/error.h"
#include "hardrun/json.h"

/*
 * The rule engine.  A rule family (src/rules/<name>.c) inspects the OCI spec
 * tree, and for every problem it finds calls hr_report(), which records a
 * finding and tells the rule whether to rewrite the spec (action `fix`).
 * The engine runs every rule even after a denial, so one run lists every
 * problem; the caller refuses the container if any finding is a denial.
 */

enum hr_action {
	HR_ACTION_OFF = 0, /* rule not run */
	HR_ACTION_WARN,	   /* record only */
	HR_ACTION_FIX,	   /* rewrite the spec */
	HR_ACTION_DENY,	   /* refuse the container */
};

const char *hr_action_name(enum hr_action a);
/* Parse "off", "warn", "fix", "deny"; returns -1 if unknown. */
int hr_action_parse(const char *s);

struct hr_finding {
	char *rule;	       /* rule family, e.g. "capabilities" */
	enum hr_action action; /* what was done: warn, fix or deny */
	char *path;	       /* JSON path in the spec, e.g. "process.capabilities.bounding" */
	char *before;	       /* compact JSON or text of the old value, may be NULL */
	char *after;	       /* compact JSON or text of the new value, may be NULL */
	char *reason;	       /* one sentence */
};

struct hr_findings {
	struct hr_finding *items;
	size_t len, cap;
	size_t denials;
};

void hr_findings_free(struct hr_findings *f);

/* A finding as the audit log and `check --format json` print it. */
struct hr_json *hr_finding_json(const struct hr_finding *f);

/*
 * The one refusal message, for create, exec and update alike: "<what>
 * refused by hardrun profile `P`: " then, per rule family that denied, one
 * reason and every path it denied, then what to change (the request to
 * drop, or a profile that allows it).  One line: the runtime's log shows
 * its last error line.  Always returns -1 with *err set.
 */
int hr_refusal_error(const struct hr_findings *f, const char *what, const char *profile,
		     struct hr_error **err);

/* Which entry point is asking; exec only runs the process-level checks. */
enum hr_entry {
	HR_ENTRY_CREATE, /* create, run, restore, check */
	HR_ENTRY_EXEC,	 /* exec: ctx->spec is the process object */
};

struct hr_policy;  /* host policy, src/profile.c */
struct hr_plan;	   /* what provision makes, include/hardrun/provision.h */
struct hr_profile; /* effective profile, src/profile.c */

struct hr_ctx {
	enum hr_entry entry;
	struct hr_json *spec;	  /* the whole config (create) or the process (exec) */
	struct hr_json *original; /* untouched copy, for rules that compare; may be NULL */
	const struct hr_policy *policy;
	const struct hr_profile *profile;
	const char *container_id; /* may be NULL (check) */
	const char *bundle;	  /* absolute bundle dir, may be NULL */
	/* the runtime's absolute state root (hr_cli.state_root); NULL: runc's default */
	const char *runtime_root;
	bool in_userns; /* hardrun itself runs in a non-initial user namespace */
	/*
	 * Set by the userns rule when, in this run, it replaced root.path with
	 * an idmapped view of this path (as the config named it): later rules
	 * judge the view by what it shows.  Empty otherwise; never read from
	 * the config, so no annotation can claim it.
	 */
	char rootfs_source[4096];
	/*
	 * In: the config goes to the builtin runtime in memory, never back to
	 * the bundle: the userns rule leaves the idmapped rootfs detached (the
	 * runtime attaches it in the container's mount namespace), root.path
	 * as it was, and no undo record (nothing to undo in the bundle).
	 * Out: that tree's fd (the caller closes it), -1 when none was made.
	 * Only hr_harden() sets and reads these.
	 */
	bool in_memory;
	int rootfs_fd;
	/*
	 * What the rules decided must be made (idmapped views of judged
	 * objects), carried out by hr_provision_run() only when nothing was
	 * denied.  NULL: nothing may be planned (the rules still judge).
	 */
	struct hr_plan *plan;
	struct hr_findings findings;

	/* Set by the engine around each rule's apply(). */
	const char *cur_rule;
	enum hr_action cur_action;
};

/*
 * Record a problem at `path` for the running rule.  before/after are
 * optional texts.  Returns true when the caller must now fix the spec (the
 * rule's action is `fix`); false for warn and deny (deny also marks the
 * container refused).
 */
bool hr_report(struct hr_ctx *ctx, const char *path, const char *before, const char *after,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * As hr_report() for a problem no rewrite can repair: `fix` becomes `deny`,
 * `warn` stays `warn`.  Returns nothing: the caller never rewrites.
 */
void hr_report_unfixable(struct hr_ctx *ctx, const char *path, const char *before, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

/* Report with an explicit action, independent of the rule's configured one. */
void hr_report_as(struct hr_ctx *ctx, enum hr_action action, const char *path, const char *before,
		  const char *after, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * A rule family.  parse() reads the rule's section of a profile strictly
 * (unknown key: error naming file and key; "action" is handled by the
 * engine and never reaches parse()), apply() runs on a spec.  Settings are
 * opaque to the engine.
 */
struct hr_rule {
	const char *name;
	/* section may be NULL when the profile omits the rule: use defaults. */
	int (*parse)(const struct hr_json *section, const char *file, void **settings,
		     struct hr_error **err);
	void (*free_settings)(void *settings);
	/* Full config (create/run/restore/check). NULL: rule has nothing to do. */
	int (*apply)(struct hr_ctx *ctx, const void *settings, struct hr_error **err);
	/* Process object only (exec). NULL: rule has nothing to do. */
	int (*apply_process)(struct hr_ctx *ctx, const void *settings, struct hr_error **err);
};

/* All rule families in the order the engine runs them; NULL-terminated. */
extern const struct hr_rule *const hr_rules[];

/* Find a rule by name, NULL if none. */
const struct hr_rule *hr_rule_find(const char *name);

/*
 * Run every rule of the profile over ctx->spec.  Returns < 0 only for
 * internal errors (with *err); a denial is ctx->findings.denials > 0.
 */
int hr_rules_run(struct hr_ctx *ctx, struct hr_error **err);

/*
 * Strict key check for a policy section: every key of obj must be in
 * allowed (NULL-terminated) or be "action".  The error names file, section
 * and key.  obj of another type than object is an error too.
 */
int hr_policy_check_keys(const struct hr_json *obj, const char *file, const char *section,
			 const char *const allowed[], struct hr_error **err);

/* Helpers for rule settings parsers; each names file/section/key in errors. */
int hr_policy_get_bool(const struct hr_json *obj, const char *key, bool *out, const char *file,
		       const char *section, struct hr_error **err);
int hr_policy_get_uint64(const struct hr_json *obj, const char *key, unsigned long long *out,
			 const char *file, const char *section, struct hr_error **err);
/* *out is a NULL-terminated, malloc'd string vector (NULL if key absent). */
int hr_policy_get_strv(const struct hr_json *obj, const char *key, char ***out, const char *file,
		       const char *section, struct hr_error **err);
int hr_policy_get_string(const struct hr_json *obj, const char *key, char **out, const char *file,
			 const char *section, struct hr_error **err);

#endif
