/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal TAP producer for unit tests. */
#ifndef HARDRUN_TAP_H
#define HARDRUN_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

/* Line-buffered, so an abort (a sanitizer report) keeps the lines so far. */
__attribute__((constructor)) static void tap_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

#define ok(cond, ...)                                                                              \
	do {                                                                                       \
		int _c = !!(cond);                                                                 \
		tap_n++;                                                                           \
		if (!_c)                                                                           \
			tap_failed++;                                                              \
		printf("%s %d - ", _c ? "ok" : "not ok", tap_n);                                   \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!_c)                                                                           \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
	} while (0)

#define is_str(a, b, ...)                                                                          \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		ok(_a &&_b &&strcmp(_a, _b) == 0, __VA_ARGS__);                                    \
		if (!(_a && _b && strcmp(_a, _b) == 0))                                            \
			printf("#   got: %s\n#   expected: %s\n", _a ? _a : "(null)",              \
			       _b ? _b : "(null)");                                                \
	} while (0)

/*
 * Set-up a test needs, not a test: nothing is counted when it holds; when it
 * fails the file stops with TAP's "Bail out!", so a broken fixture is never
 * a pass nor a plain failure of the check that comes after it.
 */
#define fixture(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("Bail out! fixture failed at %s:%d: ", __FILE__, __LINE__);         \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

/* The number a shell command prints (a count from ls | wc -l, say), 0 if none. */
static inline unsigned tap_count(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	unsigned n = 0;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = 0;
		pclose(f);
	}
	return n;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
