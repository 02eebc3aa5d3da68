/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "hardrun/json.h"
#include "tap.h"

static char *roundtrip(const char *in, bool pretty)
{
	struct hr_error *err = NULL;
	char *out = NULL;
	struct hr_json *j = hr_json_parse(in, strlen(in), NULL, &err);
	if (!j) {
		printf("# parse error: %s\n", err->msg);
		hr_error_clear(&err);
		return NULL;
	}
	if (hr_json_serialize(j, pretty, &out, NULL, &err) < 0)
		hr_error_clear(&err);
	hr_json_free(j);
	return out;
}

static char *parse_error(const char *in, size_t len, const struct hr_json_limits *lim)
{
	struct hr_error *err = NULL;
	struct hr_json *j = hr_json_parse(in, len, lim, &err);
	if (j) {
		hr_json_free(j);
		return NULL;
	}
	char *m = strdup(err->msg);
	hr_error_clear(&err);
	return m;
}

static void test_numbers(void)
{
	static const char *const cases[] = {
	    "[18446744073709551615]",		"[-1]", "[1e3]", "[1E+400]", "[-0]", "[0.1000]",
	    "[123456789012345678901234567890]", NULL,
	};
	for (size_t i = 0; cases[i]; i++) {
		char *o = roundtrip(cases[i], false);
		is_str(o, cases[i], "number text survives a round trip: %s", cases[i]);
		free(o);
	}
}

static void test_order_unknown_fields(void)
{
	const char *in = "{\"zeta\":1,\"ociVersion\":\"1.0.2\",\"x-vendor\":{\"b\":[true,null,"
			 "false],\"a\":\"\\u00e9\\n\"},\"alpha\":{}}";
	char *o = roundtrip(in, false);
	is_str(o,
	       "{\"zeta\":1,\"ociVersion\":\"1.0.2\",\"x-vendor\":{\"b\":[true,null,false],"
	       "\"a\":\"\xc3\xa9\\n\"},\"alpha\":{}}",
	       "key order and unknown fields are kept");
	free(o);
	o = roundtrip("\"a\\u0000b\"", false);
	is_str(o, "\"a\\u0000b\"", "embedded NUL in a string survives");
	free(o);
}

static void test_collisions(void)
{
	char *m = parse_error("{\"process\":{},\"Process\":{}}", 27, NULL);
	ok(m && strstr(m, "duplicate key"), "case-variant keys are rejected: %s", m ? m : "");
	free(m);
	m = parse_error("{\"a\":1,\"a\":2}", 13, NULL);
	ok(m != NULL, "exact duplicate keys are rejected");
	free(m);
	/* U+017F LATIN SMALL LETTER LONG S folds to 's' in Go. */
	const char *ls = "{\"seccomp\":1,\"\xc5\xbf"
			 "eccomp\":2}";
	m = parse_error(ls, strlen(ls), NULL);
	ok(m != NULL, "long-s variant of a key is rejected");
	free(m);
	const char *kv = "{\"mask\":1,\"mas\xe2\x84\xaa\":2}";
	m = parse_error(kv, strlen(kv), NULL);
	ok(m != NULL, "Kelvin-sign variant of a key is rejected");
	free(m);
	/* Many keys use the sorted path. */
	char big[4096] = "{";
	for (int i = 0; i < 40; i++)
		sprintf(big + strlen(big), "\"k%d\":%d,", i, i);
	strcat(big, "\"K7\":0}");
	m = parse_error(big, strlen(big), NULL);
	ok(m && strstr(m, "K7"), "collision found among 41 keys");
	free(m);
	char *o = roundtrip("{\"a\":{\"x\":1},\"b\":{\"x\":2}}", false);
	ok(o != NULL, "same key in different objects is fine");
	free(o);
}

static void test_lookup(void)
{
	struct hr_error *err = NULL;
	const char *in = "{\"Process\":{\"Args\":[\"sh\"]},\"linux\":null}";
	struct hr_json *j = hr_json_parse(in, strlen(in), NULL, &err);
	ok(j && hr_json_get(j, "process") != NULL, "lookup matches keys as Go does");
	ok(hr_json_get_path(j, "process/args") != NULL, "path lookup folds case too");
	ok(hr_json_is_null(hr_json_get(j, "linux")), "null member reads as absent");
	struct hr_json *lin = hr_json_ensure_object(j, "linux");
	ok(lin && lin->type == HR_JSON_OBJECT, "ensure_object replaces null");
	hr_json_set(j, "PROCESS", hr_json_new_string("x"));
	char *o = NULL;
	hr_json_serialize(j, false, &o, NULL, &err);
	is_str(o, "{\"Process\":\"x\",\"linux\":{}}", "set keeps the original key spelling");
	free(o);
	ok(hr_json_remove(j, "process") && !hr_json_get(j, "Process"), "remove by folded name");
	hr_json_free(j);
}

static void test_limits(void)
{
	struct hr_json_limits lim = {.max_bytes = 1 << 20, .max_depth = 10};
	char deep[64] = "";
	for (int i = 0; i < 11; i++)
		strcat(deep, "[");
	for (int i = 0; i < 11; i++)
		strcat(deep, "]");
	char *m = parse_error(deep, strlen(deep), &lim);
	ok(m && strstr(m, "nesting"), "depth limit gives a clear error: %s", m ? m : "");
	free(m);
	m = parse_error("[1]", 3, &(struct hr_json_limits){.max_bytes = 2, .max_depth = 4});
	ok(m && strstr(m, "exceeds"), "size limit gives a clear error");
	free(m);
	size_t n = 100000;
	char *huge = malloc(n * 2 + 2);
	memset(huge, '[', n);
	memset(huge + n, ']', n);
	huge[2 * n] = 0;
	m = parse_error(huge, 2 * n, NULL);
	ok(m != NULL, "100000 nested arrays are refused, not a crash");
	free(m);
	free(huge);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
	    "",	       "{",	  "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "\"\xff\"",
	    "[1] [2]", "/*c*/{}", "{'a':1}",  "[01]", "[1.]",	   NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		char *m = parse_error(bad[i], strlen(bad[i]), NULL);
		ok(m != NULL, "malformed input %zu rejected: %s", i, m ? m : "(accepted!)");
		free(m);
	}
	static const char *const utf8[] = {"\"\xc0\xaf\"",	   "\"\xed\xa0\x80\"",
					   "\"\xf4\x90\x80\x80\"", "\"\xe0\x80\xaf\"",
					   "{\"\xc1\xbf\":1}",	   NULL};
	for (size_t i = 0; utf8[i]; i++) {
		char *u = parse_error(utf8[i], strlen(utf8[i]), NULL);
		ok(u != NULL, "ill-formed UTF-8 %zu rejected (overlong, surrogate, > U+10FFFF)", i);
		free(u);
	}
	char *good = roundtrip("\"\xf0\x9f\x90\xb3 \xe2\x84\xaa \xc5\xbf\"", false);
	ok(good != NULL, "well-formed 4-byte, 3-byte and 2-byte UTF-8 accepted");
	free(good);
	char *m = parse_error("{\"a\\u0000\":1}", 13, NULL);
	ok(m && strstr(m, "NUL"), "NUL in a key rejected");
	free(m);
}

static void test_equal_clone(void)
{
	struct hr_error *err = NULL;
	const char *in = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":true}";
	struct hr_json *a = hr_json_parse(in, strlen(in), NULL, &err);
	struct hr_json *b = hr_json_clone(a);
	ok(hr_json_equal(a, b), "clone is equal");
	hr_json_append(hr_json_get(b, "a"), hr_json_new_int(-5));
	ok(!hr_json_equal(a, b), "changed clone differs");
	int64_t v = 0;
	ok(hr_json_as_int64(hr_json_get(b, "a")->arr.items[3], &v) && v == -5, "int roundtrip");
	uint64_t u = 0;
	ok(!hr_json_as_uint64(hr_json_get(b, "a")->arr.items[3], &u), "negative is no uint");
	hr_json_free(a);
	hr_json_free(b);
}

int main(void)
{
	test_numbers();
	test_order_unknown_fields();
	test_collisions();
	test_lookup();
	test_limits();
	test_malformed();
	test_equal_clone();
	return tap_done();
}
