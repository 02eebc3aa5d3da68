/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "hardrun/cleanup.h"
#include "hardrun/json.h"
#include "hardrun/util.h"

const struct hr_json_limits hr_json_default_limits = {
    .max_bytes = 64u << 20,
    .max_depth = 128,
};

/* ---- Go-compatible key folding ---------------------------------------- */

/*
 * Go's encoding/json matches object keys to struct fields case-insensitively.
 * Field names are ASCII, so the only non-ASCII runes that can fold onto them
 * are U+212A KELVIN SIGN (k) and U+017F LATIN SMALL LETTER LONG S (s).
 * Returns the next folded byte and advances *p.
 */
static int fold_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	if (s[0] == 0xE2 && s[1] == 0x84 && s[2] == 0xAA) {
		*p += 3;
		return 'k';
	}
	if (s[0] == 0xC5 && s[1] == 0xBF) {
		*p += 2;
		return 's';
	}
	*p += 1;
	return (s[0] >= 'A' && s[0] <= 'Z') ? s[0] + ('a' - 'A') : s[0];
}

static int key_cmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	for (;;) {
		int ca = *pa ? fold_next(&pa) : 0;
		int cb = *pb ? fold_next(&pb) : 0;
		if (ca != cb)
			return ca - cb;
		if (ca == 0)
			return 0;
	}
}

bool hr_json_key_equal(const char *a, const char *b)
{
	return key_cmp(a, b) == 0;
}

/* ---- construction and destruction ------------------------------------- */

struct hr_json *hr_json_new(enum hr_json_type type)
{
	struct hr_json *j = hr_xcalloc(1, sizeof(*j));
	j->type = type;
	return j;
}

static struct hr_json *new_string_len(const char *s, size_t len)
{
	struct hr_json *j = hr_json_new(HR_JSON_STRING);
	j->s.str = hr_xmalloc(len + 1);
	memcpy(j->s.str, s, len);
	j->s.str[len] = '\0';
	j->s.len = len;
	return j;
}

struct hr_json *hr_json_new_string(const char *s)
{
	return new_string_len(s, strlen(s));
}

struct hr_json *hr_json_new_bool(bool b)
{
	struct hr_json *j = hr_json_new(HR_JSON_BOOL);
	j->boolean = b;
	return j;
}

struct hr_json *hr_json_new_int(int64_t v)
{
	struct hr_json *j = hr_json_new(HR_JSON_NUMBER);
	j->number = hr_xasprintf("%" PRId64, v);
	return j;
}

struct hr_json *hr_json_new_uint(uint64_t v)
{
	struct hr_json *j = hr_json_new(HR_JSON_NUMBER);
	j->number = hr_xasprintf("%" PRIu64, v);
	return j;
}

void hr_json_free(struct hr_json *j)
{
	if (!j)
		return;
	switch (j->type) {
	case HR_JSON_NUMBER:
		free(j->number);
		break;
	case HR_JSON_STRING:
		free(j->s.str);
		break;
	case HR_JSON_ARRAY:
		for (size_t i = 0; i < j->arr.len; i++)
			hr_json_free(j->arr.items[i]);
		free(j->arr.items);
		break;
	case HR_JSON_OBJECT:
		for (size_t i = 0; i < j->obj.len; i++) {
			free(j->obj.members[i].key);
			hr_json_free(j->obj.members[i].value);
		}
		free(j->obj.members);
		break;
	default:
		break;
	}
	free(j);
}

struct hr_json *hr_json_clone(const struct hr_json *j)
{
	struct hr_json *c = NULL;
	if (!j)
		return NULL;
	switch (j->type) {
	case HR_JSON_NUMBER:
		c = hr_json_new(HR_JSON_NUMBER);
		c->number = hr_xstrdup(j->number);
		return c;
	case HR_JSON_STRING:
		return new_string_len(j->s.str, j->s.len);
	case HR_JSON_ARRAY:
		c = hr_json_new(HR_JSON_ARRAY);
		c->arr.cap = j->arr.len;
		c->arr.items = hr_xcalloc(j->arr.len, sizeof(*c->arr.items));
		for (size_t i = 0; i < j->arr.len; i++)
			c->arr.items[i] = hr_json_clone(j->arr.items[i]);
		c->arr.len = j->arr.len;
		return c;
	case HR_JSON_OBJECT:
		c = hr_json_new(HR_JSON_OBJECT);
		c->obj.cap = j->obj.len;
		c->obj.members = hr_xcalloc(j->obj.len, sizeof(*c->obj.members));
		for (size_t i = 0; i < j->obj.len; i++) {
			c->obj.members[i].key = hr_xstrdup(j->obj.members[i].key);
			c->obj.members[i].value = hr_json_clone(j->obj.members[i].value);
		}
		c->obj.len = j->obj.len;
		return c;
	default:
		c = hr_json_new(j->type);
		c->boolean = j->boolean;
		return c;
	}
}

bool hr_json_equal(const struct hr_json *a, const struct hr_json *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case HR_JSON_NULL:
		return true;
	case HR_JSON_BOOL:
		return a->boolean == b->boolean;
	case HR_JSON_NUMBER:
		return strcmp(a->number, b->number) == 0;
	case HR_JSON_STRING:
		return a->s.len == b->s.len && memcmp(a->s.str, b->s.str, a->s.len) == 0;
	case HR_JSON_ARRAY:
		if (a->arr.len != b->arr.len)
			return false;
		for (size_t i = 0; i < a->arr.len; i++)
			if (!hr_json_equal(a->arr.items[i], b->arr.items[i]))
				return false;
		return true;
	case HR_JSON_OBJECT:
		if (a->obj.len != b->obj.len)
			return false;
		for (size_t i = 0; i < a->obj.len; i++) {
			if (strcmp(a->obj.members[i].key, b->obj.members[i].key) != 0 ||
			    !hr_json_equal(a->obj.members[i].value, b->obj.members[i].value))
				return false;
		}
		return true;
	}
	return false;
}

/* ---- object and array access ------------------------------------------ */

static struct hr_json_member *find_member(const struct hr_json *obj, const char *name)
{
	if (!obj || obj->type != HR_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->obj.len; i++)
		if (key_cmp(obj->obj.members[i].key, name) == 0)
			return &obj->obj.members[i];
	return NULL;
}

struct hr_json *hr_json_get(const struct hr_json *obj, const char *name)
{
	struct hr_json_member *m = find_member(obj, name);
	return m ? m->value : NULL;
}

struct hr_json *hr_json_get_path(const struct hr_json *obj, const char *path)
{
	char key[256];
	const struct hr_json *cur = obj;
	while (cur && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		cur = hr_json_get(cur, key);
		path += n + (slash ? 1 : 0);
	}
	return (struct hr_json *)cur;
}

static void obj_append(struct hr_json *obj, char *key, struct hr_json *value)
{
	if (obj->obj.len == obj->obj.cap) {
		obj->obj.cap = obj->obj.cap ? obj->obj.cap * 2 : 8;
		obj->obj.members =
		    hr_xrealloc(obj->obj.members, obj->obj.cap * sizeof(*obj->obj.members));
	}
	obj->obj.members[obj->obj.len].key = key;
	obj->obj.members[obj->obj.len].value = value;
	obj->obj.len++;
}

void hr_json_set(struct hr_json *obj, const char *name, struct hr_json *value)
{
	if (!obj || obj->type != HR_JSON_OBJECT) {
		hr_json_free(value);
		return;
	}
	struct hr_json_member *m = find_member(obj, name);
	if (m) {
		hr_json_free(m->value);
		m->value = value;
		return;
	}
	obj_append(obj, hr_xstrdup(name), value);
}

bool hr_json_remove(struct hr_json *obj, const char *name)
{
	struct hr_json_member *m = find_member(obj, name);
	if (!m)
		return false;
	size_t i = (size_t)(m - obj->obj.members);
	free(m->key);
	hr_json_free(m->value);
	memmove(&obj->obj.members[i], &obj->obj.members[i + 1],
		(obj->obj.len - i - 1) * sizeof(*obj->obj.members));
	obj->obj.len--;
	return true;
}

static struct hr_json *ensure_type(struct hr_json *obj, const char *name, enum hr_json_type t)
{
	struct hr_json *v = hr_json_get(obj, name);
	if (v && v->type == t)
		return v;
	if (v && v->type != HR_JSON_NULL)
		return NULL;
	if (!obj || obj->type != HR_JSON_OBJECT)
		return NULL;
	v = hr_json_new(t);
	hr_json_set(obj, name, v);
	return v;
}

struct hr_json *hr_json_ensure_object(struct hr_json *obj, const char *name)
{
	return ensure_type(obj, name, HR_JSON_OBJECT);
}

struct hr_json *hr_json_ensure_array(struct hr_json *obj, const char *name)
{
	return ensure_type(obj, name, HR_JSON_ARRAY);
}

void hr_json_append(struct hr_json *arr, struct hr_json *value)
{
	if (!arr || arr->type != HR_JSON_ARRAY) {
		hr_json_free(value);
		return;
	}
	if (arr->arr.len == arr->arr.cap) {
		arr->arr.cap = arr->arr.cap ? arr->arr.cap * 2 : 8;
		arr->arr.items =
		    hr_xrealloc(arr->arr.items, arr->arr.cap * sizeof(*arr->arr.items));
	}
	arr->arr.items[arr->arr.len++] = value;
}

void hr_json_array_remove(struct hr_json *arr, size_t i)
{
	if (!arr || arr->type != HR_JSON_ARRAY || i >= arr->arr.len)
		return;
	hr_json_free(arr->arr.items[i]);
	memmove(&arr->arr.items[i], &arr->arr.items[i + 1],
		(arr->arr.len - i - 1) * sizeof(*arr->arr.items));
	arr->arr.len--;
}

bool hr_json_as_int64(const struct hr_json *j, int64_t *out)
{
	char *end = NULL;
	if (!j || j->type != HR_JSON_NUMBER)
		return false;
	errno = 0;
	long long v = strtoll(j->number, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

bool hr_json_as_uint64(const struct hr_json *j, uint64_t *out)
{
	char *end = NULL;
	if (!j || j->type != HR_JSON_NUMBER || j->number[0] == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(j->number, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

const char *hr_json_as_string(const struct hr_json *j)
{
	if (!j || j->type != HR_JSON_STRING || strlen(j->s.str) != j->s.len)
		return NULL;
	return j->s.str;
}

const char *hr_json_type_name(enum hr_json_type t)
{
	static const char *const names[] = {"null",   "boolean", "number",
					    "string", "array",	 "object"};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* ---- parsing ----------------------------------------------------------- */

struct parser {
	struct hr_json *root;
	struct hr_json **stack;
	size_t depth, cap;
	char *key; /* pending object key */
	const struct hr_json_limits *limits;
	char *error; /* our own reason to cancel */
};

static int add_value(struct parser *p, struct hr_json *v)
{
	if (p->depth == 0) {
		p->root = v;
		return 1;
	}
	struct hr_json *top = p->stack[p->depth - 1];
	if (top->type == HR_JSON_ARRAY) {
		hr_json_append(top, v);
	} else {
		obj_append(top, p->key, v);
		p->key = NULL;
	}
	return 1;
}

static int push(struct parser *p, enum hr_json_type t)
{
	if (p->depth >= p->limits->max_depth) {
		p->error = hr_xasprintf("nesting deeper than %u levels", p->limits->max_depth);
		return 0;
	}
	struct hr_json *v = hr_json_new(t);
	add_value(p, v);
	if (p->depth == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->stack = hr_xrealloc(p->stack, p->cap * sizeof(*p->stack));
	}
	p->stack[p->depth++] = v;
	return 1;
}

static int cb_null(void *ctx)
{
	return add_value(ctx, hr_json_new(HR_JSON_NULL));
}

static int cb_boolean(void *ctx, int b)
{
	return add_value(ctx, hr_json_new_bool(b));
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	struct hr_json *v = hr_json_new(HR_JSON_NUMBER);
	v->number = hr_xstrndup(s, len);
	return add_value(ctx, v);
}

/*
 * Well-formed UTF-8 only (RFC 3629): yajl lets overlong forms such as
 * C0 AF ('/') through, which Go would turn into U+FFFD, so hardrun and runc
 * would read different strings.
 */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n = c < 0x80		? 0
			   : (c & 0xE0) == 0xC0 ? 1
			   : (c & 0xF0) == 0xE0 ? 2
			   : (c & 0xF8) == 0xF0 ? 3
						: 4;
		if (n == 4 || i + n >= len + (n ? 0 : 1))
			return false;
		uint32_t cp = n == 0 ? c : c & (0x3F >> n);
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
		if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	if (!utf8_valid(s, len)) {
		p->error = hr_xstrdup("string is not well-formed UTF-8");
		return 0;
	}
	return add_value(ctx, new_string_len((const char *)s, len));
}

static int cb_start_map(void *ctx)
{
	return push(ctx, HR_JSON_OBJECT);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	if (memchr(s, '\0', len)) {
		p->error = hr_xstrdup("object key contains a NUL character");
		return 0;
	}
	if (!utf8_valid(s, len)) {
		p->error = hr_xstrdup("object key is not well-formed UTF-8");
		return 0;
	}
	free(p->key);
	p->key = hr_xstrndup((const char *)s, len);
	return 1;
}

static int cmp_keyp(const void *a, const void *b)
{
	return key_cmp(*(char *const *)a, *(char *const *)b);
}

/*
 * runc's decoder keeps the last of two keys that fold together, so a config
 * could hide "Process" behind "process" from a checker that takes the first.
 * Refuse the ambiguity outright.
 */
static int check_collisions(struct parser *p, const struct hr_json *obj)
{
	size_t n = obj->obj.len;
	const char *dup = NULL, *dup2 = NULL;
	if (n < 2)
		return 1;
	if (n <= 16) {
		for (size_t i = 0; i < n && !dup; i++)
			for (size_t j = i + 1; j < n && !dup; j++)
				if (key_cmp(obj->obj.members[i].key, obj->obj.members[j].key) ==
				    0) {
					dup = obj->obj.members[i].key;
					dup2 = obj->obj.members[j].key;
				}
	} else {
		_cleanup_free_ char **keys = hr_xcalloc(n, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			keys[i] = obj->obj.members[i].key;
		qsort(keys, n, sizeof(char *), cmp_keyp);
		for (size_t i = 0; i + 1 < n && !dup; i++)
			if (key_cmp(keys[i], keys[i + 1]) == 0) {
				dup = keys[i];
				dup2 = keys[i + 1];
			}
	}
	if (dup) {
		p->error = hr_xasprintf(
		    "duplicate key \"%s\" and \"%s\" (runc would read them as one field)", dup,
		    dup2);
		return 0;
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct parser *p = ctx;
	return check_collisions(p, p->stack[--p->depth]);
}

static int cb_start_array(void *ctx)
{
	return push(ctx, HR_JSON_ARRAY);
}

static int cb_end_array(void *ctx)
{
	struct parser *p = ctx;
	p->depth--;
	return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end_map,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end_array,
};

static void yajl_reason(yajl_handle h, const char *buf, size_t len, bool at_end, struct parser *p,
			struct hr_error **err)
{
	/* An error found by the final flush is at the end of the input. */
	size_t off = at_end ? len : yajl_get_bytes_consumed(h);
	if (p->error) {
		hr_error_set(err, 0, "invalid JSON at byte %zu: %s", off, p->error);
		return;
	}
	unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)buf, len);
	char *s = (char *)msg;
	if (s) {
		s[strcspn(s, "\n")] = '\0';
		if (strncmp(s, "parse error: ", 13) == 0)
			s += 13;
	}
	hr_error_set(err, 0, "invalid JSON at byte %zu: %s", off, s ? s : "parse error");
	yajl_free_error(h, msg);
}

struct hr_json *hr_json_parse(const char *buf, size_t len, const struct hr_json_limits *limits,
			      struct hr_error **err)
{
	struct parser p = {.limits = limits ? limits : &hr_json_default_limits};
	yajl_handle h = NULL;
	yajl_status st;

	if (len > p.limits->max_bytes) {
		hr_error_set(err, 0, "JSON document of %zu bytes exceeds the limit of %zu bytes",
			     len, p.limits->max_bytes);
		return NULL;
	}
	h = yajl_alloc(&callbacks, NULL, &p);
	if (!h)
		abort();
	st = yajl_parse(h, (const unsigned char *)buf, len);
	bool at_end = false;
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		at_end = true;
	}
	if (st != yajl_status_ok || p.root == NULL) {
		if (st == yajl_status_ok)
			hr_error_set(err, 0, "invalid JSON: empty document");
		else
			yajl_reason(h, buf, len, at_end, &p, err);
		hr_json_free(p.root);
		p.root = NULL;
	}
	yajl_free(h);
	free(p.stack);
	free(p.key);
	free(p.error);
	return p.root;
}

/* ---- serialization ----------------------------------------------------- */

static yajl_gen_status gen_value(yajl_gen g, const struct hr_json *j)
{
	yajl_gen_status s = yajl_gen_status_ok;
	switch (j->type) {
	case HR_JSON_NULL:
		return yajl_gen_null(g);
	case HR_JSON_BOOL:
		return yajl_gen_bool(g, j->boolean);
	case HR_JSON_NUMBER:
		return yajl_gen_number(g, j->number, strlen(j->number));
	case HR_JSON_STRING:
		return yajl_gen_string(g, (const unsigned char *)j->s.str, j->s.len);
	case HR_JSON_ARRAY:
		s = yajl_gen_array_open(g);
		for (size_t i = 0; i < j->arr.len && s == yajl_gen_status_ok; i++)
			s = gen_value(g, j->arr.items[i]);
		return s == yajl_gen_status_ok ? yajl_gen_array_close(g) : s;
	case HR_JSON_OBJECT:
		s = yajl_gen_map_open(g);
		for (size_t i = 0; i < j->obj.len && s == yajl_gen_status_ok; i++) {
			const char *k = j->obj.members[i].key;
			s = yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			if (s == yajl_gen_status_ok)
				s = gen_value(g, j->obj.members[i].value);
		}
		return s == yajl_gen_status_ok ? yajl_gen_map_close(g) : s;
	}
	return yajl_gen_invalid_string;
}

int hr_json_serialize(const struct hr_json *j, bool pretty, char **out, size_t *outlen,
		      struct hr_error **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf = NULL;
	size_t len = 0;
	int ret = 0;

	if (!g)
		abort();
	if (pretty) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "\t");
	}
	yajl_gen_status s = gen_value(g, j);
	if (s != yajl_gen_status_ok) {
		ret = hr_error_set(err, 0, "cannot serialize JSON (yajl status %d)", (int)s);
	} else {
		yajl_gen_get_buf(g, &buf, &len);
		*out = hr_xmalloc(len + 1);
		memcpy(*out, buf, len);
		(*out)[len] = '\0';
		if (outlen)
			*outlen = len;
	}
	yajl_gen_free(g);
	return ret;
}

char *hr_json_brief(const struct hr_json *j)
{
	char *out = NULL;
	if (!j)
		return hr_xstrdup("null");
	if (hr_json_serialize(j, false, &out, NULL, NULL) < 0)
		return hr_xstrdup("?");
	return out;
}
