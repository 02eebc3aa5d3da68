/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule family `images`: where the orchestrator names the image in the
 * config's annotations, the name must match the host policy's patterns
 * (image_allow, fnmatch) and, if the policy says so, be pinned by a sha256
 * digest.  Nothing here can be fixed: a wrong image is refused or warned.
 *
 * Names are normalised as Docker does before matching (`busybox` is
 * `docker.io/library/busybox`, the registry is lower-cased, `index.docker.io`
 * is `docker.io`) and must be valid references: a repository path with
 * upper-case letters or `..` is not a name any registry serves, and is
 * refused rather than guessed at.  These annotations are written by the
 * orchestrator (containerd CRI, CRI-O); Docker and Podman name no image in
 * config.json, so their containers are "unnamed" and image_unnamed_allowed
 * decides.  `org.opencontainers.image.base.name` names the base image, not
 * this one, and is ignored.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/profile.h"
#include "hardrun/rules.h"
#include "hardrun/spec.h"
#include "hardrun/util.h"

#define SECTION "images"

/* Annotation keys naming the image; matched case-insensitively. */
static const char *const image_keys[] = {
    "io.kubernetes.cri.image-name",	 /* containerd CRI */
    "io.kubernetes.cri-o.ImageName",	 /* CRI-O */
    "org.opencontainers.image.ref.name", /* OCI layout; only when fully qualified */
    NULL,
};

struct images_settings {
	bool require_digest; /* in addition to the host policy's */
};

struct image_ref {
	char *name;   /* registry/path */
	char *tag;    /* NULL if none */
	char *digest; /* algo:hex, NULL if none */
};

static void ref_clear(struct image_ref *r)
{
	free(r->name);
	free(r->tag);
	free(r->digest);
}

static void free_settings(void *p)
{
	free(p);
}

static int parse(const struct hr_json *section, const char *file, void **settings,
		 struct hr_error **err)
{
	static const char *const keys[] = {"requireDigest", NULL};
	struct images_settings *s = hr_xcalloc(1, sizeof(*s));

	if (section && (hr_policy_check_keys(section, file, SECTION, keys, err) < 0 ||
			hr_policy_get_bool(section, "requireDigest", &s->require_digest, file,
					   SECTION, err) < 0)) {
		free(s);
		return -1;
	}
	*settings = s;
	return 0;
}

/* One path component: [a-z0-9]+ joined by `.`, `_`, `__` or runs of `-`. */
static bool valid_component(const char *c, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)c[0]) || !isalnum((unsigned char)c[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (isdigit(ch) || (ch >= 'a' && ch <= 'z'))
			continue;
		if (ch == '-')
			continue;
		if (ch == '.' || ch == '_') {
			size_t run = 1;
			while (i + run < n && c[i + run] == ch)
				run++;
			if (run > (ch == '_' ? 2u : 1u))
				return false;
			i += run - 1;
			if (!isalnum((unsigned char)c[i + 1]))
				return false;
			continue;
		}
		return false;
	}
	return true;
}

static bool valid_path(const char *p)
{
	for (;;) {
		const char *e = strchrnul(p, '/');
		if (!valid_component(p, (size_t)(e - p)))
			return false;
		if (!*e)
			return true;
		p = e + 1;
	}
}

static bool valid_domain(const char *d)
{
	if (!*d)
		return false;
	for (const char *p = d; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
			return false;
	return d[0] != '.' && d[0] != '-' && !strstr(d, "..");
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

static bool valid_digest(const char *d)
{
	const char *colon = strchr(d, ':');

	if (!colon || colon == d || !colon[1])
		return false;
	for (const char *p = d; p < colon; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    !strchr("+._-", *p))
			return false;
	for (const char *p = colon + 1; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return strlen(colon + 1) >= 32;
}

/* Split and normalise a reference; false if it is not a valid one. */
static bool parse_ref(const char *in, struct image_ref *r)
{
	_cleanup_free_ char *s = hr_xstrdup(in);
	char *at = strchr(s, '@');
	char *slash, *colon;
	_cleanup_free_ char *domain = NULL;
	const char *path;

	if (strlen(in) > 4096)
		return false;
	if (at) {
		*at = '\0';
		if (!valid_digest(at + 1))
			return false;
		r->digest = hr_xstrdup(at + 1);
	}
	slash = strrchr(s, '/');
	colon = strrchr(s, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		if (!valid_tag(colon + 1))
			return false;
		r->tag = hr_xstrdup(colon + 1);
	}
	slash = strchr(s, '/');
	if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)) ||
		      strncasecmp(s, "localhost/", 10) == 0 ||
		      strcspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < (size_t)(slash - s))) {
		*slash = '\0';
		domain = hr_xstrdup(s);
		path = slash + 1;
		for (char *p = domain; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(domain, "index.docker.io") == 0) {
			free(domain);
			domain = hr_xstrdup("docker.io");
		}
	} else {
		domain = hr_xstrdup("docker.io");
		path = s;
	}
	if (!valid_domain(domain) || !valid_path(path))
		return false;
	if (strcmp(domain, "docker.io") == 0 && !strchr(path, '/'))
		r->name = hr_xasprintf("%s/library/%s", domain, path);
	else
		r->name = hr_xasprintf("%s/%s", domain, path);
	if (!r->tag && !r->digest)
		r->tag = hr_xstrdup("latest");
	return true;
}

/* A pattern matches if it matches the name alone or with its tag and/or digest. */
static bool ref_allowed(char *const *patterns, const struct image_ref *r)
{
	_cleanup_free_ char *with_tag = NULL;
	_cleanup_free_ char *with_digest = NULL;
	_cleanup_free_ char *full = NULL;

	if (!patterns || !*patterns)
		return true;
	with_tag = r->tag ? hr_xasprintf("%s:%s", r->name, r->tag) : NULL;
	with_digest = r->digest ? hr_xasprintf("%s@%s", r->name, r->digest) : NULL;
	full = r->tag && r->digest ? hr_xasprintf("%s:%s@%s", r->name, r->tag, r->digest) : NULL;
	for (char *const *p = patterns; *p; p++) {
		const char *cands[] = {r->name, with_tag, with_digest, full};
		for (size_t i = 0; i < 4; i++)
			if (cands[i] && fnmatch(*p, cands[i], 0) == 0)
				return true;
	}
	return false;
}

static bool sha256_pinned(const struct image_ref *r)
{
	if (!r->digest || strncmp(r->digest, "sha256:", 7) != 0 || strlen(r->digest) != 7 + 64)
		return false;
	for (const char *p = r->digest + 7; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
			return false;
	return true;
}

static void check_image(struct hr_ctx *ctx, bool require_digest, const char *key, const char *value)
{
	const struct hr_policy *pol = ctx->policy;
	char *const *allow = pol ? pol->image_allow : NULL;
	_cleanup_free_ char *where = hr_xasprintf("annotations.%s", key);
	struct image_ref r = {0};

	if (!allow || !*allow) {
		if (!require_digest)
			return;
	}
	if (!parse_ref(value, &r)) {
		hr_report_unfixable(ctx, where, value, "`%s` is not a valid image reference",
				    value);
	} else if (!ref_allowed(allow, &r)) {
		hr_report_unfixable(ctx, where, value,
				    "image `%s` (%s) matches none of the host policy's allowed "
				    "image patterns",
				    value, r.name);
	} else if (require_digest && !sha256_pinned(&r)) {
		hr_report_unfixable(ctx, where, value,
				    "image `%s` is not pinned by a sha256 digest (`@sha256:<64 "
				    "hex>`), which the host policy requires",
				    value);
	}
	ref_clear(&r);
}

static bool is_image_key(const char *key, size_t *which)
{
	for (size_t i = 0; image_keys[i]; i++)
		if (strcasecmp(key, image_keys[i]) == 0) {
			*which = i;
			return true;
		}
	return false;
}

/*
 * A pod's sandbox (pause) container: its image is the node's own setting
 * (containerd's sandbox_image, CRI-O's pause_image), never the pod author's,
 * and the orchestrators do not name it in the config.
 */
static bool is_sandbox(const struct hr_json *ann)
{
	static const char *const keys[] = {"io.kubernetes.cri.container-type",
					   "io.kubernetes.cri-o.ContainerType", NULL};

	for (size_t m = 0; m < ann->obj.len; m++)
		for (size_t k = 0; keys[k]; k++)
			if (strcasecmp(ann->obj.members[m].key, keys[k]) == 0 &&
			    hr_json_as_string(ann->obj.members[m].value) &&
			    strcmp(hr_json_as_string(ann->obj.members[m].value), "sandbox") == 0)
				return true;
	return false;
}

static int apply(struct hr_ctx *ctx, const void *settings, struct hr_error **err)
{
	const struct images_settings *s = settings;
	const struct hr_policy *pol = ctx->policy;
	bool require_digest = s->require_digest || (pol && pol->image_require_digest);
	struct hr_json *ann = hr_spec_get(ctx->spec, "annotations", HR_JSON_OBJECT, false, err);
	size_t named = 0, which;

	if (!ann && *err)
		return -1;
	for (size_t m = 0; ann && m < ann->obj.len; m++) {
		const char *key = ann->obj.members[m].key;
		const struct hr_json *v = ann->obj.members[m].value;
		if (!is_image_key(key, &which))
			continue;
		if (!hr_json_as_string(v))
			return hr_error_set(err, 0, "annotations.%s: expected string", key);
		/* A bare tag in an OCI layout ref.name says nothing about the image. */
		if (which == 2 && !strchr(hr_json_as_string(v), '/'))
			continue;
		named++;
		check_image(ctx, require_digest, key, hr_json_as_string(v));
	}
	if (!named && pol && !pol->image_unnamed_allowed && !(ann && is_sandbox(ann)))
		hr_report_unfixable(ctx, "annotations", NULL,
				    "the config names no image (no CRI image annotation) and the "
				    "host policy does not allow unnamed images");
	return 0;
}

const struct hr_rule hr_rule_images = {
    .name = "images",
    .parse = parse,
    .free_settings = free_settings,
    .apply = apply,
    .apply_process = NULL,
};
