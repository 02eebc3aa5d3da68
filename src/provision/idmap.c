/* SPDX-License-Identifier: Apache-2.0 */
/* Host id-range allocator for user namespaces (see include/hardrun/idmap.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/idmap.h"
#include "hardrun/profile.h"
#include "hardrun/util.h"
#include "idslots.h"

#define HR_DEFAULT_STATE_DIR "/run/hardrun"
#define HR_DEFAULT_RANGE     65536u
#define HR_SUBID_USER	     "hardrun"
#define HR_MAX_ENTRIES	     65536

struct id_pool {
	struct id_iv *iv;
	size_t len;
};

struct range_entry {
	uint32_t start, size;
	char *key, *root, *bundle;
	int64_t created;
	char *name; /* "<start>" for the owner, "<start>.<key>" for a sharer */
};

struct range_entries {
	struct range_entry *e;
	size_t len;
};

static bool container_exists(const char *root, const char *key);

const char *hr_runtime_root(const char *runtime_root)
{
	return runtime_root && *runtime_root ? runtime_root : HR_DEFAULT_RUNTIME_ROOT;
}

const char *hr_idmap_state_dir(const struct hr_policy *p)
{
	return p && p->state_dir && *p->state_dir ? p->state_dir : HR_DEFAULT_STATE_DIR;
}

static void pool_free(struct id_pool *pool)
{
	free(pool->iv);
	pool->iv = NULL;
	pool->len = 0;
}

static void pool_add(struct id_pool *pool, uint64_t start, uint64_t end)
{
	/* Host id 0 is never handed out, whatever the pool says. */
	if (start == 0)
		start = 1;
	if (end <= start)
		return;
	pool->iv = hr_xrealloc(pool->iv, (pool->len + 1) * sizeof(*pool->iv));
	pool->iv[pool->len++] = (struct id_iv){start, end};
}

/* Entries "name:start:count" of user HR_SUBID_USER (by name or uid). */
static int subid_read(const char *file, struct id_pool *out, struct hr_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	char uidbuf[16] = "";
	bool resolved = false;

	if (!f)
		return errno == ENOENT ? 0 : hr_error_set(err, errno, "open %s", file);
	while (getline(&line, &cap, f) >= 0) {
		char *name = line, *s = strchr(line, ':'), *c = NULL, *end = NULL;
		unsigned long long start, count;

		if (!s)
			continue;
		*s++ = '\0';
		/* Numeric entries name the user by uid: look it up only then. */
		if (!resolved && *name && strspn(name, "0123456789") == strlen(name)) {
			uid_t uid;
			if (hr_passwd_uid(HR_SUBID_USER, &uid) == 0)
				snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)uid);
			resolved = true;
		}
		if (strcmp(name, HR_SUBID_USER) != 0 && (!*uidbuf || strcmp(name, uidbuf) != 0))
			continue;
		c = strchr(s, ':');
		if (!c)
			continue;
		*c++ = '\0';
		errno = 0;
		start = strtoull(s, &end, 10);
		if (errno || *end)
			continue;
		count = strtoull(c, &end, 10);
		if (errno || (*end && *end != '\n') || start + count > UINT32_MAX)
			continue;
		pool_add(out, start, start + count);
	}
	return 0;
}

/* Intersection of two interval lists, so every id is valid as uid and gid. */
static void pool_intersect(const struct id_pool *a, const struct id_pool *b, struct id_pool *out)
{
	for (size_t i = 0; i < a->len; i++)
		for (size_t j = 0; j < b->len; j++) {
			uint64_t s =
			    a->iv[i].start > b->iv[j].start ? a->iv[i].start : b->iv[j].start;
			uint64_t e = a->iv[i].end < b->iv[j].end ? a->iv[i].end : b->iv[j].end;
			if (s < e)
				pool_add(out, s, e);
		}
}

static int pool_load(const struct hr_policy *p, struct id_pool *pool, struct hr_error **err)
{
	if (p->pool_from_subid) {
		struct id_pool u = {0}, g = {0};
		int r = subid_read("/etc/subuid", &u, err);
		if (r >= 0)
			r = subid_read("/etc/subgid", &g, err);
		if (r >= 0)
			pool_intersect(&u, &g, pool);
		pool_free(&u);
		pool_free(&g);
		if (r < 0)
			return r;
	}
	if (pool->len == 0)
		pool_add(pool, p->pool_start, (uint64_t)p->pool_start + p->pool_size);
	if (pool->len == 0)
		return hr_error_set(
		    err, 0,
		    "no id pool for user namespaces: no /etc/subuid and /etc/subgid "
		    "entries for user `%s` and no pool range in policy %s",
		    HR_SUBID_USER, p->path ? p->path : "(built-in)");
	return 0;
}

int hr_idpool_first(const struct hr_policy *p, uint32_t *first, struct hr_error **err)
{
	struct id_pool pool = {0};
	uint64_t min = UINT64_MAX;

	if (pool_load(p, &pool, err) < 0)
		return -1;
	for (size_t i = 0; i < pool.len; i++)
		if (pool.iv[i].start < min)
			min = pool.iv[i].start;
	pool_free(&pool);
	*first = (uint32_t)min;
	return 0;
}

static void entries_free(struct range_entries *es)
{
	for (size_t i = 0; i < es->len; i++) {
		free(es->e[i].key);
		free(es->e[i].root);
		free(es->e[i].bundle);
		free(es->e[i].name);
	}
	free(es->e);
	es->e = NULL;
	es->len = 0;
}

/* One "name=value" per line; values never hold a newline (see entry_write). */
static int entry_parse(char *text, struct range_entry *e)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(l, '=');
		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(l, "key") == 0)
			e->key = hr_xstrdup(v);
		else if (strcmp(l, "runtimeRoot") == 0)
			e->root = hr_xstrdup(v);
		else if (strcmp(l, "bundle") == 0)
			e->bundle = hr_xstrdup(v);
		else if (strcmp(l, "created") == 0)
			e->created = strtoll(v, NULL, 10);
		else if (strcmp(l, "size") == 0)
			e->size = (uint32_t)strtoul(v, NULL, 10);
	}
	return e->key && e->root && e->size ? 0 : -1;
}

/* "<digits>" or "<digits>.<key>"; never a temporary file of hr_write_file_atomic. */
static bool entry_name_ok(const char *name)
{
	size_t n = strspn(name, "0123456789");

	return n > 0 && n <= 10 && (name[n] == '\0' || (name[n] == '.' && name[n + 1] != '\0'));
}

static void entry_clear(struct range_entry *e)
{
	free(e->key), free(e->root), free(e->bundle), free(e->name);
	*e = (struct range_entry){0};
}

/* The entry called name: 0, or -1 when it is missing, unreadable or foreign. */
static int entry_read(int dirfd, const char *name, struct range_entry *e)
{
	char text[4097 + 1];
	unsigned long long start;
	ssize_t n;

	*e = (struct range_entry){0};
	if (!entry_name_ok(name))
		return -1;
	start = strtoull(name, NULL, 10);
	/* the rebuild's loop runs over every container on the node: the lean read */
	n = start > UINT32_MAX ? -1 : hr_read_small_at(dirfd, name, text, sizeof(text));
	if (n <= 0 || n > 4096 || entry_parse(text, e) < 0) {
		entry_clear(e);
		return -1;
	}
	e->start = (uint32_t)start;
	e->name = hr_xstrdup(name);
	return 0;
}

/* Every entry of the ranges dir; unreadable or foreign files are skipped. */
static int entries_load(int dirfd, struct range_entries *out, struct hr_error **err)
{
	int fd = dup(dirfd);
	DIR *d = NULL;
	struct dirent *de = NULL;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return hr_error_set(err, errno, "read id-range state");
	}
	rewinddir(d);
	while ((de = readdir(d)) && out->len < HR_MAX_ENTRIES) {
		struct range_entry e = {0};

		if (entry_read(dirfd, de->d_name, &e) < 0)
			continue;
		out->e = hr_xrealloc(out->e, (out->len + 1) * sizeof(*out->e));
		out->e[out->len++] = e;
	}
	closedir(d);
	return 0;
}

static char *oneline(const char *s)
{
	char *c = hr_xstrdup(s ? s : "");
	for (char *q = c; *q; q++)
		if (*q == '\n')
			*q = '?';
	return c;
}

static int entry_write(int dirfd, uint32_t start, uint32_t size, const char *key, const char *root,
		       const char *bundle, bool share, struct hr_error **err)
{
	_cleanup_free_ char *b = oneline(bundle), *r = oneline(root), *text = NULL, *name = NULL;

	text = hr_xasprintf("key=%s\nruntimeRoot=%s\nbundle=%s\ncreated=%lld\nsize=%" PRIu32 "\n",
			    key, r, b, (long long)time(NULL), size);
	name = share ? hr_xasprintf("%" PRIu32 ".%s", start, key) : hr_xasprintf("%" PRIu32, start);
	/* Swept after the start (hr_idrange_sweep). */
	return hr_idstate_write(dirfd, name, text, strlen(text), err);
}

void hr_idrange_sweep(const struct hr_policy *p)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/ranges", hr_idmap_state_dir(p));
	_cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* No entry of its own starts with a dot (entry_name_ok): any
	 * ".<name>.hardrun-<pid>-" there is a writer's. */
	if (d >= 0)
		hr_sweep_stale_temps(d, NULL);
}

/* Open <state>/ranges and take its lock; *lockfd holds the flock. */
static int ranges_open(const struct hr_policy *p, int *dirfd, int *lockfd, struct hr_error **err)
{
	_cleanup_free_ char *dir = hr_xasprintf("%s/ranges", hr_idmap_state_dir(p));
	_cleanup_close_ int d = -1, l = -1;

	if (hr_mkdir_p(dir, 0700, err) < 0)
		return hr_err_wrap(err, "id-range state");
	d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return hr_error_set(err, errno, "open %s", dir);
	l = openat(d, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l < 0)
		return hr_error_set(err, errno, "open %s/.lock", dir);
	while (flock(l, LOCK_EX) < 0)
		if (errno != EINTR)
			return hr_error_set(err, errno, "lock %s/.lock", dir);
	*dirfd = hr_steal_fd(&d);
	*lockfd = hr_steal_fd(&l);
	return 0;
}

/*
 * Whether the lower runtime knows the container (runc layout:
 * <root>/<id>): 1 it does, 0 only when the kernel said ENOENT, else
 * -errno: it cannot be told (an unreadable root, EACCES).  Callers treat
 * "cannot tell" as live, never as absent: reclaiming a live container's
 * range, or rewriting its record, is the harm; a refused create is not.
 */
int hr_runtime_probe(const char *runtime_root, const char *id)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (!hr_file_name_ok(id))
		return 0;
	path = hr_xasprintf("%s/%s", hr_runtime_root(runtime_root), id);
	if (lstat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

bool hr_runtime_has(const char *runtime_root, const char *id)
{
	return hr_runtime_probe(runtime_root, id) != 0;
}

/* Fails closed: an unreadable root counts as "still there". */
static bool container_exists(const char *root, const char *key)
{
	return hr_runtime_probe(root, key) != 0;
}

static bool entry_stale(const struct range_entry *e, int grace_sec)
{
	int64_t age = (int64_t)time(NULL) - e->created;

	return age >= grace_sec && !container_exists(e->root, e->key);
}

/* Drop stale entries (file and mounts) from disk and from es. Lock held. */
static unsigned reclaim_locked(const struct hr_policy *p, int dirfd, struct range_entries *es,
			       int grace_sec)
{
	unsigned n = 0;

	for (size_t i = 0; i < es->len;) {
		struct range_entry *e = &es->e[i];
		if (!entry_stale(e, grace_sec)) {
			i++;
			continue;
		}
		/* Mounts first: a range is free only once nothing maps to it. */
		if (hr_idmount_release(p, e->key, NULL) < 0 || unlinkat(dirfd, e->name, 0) < 0) {
			i++;
			continue;
		}
		hr_idkey_drop(dirfd, e->key, e->name);
		entry_clear(e);
		es->e[i] = es->e[--es->len];
		n++;
	}
	return n;
}

/*
 * Recount the slot table from the entries (after reclaiming the stale ones)
 * and restore their index links: the table missing, made for another pool,
 * or the pool looking full (slots a killed writer counted and never named).
 * The only pass over every entry; lock held.
 */
static int rebuild_locked(const struct hr_policy *p, int dirfd, struct id_slots *s, int grace_sec,
			  unsigned *reclaimed, unsigned *live, struct hr_error **err)
{
	struct range_entries es = {0};
	char cur[256];
	unsigned n;
	int r;

	if (entries_load(dirfd, &es, err) < 0)
		return -1;
	n = reclaim_locked(p, dirfd, &es, grace_sec);
	memset(s->count, 0, (size_t)s->n * sizeof(*s->count));
	for (size_t i = 0; i < es.len; i++) {
		hr_idslots_mark(s, es.e[i].start, es.e[i].size, 1);
		if (!hr_idkey_read(dirfd, es.e[i].key, cur, sizeof(cur)) ||
		    strcmp(cur, es.e[i].name) != 0)
			hr_idkey_write(dirfd, es.e[i].key, es.e[i].name, NULL);
	}
	r = hr_idslots_save(dirfd, s, err);
	if (reclaimed)
		*reclaimed = n;
	if (live)
		*live = (unsigned)es.len;
	entries_free(&es);
	return r;
}

static uint32_t range_size(const struct hr_policy *p, uint32_t size);

/* The slot table of this pool, rebuilt when it does not describe it. */
static int slots_open(const struct hr_policy *p, int dirfd, const struct id_pool *pool,
		      struct id_slots *s, struct hr_error **err)
{
	int r = hr_idslots_load(dirfd, pool->iv, pool->len, range_size(p, 0), s, err);

	if (r == 0)
		r = rebuild_locked(p, dirfd, s, HR_IDRANGE_GRACE_SEC, NULL, NULL, err);
	return r < 0 ? hr_err_wrap(err, "id-range state") : 0;
}

/* key's entry as its index link names it: 1 and *e filled, 0 none. */
static int key_entry(int dirfd, const char *key, struct range_entry *e)
{
	char name[256];

	*e = (struct range_entry){0};
	/* the link names an entry in this directory, nothing else */
	if (!hr_idkey_read(dirfd, key, name, sizeof(name)) || strchr(name, '/') ||
	    entry_read(dirfd, name, e) < 0)
		return 0;
	if (strcmp(e->key, key) == 0)
		return 1;
	entry_clear(e);
	return 0;
}

/*
 * key's entry, also in a state dir an older hardrun wrote (no slot table,
 * so no index links yet): then by reading every entry, once.
 */
static int key_entry_any(int dirfd, const char *key, struct range_entry *e, struct hr_error **err)
{
	struct range_entries es = {0};
	int r = key_entry(dirfd, key, e);

	if (r || faccessat(dirfd, HR_IDSLOTS_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return r;
	if (entries_load(dirfd, &es, err) < 0)
		return -1;
	for (size_t i = 0; i < es.len && !r; i++)
		if (strcmp(es.e[i].key, key) == 0) {
			*e = es.e[i];
			es.e[i] = es.e[--es.len];
			r = 1;
		}
	entries_free(&es);
	return r;
}

/*
 * One step of the stale-range reclaim on each allocation: the entry of the
 * next counted slot (a walker over the table), so a leaked range's mounts
 * are detached long before the pool runs dry, at O(1) per allocation.
 * Sharers' entries are left to the rebuild.
 */
static void reclaim_step(const struct hr_policy *p, int dirfd, struct id_slots *s)
{
	struct range_entry e = {0};
	char name[16];
	uint32_t start = hr_idslots_walk_next(s);

	if (!start)
		return;
	hr_idslots_save_walk(s);
	snprintf(name, sizeof(name), "%" PRIu32, start);
	/* Mounts first: a range is free only once nothing maps to it. */
	if (entry_read(dirfd, name, &e) == 0 && entry_stale(&e, HR_IDRANGE_GRACE_SEC) &&
	    hr_idmount_release(p, e.key, NULL) == 0 && unlinkat(dirfd, name, 0) == 0) {
		hr_idkey_drop(dirfd, e.key, name);
		hr_idslots_add(s, e.start, e.size, -1, NULL);
	}
	entry_clear(&e);
}

/*
 * A free run of slots for size ids, counted taken in the table (written
 * through) before any entry names it: a writer killed after this leaves a
 * slot counted and unnamed, which the next rebuild frees, never a slot
 * named and uncounted.
 */
static int slot_take(const struct hr_policy *p, int dirfd, struct id_slots *s, uint32_t size,
		     uint32_t *start, struct hr_error **err)
{
	unsigned live = 0;
	char name[16];

	for (int pass = 0; pass < 2; pass++) {
		if (hr_idslots_find(s, size, start) == 0) {
			snprintf(name, sizeof(name), "%" PRIu32, *start);
			/* named but not counted: a table an older hardrun left behind */
			if (pass == 1 || faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				return hr_idslots_add(s, *start, size, 1, err);
		}
		if (pass == 0 &&
		    rebuild_locked(p, dirfd, s, HR_IDRANGE_GRACE_SEC, NULL, &live, err) < 0)
			return -1;
	}
	return hr_error_set(err, ENOSPC,
			    "id pool exhausted: %u ranges in use, none free of %" PRIu32 " ids",
			    live, size);
}

static uint32_t range_size(const struct hr_policy *p, uint32_t size)
{
	if (size)
		return size;
	return p->range_size ? p->range_size : HR_DEFAULT_RANGE;
}

/* key already holds a range: hand it back (same container id reused). */
static int reuse_locked(int dirfd, struct range_entry *e, const char *key, const char *root,
			const char *bundle, uint32_t *host_start, struct hr_error **err)
{
	if (strcmp(e->root, root) != 0 && container_exists(e->root, e->key))
		return hr_error_set(err, EBUSY,
				    "container `%s` already holds id range %" PRIu32
				    " under runtime root %s",
				    key, e->start, e->root);
	if (entry_write(dirfd, e->start, e->size, key, root, bundle, strchr(e->name, '.') != NULL,
			err) < 0)
		return -1;
	*host_start = e->start;
	return 0;
}

/* key holds a range of another size: it gives way unless another runtime's container lives. */
static int give_way(int dirfd, struct id_slots *s, struct range_entry *e, const char *root,
		    struct hr_error **err)
{
	if (strcmp(e->root, root) != 0 && container_exists(e->root, e->key))
		return hr_error_set(err, EBUSY,
				    "container `%s` already holds id range %" PRIu32
				    " under runtime root %s",
				    e->key, e->start, e->root);
	if (unlinkat(dirfd, e->name, 0) < 0 && errno != ENOENT)
		return hr_error_set(err, errno, "drop old id range of `%s`", e->key);
	/* uncounted only after the entry is gone: a kill in between overcounts */
	return hr_idslots_add(s, e->start, e->size, -1, err);
}

/* Index link, then entry: an entry is never without its link. */
static int entry_name_write(int dirfd, struct id_slots *s, uint32_t start, uint32_t size,
			    const char *key, const char *root, const char *bundle, bool share,
			    struct hr_error **err)
{
	_cleanup_free_ char *name =
	    share ? hr_xasprintf("%" PRIu32 ".%s", start, key) : hr_xasprintf("%" PRIu32, start);

	if (hr_idkey_write(dirfd, key, name, err) == 0 &&
	    entry_write(dirfd, start, size, key, root, bundle, share, err) == 0)
		return 0;
	/* nothing names the slot: give it back */
	hr_idkey_drop(dirfd, key, name);
	hr_idslots_add(s, start, size, -1, NULL);
	return -1;
}

int hr_idrange_acquire(const struct hr_policy *p, const char *key, const char *runtime_root,
		       const char *bundle, uint32_t size, uint32_t *host_start,
		       struct hr_error **err)
{
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	struct id_slots s = {.fd = -1};
	struct range_entry e = {0};
	struct id_pool pool = {0};
	const char *root = hr_runtime_root(runtime_root);
	int r = -1;

	if (!hr_file_name_ok(key))
		return hr_error_set(err, EINVAL, "invalid container id for an id range");
	size = range_size(p, size);
	if (pool_load(p, &pool, err) < 0)
		return -1;
	if (ranges_open(p, &dirfd, &lockfd, err) < 0 || slots_open(p, dirfd, &pool, &s, err) < 0)
		goto out;
	if (key_entry(dirfd, key, &e) == 1) {
		if (e.size == size) {
			r = reuse_locked(dirfd, &e, key, root, bundle, host_start, err);
			goto out;
		}
		if (give_way(dirfd, &s, &e, root, err) < 0)
			goto out;
	}
	reclaim_step(p, dirfd, &s);
	if (slot_take(p, dirfd, &s, size, host_start, err) == 0)
		r = entry_name_write(dirfd, &s, *host_start, size, key, root, bundle, false, err);
out:
	entry_clear(&e);
	hr_idslots_free(&s);
	pool_free(&pool);
	if (r < 0)
		hr_err_wrap(err, "allocate id range for `%s`", key ? key : "");
	return r;
}

int hr_idrange_lookup(const struct hr_policy *p, const char *key, uint32_t *host_start,
		      uint32_t *size, struct hr_error **err)
{
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	struct range_entry e = {0};
	int r;

	if (!hr_file_name_ok(key))
		return 0;
	if (ranges_open(p, &dirfd, &lockfd, err) < 0)
		return -1;
	r = key_entry_any(dirfd, key, &e, err);
	if (r == 1) {
		*host_start = e.start;
		if (size)
			*size = e.size;
	}
	entry_clear(&e);
	return r;
}

/* Uncount a dropped entry's range, if the table describes this pool. */
static void slots_uncount(const struct hr_policy *p, int dirfd, const struct range_entry *e)
{
	struct id_pool pool = {0};
	struct id_slots s = {.fd = -1};

	if (pool_load(p, &pool, NULL) == 0 &&
	    hr_idslots_load(dirfd, pool.iv, pool.len, range_size(p, 0), &s, NULL) == 1)
		hr_idslots_add(&s, e->start, e->size, -1, NULL);
	hr_idslots_free(&s);
	pool_free(&pool);
}

int hr_idrange_release(const struct hr_policy *p, const char *key, struct hr_error **err)
{
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	struct range_entry e = {0};
	int r = 0;

	if (!hr_file_name_ok(key))
		return 0;
	if (ranges_open(p, &dirfd, &lockfd, err) < 0)
		return hr_err_wrap(err, "release id range of `%s`", key);
	while ((r = key_entry_any(dirfd, key, &e, err)) == 1) {
		if (unlinkat(dirfd, e.name, 0) < 0 && errno != ENOENT) {
			r = hr_error_set(err, errno, "release id range %s of `%s`", e.name, key);
			break;
		}
		/* entry, then link, then count: a kill in between leaves a count too many */
		hr_idkey_drop(dirfd, key, e.name);
		slots_uncount(p, dirfd, &e);
		entry_clear(&e);
	}
	entry_clear(&e);
	return r < 0 ? -1 : 0;
}

int hr_idrange_reclaim(const struct hr_policy *p, int grace_sec, unsigned *reclaimed,
		       struct hr_error **err)
{
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	struct id_slots s = {.fd = -1};
	struct id_pool pool = {0};
	int r = -1;

	if (pool_load(p, &pool, err) == 0 && ranges_open(p, &dirfd, &lockfd, err) == 0 &&
	    hr_idslots_load(dirfd, pool.iv, pool.len, range_size(p, 0), &s, err) >= 0)
		r = rebuild_locked(p, dirfd, &s, grace_sec < 0 ? HR_IDRANGE_GRACE_SEC : grace_sec,
				   reclaimed, NULL, err);
	hr_idslots_free(&s);
	pool_free(&pool);
	return r < 0 ? hr_err_wrap(err, "reclaim id ranges") : 0;
}

int hr_idpool_check(const struct hr_policy *p, uint64_t start, uint64_t size, const char *key,
		    struct hr_error **err)
{
	struct id_pool pool = {0};
	bool overlap = false;
	uint32_t own = 0, own_size = 0;
	int r;

	if (pool_load(p, &pool, err) < 0)
		return -1;
	for (size_t i = 0; i < pool.len; i++)
		if (start < pool.iv[i].end && pool.iv[i].start < start + size)
			overlap = true;
	pool_free(&pool);
	if (!overlap)
		return 0;
	r = key ? hr_idrange_lookup(p, key, &own, &own_size, err) : 0;
	if (r < 0)
		return -1;
	return r == 1 && start >= own && start + size <= (uint64_t)own + own_size ? 1 : 2;
}

int hr_idrange_share(const struct hr_policy *p, const char *key, const char *runtime_root,
		     const char *bundle, uint32_t host_start, uint32_t size, struct hr_error **err)
{
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	struct id_slots s = {.fd = -1};
	struct range_entry e = {0};
	struct id_pool pool = {0};
	int r = -1;

	if (!hr_file_name_ok(key))
		return hr_error_set(err, EINVAL, "invalid container id for an id range");
	if (pool_load(p, &pool, err) < 0 || ranges_open(p, &dirfd, &lockfd, err) < 0 ||
	    slots_open(p, dirfd, &pool, &s, err) < 0)
		goto out;
	/* An older entry of this id (a crash, another range) gives way. */
	if (key_entry(dirfd, key, &e) == 1) {
		if (unlinkat(dirfd, e.name, 0) < 0 && errno != ENOENT) {
			r = hr_error_set(err, errno, "drop old id range of `%s`", key);
			goto out;
		}
		hr_idslots_add(&s, e.start, e.size, -1, NULL);
	}
	/* counted before the entry names it, as an allocation */
	if (hr_idslots_add(&s, host_start, size, 1, err) == 0)
		r = entry_name_write(dirfd, &s, host_start, size, key,
				     hr_runtime_root(runtime_root), bundle, true, err);
out:
	entry_clear(&e);
	hr_idslots_free(&s);
	pool_free(&pool);
	if (r < 0)
		hr_err_wrap(err, "share id range %" PRIu32 " with `%s`", host_start, key);
	return r;
}

/* sec-ns: the runtime root a key's range was allocated under (records as transactions). */
int hr_idrange_root_of(const struct hr_policy *p, const char *key, char **root)
{
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	struct range_entries es = {0};
	int r = 0;

	*root = NULL;
	if (!hr_file_name_ok(key) || ranges_open(p, &dirfd, &lockfd, NULL) < 0 ||
	    entries_load(dirfd, &es, NULL) < 0)
		return 0;
	for (size_t i = 0; i < es.len && !r; i++)
		if (strcmp(es.e[i].key, key) == 0) {
			*root = hr_xstrdup(es.e[i].root);
			r = 1;
		}
	entries_free(&es);
	return r;
}

/* sec-ns: lowest id of the pool and one past its highest (callers' mappings lie above). */
int hr_idpool_bounds(const struct hr_policy *p, uint32_t *first, uint64_t *end,
		     struct hr_error **err)
{
	struct id_pool pool = {0};
	uint64_t lo = UINT64_MAX, hi = 0;

	if (pool_load(p, &pool, err) < 0)
		return -1;
	for (size_t i = 0; i < pool.len; i++) {
		lo = pool.iv[i].start < lo ? pool.iv[i].start : lo;
		hi = pool.iv[i].end > hi ? pool.iv[i].end : hi;
	}
	pool_free(&pool);
	*first = (uint32_t)lo;
	*end = hi;
	return 0;
}
