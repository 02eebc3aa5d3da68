/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The id allocator's slot table (internal to src/idmap.c): ranges/.slots
 * counts, per granule of the pool, the range entries (owner or sharer)
 * that overlap it, so an allocation reads one small file instead of every
 * entry.  The entries stay the truth; the table may only ever count too
 * many (a killed writer), never too few, and is rebuilt from the entries
 * when it is missing, was made for another pool, or the pool looks full.
 */
#ifndef HARDRUN_IDSLOTS_H
#define HARDRUN_IDSLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "hardrun/error.h"

struct id_iv {
	uint64_t start, end; /* [start, end) */
};

struct id_slots {
	int fd; /* ranges/.slots, read-write; -1 before load */
	uint32_t granule, n, walk;
	uint64_t pool; /* hash of the pool and granule the table was cut for */
	uint16_t *count;
	const struct id_iv *iv;
	size_t niv;
};

#define HR_IDSLOTS_FILE ".slots"

/*
 * Cut the pool (iv, niv; kept by reference) into granules of range_size
 * ids (coarser when that would make more than 65536 slots) and load the
 * table for it.  1: loaded; 0: missing or made for another pool (counts
 * zeroed: the caller rebuilds from the entries and saves); < 0: error.
 */
int hr_idslots_load(int dirfd, const struct id_iv *iv, size_t niv, uint32_t range_size,
		    struct id_slots *s, struct hr_error **err);

/* Count [start, start + size) once more (delta 1) or once less (-1), in memory. */
void hr_idslots_mark(struct id_slots *s, uint64_t start, uint64_t size, int delta);

/* The same, written through to the table at once (one pwrite). */
int hr_idslots_add(struct id_slots *s, uint64_t start, uint64_t size, int delta,
		   struct hr_error **err);

/* Replace the whole table atomically (after a rebuild). */
int hr_idslots_save(int dirfd, struct id_slots *s, struct hr_error **err);

/* Remember the reclaim walker's position (one pwrite). */
void hr_idslots_save_walk(struct id_slots *s);

/* Lowest free run of granules for size ids, at a multiple of size in its interval. */
int hr_idslots_find(const struct id_slots *s, uint32_t size, uint32_t *start);

/* Next counted slot at or after the walker (wrapping): its first id, or 0 if none. */
uint32_t hr_idslots_walk_next(struct id_slots *s);

void hr_idslots_free(struct id_slots *s);

/*
 * The key index: ranges/.keys/<key>, a symbolic link to the name of key's
 * entry, so a lookup by container id reads one link.  Written before the
 * entry and checked against it (the entry names its key), so a link
 * without an entry is no range.
 */
int hr_idkey_read(int dirfd, const char *key, char *name, size_t size);
int hr_idkey_write(int dirfd, const char *key, const char *name, struct hr_error **err);
/* Remove key's link if it names `name` (NULL: whatever it names). */
void hr_idkey_drop(int dirfd, const char *key, const char *name);

/*
 * Replace name in the ranges directory atomically (temporary file, rename)
 * without reading the directory: the allocation path must not grow with the
 * containers on the node.  A killed writer's temporary is removed by
 * hr_idrange_sweep after the start.  Lock held.
 */
int hr_idstate_write(int dirfd, const char *name, const void *data, size_t len,
		     struct hr_error **err);

#endif
