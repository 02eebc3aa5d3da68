/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HARDRUN_JSON_H
#define HARDRUN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hardrun/error.h"

/*
 * A mutable JSON tree.  Parsing keeps everything a round trip needs: object
 * key order, keys hardrun does not know, and the exact text of every number
 * ("18446744073709551615", "-1", "1e3" come back byte-identical).
 *
 * The tree sees a config the way runc's Go decoder does: object keys are
 * matched ASCII-case-insensitively (plus the two non-ASCII letters Go folds
 * to ASCII: U+212A KELVIN SIGN to 'k', U+017F LONG S to 's'), so an object
 * holding two keys that collide under that matching is rejected at parse
 * time, and hr_json_get() finds "Process" when asked for "process".
 *
 * yajl is included by src/json.c only.
 */

enum hr_json_type {
	HR_JSON_NULL,
	HR_JSON_BOOL,
	HR_JSON_NUMBER,
	HR_JSON_STRING,
	HR_JSON_ARRAY,
	HR_JSON_OBJECT,
};

struct hr_json;

struct hr_json_member {
	char *key; /* NUL-terminated; keys containing NUL are rejected by the parser */
	struct hr_json *value;
};

struct hr_json {
	enum hr_json_type type;
	union {
		bool boolean;
		char *number; /* original text, NUL-terminated */
		struct {
			char *str; /* NUL-terminated, may hold embedded NULs */
			size_t len;
		} s;
		struct {
			struct hr_json **items;
			size_t len, cap;
		} arr;
		struct {
			struct hr_json_member *members;
			size_t len, cap;
		} obj;
	};
};

/* Limits applied while parsing; exceeding one is an error, never a crash. */
struct hr_json_limits {
	size_t max_bytes; /* whole document */
	unsigned max_depth;
};

/* 64 MiB and 128 levels: far above any real config, far below trouble. */
extern const struct hr_json_limits hr_json_default_limits;

/*
 * Parse buf[0..len) into a tree.  limits may be NULL for the defaults.
 * Strict JSON: no comments, no trailing garbage, valid UTF-8 only.  Returns
 * NULL and sets *err with a message naming the byte offset on failure.
 */
struct hr_json *hr_json_parse(const char *buf, size_t len, const struct hr_json_limits *limits,
			      struct hr_error **err);

/*
 * Serialize.  pretty adds newlines and tab indentation.  On success *out is a
 * malloc'd NUL-terminated buffer of *outlen bytes.
 */
int hr_json_serialize(const struct hr_json *j, bool pretty, char **out, size_t *outlen,
		      struct hr_error **err);

void hr_json_free(struct hr_json *j);
static inline void hr_json_freep(struct hr_json **j)
{
	hr_json_free(*j);
}
#define _cleanup_json_ __attribute__((cleanup(hr_json_freep)))

/* Deep copy; aborts on OOM. */
struct hr_json *hr_json_clone(const struct hr_json *j);

/* Deep structural equality (numbers compared by text). */
bool hr_json_equal(const struct hr_json *a, const struct hr_json *b);

/* Go-style key equality used for lookups and collision checks. */
bool hr_json_key_equal(const char *a, const char *b);

/* Constructors; abort on OOM. */
struct hr_json *hr_json_new(enum hr_json_type type);
struct hr_json *hr_json_new_string(const char *s);
struct hr_json *hr_json_new_bool(bool b);
struct hr_json *hr_json_new_int(int64_t v);
struct hr_json *hr_json_new_uint(uint64_t v);

/*
 * Object access.  hr_json_get() returns the member value whose key matches
 * name under Go's folding, or NULL (also when obj is not an object).  A JSON
 * null value is returned as such: use hr_json_is_null() for "absent".
 */
struct hr_json *hr_json_get(const struct hr_json *obj, const char *name);

/* Follow a '/'-separated path of object keys ("linux/seccomp"). */
struct hr_json *hr_json_get_path(const struct hr_json *obj, const char *path);

/* True if j is NULL or a JSON null. */
static inline bool hr_json_is_null(const struct hr_json *j)
{
	return j == NULL || j->type == HR_JSON_NULL;
}

/*
 * Set member `name` (matched with Go folding; original spelling kept when
 * replacing) to value, taking ownership of value.  Appended when absent.
 * On anything but an object, value is freed and nothing changes.
 */
void hr_json_set(struct hr_json *obj, const char *name, struct hr_json *value);

/* Remove member `name`; returns true if one was removed. */
bool hr_json_remove(struct hr_json *obj, const char *name);

/*
 * Return the object member `name`, creating it as an empty object when it is
 * absent or null.  Returns NULL if it exists with another type.
 */
struct hr_json *hr_json_ensure_object(struct hr_json *obj, const char *name);
/* Same for arrays. */
struct hr_json *hr_json_ensure_array(struct hr_json *obj, const char *name);

/* Array access.  hr_json_append on anything but an array frees value. */
void hr_json_append(struct hr_json *arr, struct hr_json *value);
/* Remove and free item i. */
void hr_json_array_remove(struct hr_json *arr, size_t i);

/* Typed readers: return false if j is not of that type / out of range. */
bool hr_json_as_int64(const struct hr_json *j, int64_t *out);
bool hr_json_as_uint64(const struct hr_json *j, uint64_t *out);
/* Returns the string, or NULL if j is not a string or holds a NUL byte. */
const char *hr_json_as_string(const struct hr_json *j);

/* Short type name for error messages ("string", "object", ...). */
const char *hr_json_type_name(enum hr_json_type t);

/* Compact JSON text of j (for before/after); malloc'd, never NULL. */
char *hr_json_brief(const struct hr_json *j);

#endif
