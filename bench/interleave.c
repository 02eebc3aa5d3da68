/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time commands side by side: N rounds after W warm-up rounds, every arm
 * once per round, the order rotated each round, stdio on /dev/null.  No
 * shell between the clock and the command: posix_spawn, then waitpid.
 *
 *   interleave N W ARM [ARM...]
 *   ARM:  [=DST=SRC] CMD ARGS... ;;     (the last ";;" may be left out)
 *
 * "=DST=SRC" copies SRC over DST before each of that arm's runs, outside
 * the clock (a create starts from the caller's config.json).  "%d" in an
 * argument becomes the round number, for unique container ids.
 *
 * Prints, per arm: its median in ms, and the median over rounds of its
 * time divided by the first arm's in the same round (rounds pair up the
 * arms, so a slow minute of this VM weighs on both sides of the ratio).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARMS 8

struct arm {
	char **argv;
	int argc;
	const char *dst, *src;
	double *ms;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double *s = malloc((size_t)n * sizeof(*s));
	double m;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static int copy(const char *src, const char *dst)
{
	static char buf[8 << 20];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t n = in < 0 ? -1 : read(in, buf, sizeof(buf));
	if (in >= 0)
		close(in);
	out = n < 0 ? -1 : open(dst, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (out < 0 || write(out, buf, (size_t)n) != n) {
		perror(dst);
		return -1;
	}
	return close(out);
}

static double run(const struct arm *a, int round)
{
	char *argv[256], num[16], bufs[256][512];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	snprintf(num, sizeof(num), "%d", round);
	for (int i = 0; i < a->argc && i < 255; i++) {
		const char *p = strstr(a->argv[i], "%d");
		argv[i] = a->argv[i];
		if (p) {
			snprintf(bufs[i], sizeof(bufs[i]), "%.*s%s%s", (int)(p - a->argv[i]),
				 a->argv[i], num, p + 2);
			argv[i] = bufs[i];
		}
	}
	argv[a->argc < 255 ? a->argc : 255] = NULL;
	if (a->dst && copy(a->src, a->dst) < 0)
		exit(1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	double t0 = now_ms();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		perror(argv[0]);
		exit(1);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	double t = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "interleave: %s (round %d) failed: status %d\n", argv[0], round,
			status);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	struct arm arms[MAX_ARMS] = {0};
	int n, warmup, k = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: interleave N WARMUP [=DST=SRC] CMD... [;; ...]\n");
		return 2;
	}
	n = atoi(argv[1]);
	warmup = atoi(argv[2]);
	for (int i = 3; i < argc && k < MAX_ARMS; k++) {
		struct arm *a = &arms[k];
		if (argv[i][0] == '=') {
			char *sep = strchr(argv[i] + 1, '=');
			if (!sep)
				return 2;
			*sep = '\0';
			a->dst = argv[i] + 1;
			a->src = sep + 1;
			i++;
		}
		a->argv = argv + i;
		while (i < argc && strcmp(argv[i], ";;") != 0)
			i++, a->argc++;
		if (i < argc)
			argv[i++] = NULL;
		a->ms = calloc((size_t)n, sizeof(double));
	}
	for (int r = 0; r < n + warmup; r++)
		for (int j = 0; j < k; j++) {
			struct arm *a = &arms[(r + j) % k];
			double t = run(a, r);
			if (r >= warmup)
				a->ms[r - warmup] = t;
		}
	double *ratio = calloc((size_t)n, sizeof(double));
	for (int j = 0; j < k; j++) {
		for (int r = 0; r < n; r++)
			ratio[r] = arms[j].ms[r] / arms[0].ms[r];
		printf("arm%d median_ms=%.3f paired_ratio=%.4f\n", j, median(arms[j].ms, n),
		       median(ratio, n));
	}
	return 0;
}
