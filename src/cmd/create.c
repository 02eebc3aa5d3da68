/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/create.h"
#include "hardrun/log.h"
#include "hardrun/provision.h"
#include "hardrun/schema.h"
#include "hardrun/spec.h"
#include "hardrun/testpoint.h"
#include "hardrun/util.h"

void hr_hardened_clear(struct hr_hardened *h)
{
	free(h->bundle);
	if (h->dirfd >= 0)
		close(h->dirfd);
	hr_json_free(h->original);
	hr_json_free(h->spec);
	hr_profile_free(h->profile);
	hr_findings_free(&h->findings);
	if (h->rootfs_fd >= 0)
		close(h->rootfs_fd);
	memset(h, 0, sizeof(*h));
	h->dirfd = -1;
	h->rootfs_fd = -1;
}

static int load_config(const struct hr_cli *cli, const char *config_path, struct hr_hardened *h,
		       struct hr_error **err)
{
	if (config_path) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		if (hr_read_file_at(AT_FDCWD, config_path, HR_SPEC_MAX_BYTES, &buf, &len, err) < 0)
			return -1;
		h->spec = hr_json_parse(buf, len, NULL, err);
		if (!h->spec)
			return hr_err_wrap(err, "%s", config_path);
		if (h->spec->type != HR_JSON_OBJECT)
			return hr_error_set(err, 0, "%s: the top level must be an object",
					    config_path);
		/* A bare config is judged as create would judge it in its directory. */
		_cleanup_free_ char *real = hr_realpath(config_path);
		char *slash = real ? strrchr(real, '/') : NULL;
		if (slash)
			h->bundle =
			    slash == real ? hr_xstrdup("/") : hr_xstrndup(real, slash - real);
		return 0;
	}
	h->bundle = hr_cli_bundle(cli, err);
	if (!h->bundle)
		return -1;
	h->spec = hr_spec_load(h->bundle, &h->dirfd, err);
	return h->spec ? 0 : -1;
}

/*
 * What the rules compare against: `check` shows the whole diff, so it keeps
 * the whole config as read; a create's rules only look back at the mounts
 * (mounts.c, userns.c), so only those are copied.
 */
static struct hr_json *original_for(const struct hr_json *spec, enum hr_harden_mode mode)
{
	if (mode == HR_HARDEN_CHECK)
		return hr_json_clone(spec);
	struct hr_json *o = hr_json_new(HR_JSON_OBJECT);
	const struct hr_json *m = hr_json_get(spec, "mounts");
	if (m)
		hr_json_set(o, "mounts", hr_json_clone(m));
	return o;
}

int hr_harden(const struct hr_cli *cli, const struct hr_policy *policy, const char *profile,
	      const char *config_path, enum hr_harden_mode mode, struct hr_hardened *h,
	      struct hr_error **err)
{
	if (load_config(cli, config_path, h, err) < 0 || hr_schema_check(h->spec, false, err) < 0)
		return -1;
	h->profile = hr_profile_resolve(policy, profile, h->spec, err);
	if (!h->profile)
		return -1;
	/* Before any rule allocates: from here on only this create releases.
	 * The record keeps the profile's file, so exec and update judge by the
	 * profile the container was created with, also one given by path.
	 * A state dir hardrun cannot write (rootless) leaves the id unclaimed:
	 * exec and update then judge by the command line's profile, and there
	 * is nothing of this create's to release. */
	struct hr_error *cerr = NULL;
	if (mode != HR_HARDEN_CHECK && hr_container_claim(policy, hr_cli_id(cli), cli->state_root,
							  h->profile->path, h->owner, &cerr) < 0) {
		if (cerr->errnum == EEXIST) { /* a live container's id: touch nothing */
			*err = cerr;
			return -1;
		}
		hr_warn("%s", cerr->msg);
		hr_error_clear(&cerr);
	}
	hr_test_point("claimed", NULL);
	h->original = original_for(h->spec, mode);

	_cleanup_(hr_plan_free) struct hr_plan plan = {.runtime_root = cli->state_root};
	struct hr_ctx ctx = {
	    .entry = HR_ENTRY_CREATE,
	    .spec = h->spec,
	    .original = h->original,
	    .policy = policy,
	    .profile = h->profile,
	    .container_id = mode == HR_HARDEN_CHECK ? NULL : hr_cli_id(cli),
	    .bundle = h->bundle,
	    .runtime_root = cli->state_root,
	    .in_userns = hr_in_user_namespace(),
	    .in_memory = mode == HR_HARDEN_IN_MEMORY,
	    .rootfs_fd = -1,
	    .plan = &plan,
	};
	int r = hr_rules_run(&ctx, err);
	h->findings = ctx.findings;
	if (r < 0)
		return -1;
	if (h->findings.denials > 0)
		return hr_refusal_error(&h->findings, "container", h->profile->name, err);
	hr_test_point("decided", NULL);
	/* Decided: now, and only now, make what the rules planned (never for check). */
	if (mode != HR_HARDEN_CHECK &&
	    hr_provision_run(policy, ctx.container_id, &plan, h->spec, &h->rootfs_fd, err) < 0)
		return -1;
	if (mode != HR_HARDEN_WRITE)
		return 0;
	/* Last step before the runtime, under the bundle lock: a crash before
	 * the rename leaves the caller's config, after it the whole hardened
	 * one; never a mix, and never through a symlink. */
	if (hr_spec_write(h->dirfd, h->spec, err) < 0)
		return hr_err_wrap(err, "write hardened %s/config.json", h->bundle);
	return 0;
}

void hr_harden_audit(const struct hr_cli *cli, const struct hr_policy *policy,
		     const struct hr_hardened *h, const struct hr_error *failure)
{
	struct hr_error *aerr = NULL;
	if (hr_audit_decision(cli, policy, h->spec,
			      h->profile ? h->profile->name : cli->opts.profile, &h->findings,
			      failure ? failure->msg : NULL, &aerr) < 0) {
		/* An unrecorded decision is still a decision: warn, do not block. */
		hr_warn("%s", aerr->msg);
		hr_error_clear(&aerr);
	}
}
