/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the timing programs in bench/ share (each is a program of its own,
 * so the helpers are static inline here).
 */
#ifndef HARDRUN_BENCH_H
#define HARDRUN_BENCH_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline long long bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* qsort() order of doubles */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* src over dst (at most 8 MiB), before the clock starts: a create starts
 * from the caller's config.json. */
static inline int bench_copy(const char *src, const char *dst)
{
	static char buf[8 << 20];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t n = in < 0 ? -1 : read(in, buf, sizeof(buf));

	if (in >= 0)
		close(in);
	out = n < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || write(out, buf, (size_t)n) != n) {
		perror(dst);
		if (out >= 0)
			close(out);
		return -1;
	}
	return close(out);
}

/* arg with its first "%d" replaced by round (unique container ids), in buf;
 * arg itself when it has none. */
static inline char *bench_round_arg(char *arg, int round, char *buf, size_t size)
{
	const char *p = strstr(arg, "%d");

	if (!p)
		return arg;
	snprintf(buf, size, "%.*s%d%s", (int)(p - arg), arg, round, p + 2);
	return buf;
}

#endif
