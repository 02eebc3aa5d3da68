/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SELinux MCS category pairs for the lsm rule: one pair per container,
 * allocated under <state_dir>/selinux with a file lock so that no two live
 * containers share one.  Pure and file-based, so it is tested on hosts
 * without SELinux.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/lsm.h"
#include "hardrun/util.h"

#define MCS_CATEGORIES 1024

/* ---- SELinux MCS pairs: pure parts first, testable without SELinux ---- */

/* Lowest pair c<a>,c<b> (a < b < ncat) not in used; -1 when all are taken. */
int hr_lsm_mcs_pick(const unsigned (*used)[2], size_t n, unsigned ncat, unsigned out[2])
{
	_cleanup_free_ unsigned char *bits = hr_xcalloc((size_t)ncat * ncat / 8 + 1, 1);

	for (size_t i = 0; i < n; i++) {
		unsigned a = used[i][0] < used[i][1] ? used[i][0] : used[i][1];
		unsigned b = used[i][0] < used[i][1] ? used[i][1] : used[i][0];
		if (b < ncat) {
			size_t k = (size_t)a * ncat + b;
			bits[k / 8] |= (unsigned char)(1u << (k % 8));
		}
	}
	for (unsigned a = 0; a < ncat; a++)
		for (unsigned b = a + 1; b < ncat; b++) {
			size_t k = (size_t)a * ncat + b;
			if (!(bits[k / 8] & (1u << (k % 8)))) {
				out[0] = a;
				out[1] = b;
				return 0;
			}
		}
	return -1;
}

/* user:role:type of base with the level replaced by s0:c<a>,c<b>. */
char *hr_lsm_selinux_label(const char *base, unsigned a, unsigned b)
{
	const char *p = base;

	for (int f = 0; f < 3 && p; f++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p)
		return NULL;
	return hr_xasprintf("%.*ss0:c%u,c%u", (int)(p - base), base, a, b);
}

/* Value of `key = "value"` in an lxc_contexts text, NULL if absent. */
char *hr_lsm_lxc_context(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, kl) != 0)
			continue;
		const char *p = l + kl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		bool quoted = *p == '"';
		p += quoted;
		size_t n = strcspn(p, quoted ? "\"\n" : " \t\n");
		return n ? hr_xstrndup(p, n) : NULL;
	}
	return NULL;
}

static bool valid_id(const char *id)
{
	return hr_file_name_ok(id) && id[0] != '.';
}

static int read_pairs(int dfd, const char *self, unsigned (**used)[2], size_t *n, unsigned out[2],
		      bool *have_own)
{
	_cleanup_close_ int d2 = dup(dfd);
	DIR *dir = d2 >= 0 ? fdopendir(d2) : NULL;
	struct dirent *de;

	if (!dir)
		return -1;
	hr_steal_fd(&d2);
	while ((de = readdir(dir))) {
		char buf[64];
		unsigned a, b;
		if (de->d_name[0] == '.' || strcmp(de->d_name, "lock") == 0)
			continue;
		if (hr_read_small_at(dfd, de->d_name, buf, sizeof(buf)) <= 0 ||
		    sscanf(buf, "c%u,c%u", &a, &b) != 2)
			continue;
		if (strcmp(de->d_name, self) == 0) {
			out[0] = a;
			out[1] = b;
			*have_own = true;
		}
		*used = hr_xrealloc(*used, (*n + 1) * sizeof(**used));
		(*used)[*n][0] = a;
		(*used)[(*n)++][1] = b;
	}
	closedir(dir);
	return 0;
}

/*
 * A dry pick (the rules' decision, check): read the pairs as they are,
 * never create, lock or write anything.  id's own pair when it holds one.
 */
static int dry_pick(const char *dir, const char *id, unsigned out[2], struct hr_error **err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ unsigned(*used)[2] = NULL;
	size_t n = 0;
	bool own = false;

	if (dfd < 0 || read_pairs(dfd, id && valid_id(id) ? id : "", &used, &n, out, &own) < 0)
		return hr_lsm_mcs_pick(NULL, 0, MCS_CATEGORIES, out);
	if (own)
		return 0;
	if (hr_lsm_mcs_pick((const unsigned(*)[2])used, n, MCS_CATEGORIES, out) < 0)
		return hr_error_set(err, ENOSPC, "no free SELinux MCS category pair");
	return 0;
}

/*
 * A unique pair for container id, held in <state_dir>/selinux/<id> under an
 * flock on <state_dir>/selinux/lock, so two concurrent creates never pick
 * the same pair.  An id that already holds one keeps it (restore, retry).
 * persist=false (the rules, check) picks without recording (dry_pick).
 */
int hr_lsm_mcs_allocate(const char *state_dir, const char *id, bool persist, unsigned out[2],
			struct hr_error **err)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/selinux", state_dir);
	_cleanup_close_ int dfd = -1, lock = -1;
	_cleanup_free_ unsigned(*used)[2] = NULL;
	size_t n = 0;
	bool own = false;

	if (persist && !valid_id(id))
		return hr_error_set(err, 0, "container id `%s` cannot name an MCS allocation",
				    id ? id : "");
	if (!persist)
		return dry_pick(dir, id, out, err);
	if (hr_mkdir_p(dir, 0700, err) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return hr_error_set(err, errno, "open %s", dir);
	lock = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return hr_error_set(err, errno, "lock %s/lock", dir);
	if (read_pairs(dfd, persist ? id : "", &used, &n, out, &own) < 0)
		return hr_error_set(err, errno, "read %s", dir);
	if (own)
		return 0;
	if (hr_lsm_mcs_pick((const unsigned(*)[2])used, n, MCS_CATEGORIES, out) < 0)
		return hr_error_set(err, ENOSPC, "no free SELinux MCS category pair");
	if (!persist)
		return 0;
	_cleanup_free_ char *text = hr_xasprintf("c%u,c%u\n", out[0], out[1]);
	return hr_write_file_atomic(dfd, id, text, strlen(text), 0600, err);
}

/* Called when the container is deleted; a missing allocation is fine. */
int hr_lsm_mcs_release(const char *state_dir, const char *id, struct hr_error **err)
{
	_cleanup_free_ char *path = NULL;

	if (!valid_id(id))
		return 0;
	path = hr_xasprintf("%s/selinux/%s", state_dir, id);
	if (unlink(path) < 0 && errno != ENOENT)
		return hr_error_set(err, errno, "unlink %s", path);
	return 0;
}
