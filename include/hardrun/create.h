/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_CREATE_H
#define HARDRUN_CREATE_H

#include <stdbool.h>

#include "hardrun/cli.h"
#include "hardrun/error.h"
#include "hardrun/json.h"
#include "hardrun/lifecycle.h"
#include "hardrun/profile.h"
#include "hardrun/audit.h"
#include "hardrun/rules.h"

/*
 * The hardening path shared by create, run, restore and check: load the
 * bundle's config, resolve the profile, claim the container id (not for
 * check), run every rule and (HR_HARDEN_WRITE) replace config.json
 * atomically.  The create path is one sequence: decide (the rules),
 * provision (what the rules' plan needs on the host), write config.json,
 * exec the runtime (hr_delegate_create).
 */
struct hr_hardened {
	char *bundle;		  /* absolute bundle path */
	int dirfd;		  /* the bundle directory (flock(2)ed), -1 when closed */
	struct hr_json *original; /* what the rules compare against (see hr_harden) */
	struct hr_json *spec;	  /* config as hardened */
	struct hr_profile *profile;
	struct hr_findings findings;
	int rootfs_fd; /* HR_HARDEN_IN_MEMORY: the detached idmapped rootfs, -1 if none */
	char owner[HR_OWNER_LEN]; /* the claim on the container id (hr_container_claim), or "" */
};

#define HR_HARDENED_INIT                                                                           \
	{                                                                                          \
		.dirfd = -1, .rootfs_fd = -1                                                       \
	}

/*
 * Harden the bundle named by cli (or `config_path` for check on a bare file,
 * NULL otherwise) into *h, which starts as HR_HARDENED_INIT.  Returns < 0
 * with *err on any failure; a policy denial is an error too, whose message
 * is hr_refusal_error()'s (the findings stay in *h for the caller to print).
 * Nothing is written on failure.  h->original is the whole config as read
 * for HR_HARDEN_CHECK (the diff), and only its mounts otherwise (what the
 * rules compare against).
 */
enum hr_harden_mode {
	HR_HARDEN_CHECK,     /* dry run: no id range, no mounts, nothing written */
	HR_HARDEN_WRITE,     /* for a lower runtime, which reads config.json */
	HR_HARDEN_IN_MEMORY, /* for the builtin runtime: config.json left as it was */
};
int hr_harden(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
	      const char *config_path, enum hr_harden_mode mode, struct hr_hardened *h,
	      struct hr_error **err);

void hr_hardened_clear(struct hr_hardened *h);

/* Record the decision in the audit log; a record that cannot be written
 * is a warning (hr_warn), never a failure of the create. */
void hr_harden_audit(const struct hr_cli *cli, const struct hr_policy *policy,
		     const struct hr_hardened *h, const struct hr_error *failure);

/* `hardrun check`: print findings and the diff; exit code 0 (allowed) or 1. */
int hr_check_main(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		  struct hr_error **err);

/*
 * `exec`: apply the process rules to --process or the flags, then hand off.
 * With --process, the runtime's argv then names a private copy of the
 * hardened process (/proc/self/fd/N), never the caller's file.
 */
int hr_exec_harden(struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
		   struct hr_error **err);

#endif
