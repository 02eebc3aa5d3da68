/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the mounts rule: src/rules/mounts.c and src/rules/mounts-src.c. */
#ifndef HARDRUN_RULES_MOUNTS_INT_H
#define HARDRUN_RULES_MOUNTS_INT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/path.h"
#include "hardrun/rules.h"

struct deny_entry {
	char *path; /* normalised, /var/run folded to /run */
	bool subtree;
	bool rw_only;
	char *text; /* as written, for findings */
};

struct mounts_settings {
	struct deny_entry *deny;
	size_t n_deny;
	bool readonly_rootfs;
	char **masked;
	char **readonly;
	char **allow_sockets; /* normalised host paths of sockets a bind may expose */
};

/*
 * A host file by identity: what a bind mount really exposes, whatever path
 * names it.  Filled once per apply() from the deny list and allowSockets.
 */
struct file_id {
	dev_t dev;
	ino_t ino;
	const struct deny_entry *deny; /* NULL for an allowSockets entry */
};

struct host_ids {
	struct file_id *ids;
	size_t len;
};

/* hr_path_normalise(), and /var/run is /run (a symlink on every distribution that matters). */
char *hr_mounts_normalise(const char *path);
/* True if p is dir or lies below it. */
bool hr_mounts_path_under(const char *p, const char *dir);
/* hr_path_resolve_host(), with /var/run folded to /run; NULL on a symlink loop. */
char *hr_mounts_resolve_host(const char *path);

static inline bool hr_mounts_has_opt(const struct hr_json *opts, const char *o)
{
	for (size_t k = 0; opts && k < opts->arr.len; k++)
		if (strcmp(hr_json_as_string(opts->arr.items[k]), o) == 0)
			return true;
	return false;
}

/* runc applies options in order; the last of ro/rw wins.  Exact case, as runc. */
static inline bool hr_mounts_opts_writable(const struct hr_json *opts)
{
	bool w = true;

	for (size_t k = 0; opts && k < opts->arr.len; k++) {
		const char *o = hr_json_as_string(opts->arr.items[k]);
		if (strcmp(o, "ro") == 0 || strcmp(o, "rro") == 0)
			w = false;
		else if (strcmp(o, "rw") == 0 || strcmp(o, "rrw") == 0)
			w = true;
	}
	return w;
}

/* The deny entry covering host path p (normalised), or NULL. */
const struct deny_entry *hr_mounts_denied(const struct mounts_settings *s, const char *p,
					  bool writable);

/*
 * Check one host path (bind source, overlay layer) against the deny list:
 * as written (normalised) and as resolved (`opened`: the path of the
 * object already opened, else resolved now).  Reports and returns 1 when
 * denied; *resolved (may be NULL) gets the resolved path otherwise.
 */
int hr_mounts_check_host_path(struct hr_ctx *ctx, const struct mounts_settings *s,
			      const char *where, const char *raw, bool writable, const char *opened,
			      char **resolved);

/* stat() every deny-listed and allowed path that exists; missing ones cannot be bound. */
void hr_mounts_host_ids_load(struct host_ids *h, const struct mounts_settings *s);

/* The entry with st's identity (deny: a deny-list entry, else an allowSockets one). */
const struct file_id *hr_mounts_host_ids_find(const struct host_ids *h, const struct stat *st,
					      bool deny, bool writable);

/* A bind exposes a file, not a path: compare its identity (opened, else stat(real)). */
void hr_mounts_check_bind_identity(struct hr_ctx *ctx, const struct mounts_settings *s,
				   const struct host_ids *h, const char *where, const char *raw,
				   const char *real, const struct stat *opened, bool writable);

/* Judge mounts[i]'s source on the object it opens to and plan a view of that object. */
void hr_mounts_judge_source(struct hr_ctx *ctx, const struct mounts_settings *s,
			    const struct host_ids *h, const char *where, size_t i, const char *src,
			    const struct hr_json *opts);

/* Every layer of an overlay mount's options, as the kernel reads them, judged like a bind. */
void hr_mounts_check_overlay(struct hr_ctx *ctx, const struct mounts_settings *s,
			     const struct host_ids *h, size_t i, const struct hr_json *opts);

#endif
