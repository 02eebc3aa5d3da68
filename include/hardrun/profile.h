/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_PROFILE_H
#define HARDRUN_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "hardrun/error.h"
#include "hardrun/json.h"
#include "hardrun/rules.h"

/*
 * Host policy (/etc/hardrun/policy.json) and profiles
 * (profiles/policies/<name>.json).  Both are parsed strictly: an unknown key
 * or a value of the wrong type is an error naming the file and the key.
 * See docs/policy.md for the format.
 */

#define HR_DEFAULT_POLICY_PATH "/etc/hardrun/policy.json"

/*
 * userns.callerRanges: host ids a config's own mapping may use besides those
 * above the pool (Docker userns-remap's, podman --uidmap's); `shared`: live
 * containers may map the same ids there.
 */
struct hr_caller_range {
	uint32_t start, size;
	bool shared;
};

struct hr_policy {
	char *path;		  /* file it came from, or "(built-in defaults)" */
	char *default_profile;	  /* "baseline" unless set */
	char *runtime;		  /* "runc", a path, "builtin", or NULL: search PATH */
	char *profiles_dir;	  /* where <name>.json profiles live */
	char *seccomp_dir;	  /* where seccomp profiles named by rules live */
	char *state_dir;	  /* hardrun's own state (id ranges, mounts) */
	char *audit_log;	  /* JSON lines; NULL or "" disables; "syslog" */
	uint64_t audit_max_bytes; /* rotate to <audit_log>.1 beyond this; 0: never */
	/* id-range pool for user namespaces */
	uint32_t pool_start;  /* first host id of the pool */
	uint32_t pool_size;   /* ids in the pool */
	uint32_t range_size;  /* ids per container (65536) */
	bool pool_from_subid; /* pool taken from /etc/subuid entry of user "hardrun" */
	struct hr_caller_range *caller_ranges; /* userns.callerRanges */
	size_t n_caller_ranges;
	char **allowed_hooks; /* absolute paths; NULL-terminated, may be empty */
	bool engine_hooks;    /* the engines' own hooks (dockerd's libnetwork hook) run */
	char **image_allow;   /* glob patterns; NULL-terminated, empty means any */
	bool image_require_digest;
	bool image_unnamed_allowed;   /* a config that names no image */
	char **annotation_profiles;   /* profiles a container may ask for */
	bool annotation_allow_looser; /* may ask for a looser profile */
	char **allowed_annotations;   /* lower-runtime annotations allowed through */
	bool idmap_chown_fallback;    /* allow recursive chown where idmap fails */
	bool require_mac;	      /* refuse when no MAC (AppArmor/SELinux/Landlock) */
	/* containers' volumes: the only bind sources ever idmapped */
	char **volume_roots;
	/* engines' image layers and rootfs overlays: a rootfs only, claimed
	 * by one live container */
	char **layer_roots;
};

/* The built-in `volumeRoots`: Docker's, Podman's and kubelet's volumes. */
extern const char *const hr_default_volume_roots[];
/* The built-in `layerRoots`: Docker's, Podman's and containerd's layer stores. */
extern const char *const hr_default_layer_roots[];

/* Per-rule configuration inside a profile. */
struct hr_rule_config {
	const struct hr_rule *rule;
	enum hr_action action;
	void *settings;
};

struct hr_profile {
	char *name;
	char *path;
	int strictness; /* baseline 1, restricted 2, untrusted 3; higher is stricter */
	struct hr_rule_config *rules; /* one per hr_rules[] entry, same order */
	size_t n_rules;
};

/*
 * Load the host policy from path (NULL: $HARDRUN_POLICY, else
 * HR_DEFAULT_POLICY_PATH).  A missing file at the default path yields the
 * built-in defaults; a missing file that was named explicitly is an error.
 */
struct hr_policy *hr_policy_load(const char *path, struct hr_error **err);
void hr_policy_free(struct hr_policy *p);

/* Parse a policy from memory; label names it in errors (fuzzing, tests). */
struct hr_policy *hr_policy_parse(const char *label, const char *buf, size_t len,
				  struct hr_error **err);

/* Parse a profile from memory, without `extends` (fuzzing, tests). */
struct hr_profile *hr_profile_parse(const char *label, const char *buf, size_t len,
				    struct hr_error **err);

/* The built-in defaults, as if no policy file existed. */
struct hr_policy *hr_policy_defaults(void);

/* Where the shipped profiles live (policies/, seccomp/, apparmor/):
 * $HARDRUN_DATADIR, else the installed datadir.  malloc'd. */
char *hr_data_dir(void);

/*
 * Load profile `name` (a bare name looked up in policy->profiles_dir, or a
 * path containing '/').  Every rule's section is parsed by the rule.
 */
struct hr_profile *hr_profile_load(const struct hr_policy *policy, const char *name,
				   struct hr_error **err);
void hr_profile_free(struct hr_profile *p);

/* The settings a profile holds for rule `name`, NULL if none. */
const struct hr_rule_config *hr_profile_rule(const struct hr_profile *p, const char *name);

/* The annotation through which a container may ask for a profile. */
#define HR_PROFILE_ANNOTATION "run.hardrun.profile"

/*
 * Load the effective profile: `requested` (flag, environment or argv[0]) or
 * the policy's default, replaced by the config's HR_PROFILE_ANNOTATION when
 * the policy lists that profile and it is at least as strict (or the policy
 * allows looser ones).  A refused request is an error: the container does
 * not start with a profile it did not ask for.
 */
struct hr_profile *hr_profile_resolve(const struct hr_policy *policy, const char *requested,
				      const struct hr_json *spec, struct hr_error **err);

#endif
