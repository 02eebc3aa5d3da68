/* SPDX-License-Identifier: Apache-2.0 */
/* The id allocator's slot table: see src/idslots.h. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardrun/cleanup.h"
#include "hardrun/util.h"
#include "idslots.h"

#define SLOTS_MAGIC "HRSLOTS1"
#define SLOTS_MAX   65536u

struct slots_head {
	char magic[8];
	uint32_t granule, n;
	uint64_t pool;
	uint32_t walk, pad;
};

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ull;
	return h;
}

static uint32_t iv_slots(const struct id_iv *iv, uint32_t g)
{
	return (uint32_t)((iv->end - iv->start) / g);
}

static void geometry(struct id_slots *s, uint32_t range_size)
{
	uint64_t total = 0, h = 0xcbf29ce484222325ull;
	uint32_t g = range_size ? range_size : 1;

	for (size_t i = 0; i < s->niv; i++)
		total += s->iv[i].end - s->iv[i].start;
	/* A pool of many small ranges gets coarser slots, not a huge table. */
	if (total / g > SLOTS_MAX)
		g = (uint32_t)((total + SLOTS_MAX - 1) / SLOTS_MAX);
	s->granule = g;
	s->n = 0;
	h = fnv(h, g);
	for (size_t i = 0; i < s->niv; i++) {
		s->n += iv_slots(&s->iv[i], g);
		h = fnv(fnv(h, s->iv[i].start), s->iv[i].end);
	}
	s->pool = h;
}

int hr_idslots_load(int dirfd, const struct id_iv *iv, size_t niv, uint32_t range_size,
		    struct id_slots *s, struct hr_error **err)
{
	struct slots_head h;
	struct stat st;
	size_t len;

	*s = (struct id_slots){.fd = -1, .iv = iv, .niv = niv};
	geometry(s, range_size);
	s->count = hr_xcalloc(s->n ? s->n : 1, sizeof(*s->count));
	s->fd = openat(dirfd, HR_IDSLOTS_FILE, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (s->fd < 0)
		return errno == ENOENT ? 0 : hr_error_set(err, errno, "open id slot table");
	len = (size_t)s->n * sizeof(*s->count);
	if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != sizeof(h) + len || pread(s->fd, &h, sizeof(h), 0) != sizeof(h) ||
	    memcmp(h.magic, SLOTS_MAGIC, 8) != 0 || h.granule != s->granule || h.n != s->n ||
	    h.pool != s->pool || pread(s->fd, s->count, len, sizeof(h)) != (ssize_t)len) {
		memset(s->count, 0, len);
		return 0;
	}
	s->walk = h.walk < s->n ? h.walk : 0;
	return 1;
}

static uint64_t slot_start(const struct id_slots *s, uint32_t j)
{
	for (size_t i = 0; i < s->niv; i++) {
		uint32_t k = iv_slots(&s->iv[i], s->granule);
		if (j < k)
			return s->iv[i].start + (uint64_t)j * s->granule;
		j -= k;
	}
	return 0;
}

/* Every slot overlapping [start, start + size); lo..hi receive the span touched. */
static void mark(struct id_slots *s, uint64_t start, uint64_t size, int delta, uint32_t *lo,
		 uint32_t *hi)
{
	uint64_t base = 0, end = start + size;

	*lo = UINT32_MAX;
	*hi = 0;
	for (size_t i = 0; i < s->niv; i++) {
		uint32_t k = iv_slots(&s->iv[i], s->granule);
		uint64_t ivs = s->iv[i].start, ive = ivs + (uint64_t)k * s->granule;
		uint64_t a = start > ivs ? start : ivs, e = end < ive ? end : ive;

		for (uint64_t j = a < e ? (a - ivs) / s->granule : k;
		     j < k && ivs + j * s->granule < e; j++) {
			uint16_t *c = &s->count[base + j];
			/* A full counter sticks: a decrement must never free a held slot. */
			if (*c != UINT16_MAX && (delta > 0 || *c > 0))
				*c = (uint16_t)(*c + delta);
			*lo = (uint32_t)(base + j) < *lo ? (uint32_t)(base + j) : *lo;
			*hi = (uint32_t)(base + j + 1);
		}
		base += k;
	}
}

void hr_idslots_mark(struct id_slots *s, uint64_t start, uint64_t size, int delta)
{
	uint32_t lo, hi;

	mark(s, start, size, delta, &lo, &hi);
}

int hr_idslots_add(struct id_slots *s, uint64_t start, uint64_t size, int delta,
		   struct hr_error **err)
{
	uint32_t lo, hi;
	size_t len;

	mark(s, start, size, delta, &lo, &hi);
	if (lo >= hi)
		return 0;
	len = (size_t)(hi - lo) * sizeof(*s->count);
	if (pwrite(s->fd, &s->count[lo], len,
		   (off_t)(sizeof(struct slots_head) + lo * sizeof(*s->count))) != (ssize_t)len)
		return hr_error_set(err, errno ? errno : EIO, "write id slot table");
	return 0;
}

int hr_idslots_save(int dirfd, struct id_slots *s, struct hr_error **err)
{
	size_t len = sizeof(struct slots_head) + (size_t)s->n * sizeof(*s->count);
	_cleanup_free_ char *buf = hr_xmalloc(len);
	struct slots_head h = {.granule = s->granule, .n = s->n, .pool = s->pool, .walk = s->walk};

	memcpy(h.magic, SLOTS_MAGIC, 8);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), s->count, len - sizeof(h));
	if (hr_idstate_write(dirfd, HR_IDSLOTS_FILE, buf, len, err) < 0)
		return -1;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = openat(dirfd, HR_IDSLOTS_FILE, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	return s->fd < 0 ? hr_error_set(err, errno, "open id slot table") : 0;
}

void hr_idslots_save_walk(struct id_slots *s)
{
	/* Only a hint: a lost update makes the walker look at a slot twice. */
	if (s->fd >= 0 && pwrite(s->fd, &s->walk, sizeof(s->walk),
				 offsetof(struct slots_head, walk)) != sizeof(s->walk))
		return;
}

int hr_idslots_find(const struct id_slots *s, uint32_t size, uint32_t *start)
{
	uint32_t m = (size + s->granule - 1) / s->granule, base = 0;

	for (size_t i = 0; i < s->niv; i++) {
		uint32_t k = iv_slots(&s->iv[i], s->granule);
		for (uint32_t j = 0; m && j + m <= k; j += m) {
			uint32_t f = 0;
			while (f < m && s->count[base + j + f] == 0)
				f++;
			if (f == m) {
				*start = (uint32_t)(s->iv[i].start + (uint64_t)j * s->granule);
				return 0;
			}
		}
		base += k;
	}
	return -1;
}

uint32_t hr_idslots_walk_next(struct id_slots *s)
{
	for (uint32_t t = 0; t < s->n; t++) {
		uint32_t j = (s->walk + t) % s->n;
		if (s->count[j]) {
			s->walk = (j + 1) % s->n;
			return (uint32_t)slot_start(s, j);
		}
	}
	return 0;
}

void hr_idslots_free(struct id_slots *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->count);
	s->count = NULL;
}

#define KEYS_DIR ".keys"

int hr_idkey_read(int dirfd, const char *key, char *name, size_t size)
{
	_cleanup_free_ char *link = hr_xasprintf(KEYS_DIR "/%s", key);
	ssize_t n = readlinkat(dirfd, link, name, size - 1);

	if (n <= 0 || (size_t)n >= size - 1)
		return 0;
	name[n] = '\0';
	return 1;
}

int hr_idkey_write(int dirfd, const char *key, const char *name, struct hr_error **err)
{
	static const char tmp[] = KEYS_DIR ".tmp"; /* beside .keys: any name in it is a key */
	_cleanup_free_ char *link = hr_xasprintf(KEYS_DIR "/%s", key);

	/* Under the allocator's lock: no other writer of the temporary link. */
	unlinkat(dirfd, tmp, 0);
	if (symlinkat(name, dirfd, tmp) < 0)
		return hr_error_set(err, errno, "id range index of `%s`", key);
	if (renameat(dirfd, tmp, dirfd, link) < 0 &&
	    (errno != ENOENT || (mkdirat(dirfd, KEYS_DIR, 0700) < 0 && errno != EEXIST) ||
	     renameat(dirfd, tmp, dirfd, link) < 0))
		return hr_error_set(err, errno, "id range index of `%s`", key);
	return 0;
}

void hr_idkey_drop(int dirfd, const char *key, const char *name)
{
	_cleanup_free_ char *link = hr_xasprintf(KEYS_DIR "/%s", key);
	char cur[256];

	/* Only the index of that entry: a newer one of the key stays. */
	if (name && (!hr_idkey_read(dirfd, key, cur, sizeof(cur)) || strcmp(cur, name) != 0))
		return;
	unlinkat(dirfd, link, 0);
}

int hr_idstate_write(int dirfd, const char *name, const void *data, size_t len,
		     struct hr_error **err)
{
	/* Named as hr_write_file_atomic names its temporaries: hr_idrange_sweep removes a
	 * killed writer's.  Under the allocator's lock, so no other writer of this name. */
	_cleanup_free_ char *tmp = hr_xasprintf(".%s.hardrun-%d-0", name, (int)getpid());
	_cleanup_close_ int fd = -1;

	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hr_error_set(err, errno, "create temporary file for `%s`", name);
	if (hr_write_all(fd, data, len) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
		int saved = errno;
		unlinkat(dirfd, tmp, 0);
		return hr_error_set(err, saved, "replace `%s`", name);
	}
	return 0;
}
